"""Ctrl+C on `make run` stops the embedded PostgreSQL: a holder that was killed once no longer keeps it running."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from carerecord.database import _forget_dead_handles


def test_holders_that_are_no_longer_running_are_forgotten_before_the_server_is_joined(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    handles = tmp_path / ".handle_pids.json"
    handles.write_text(json.dumps([dead.pid, os.getpid()]))
    _forget_dead_handles(tmp_path)
    assert json.loads(handles.read_text()) == [os.getpid()]


def test_a_missing_or_unreadable_handle_file_is_left_alone(tmp_path: Path) -> None:
    _forget_dead_handles(tmp_path)
    assert not (tmp_path / ".handle_pids.json").exists()
    (tmp_path / ".handle_pids.json").write_text("not json")
    _forget_dead_handles(tmp_path)
    assert (tmp_path / ".handle_pids.json").read_text() == "not json"
