"""Processes that start at the same moment on a new schema (API workers on separate hosts, `relay` and
`project` beside `serve`) all start: the store's tables, types and functions and the read models' are made
one process at a time. Four processes started together failed on each other's half-made objects ("duplicate
key value violates unique constraint pg_type_typname_nsp_index", "tuple concurrently updated")."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

PROCESS = """
import sys, time
from carerecord.bootstrap import build_services
from carerecord.settings import load_settings
time.sleep(max(0.0, float(sys.argv[1]) - time.time()))  # all four begin at the same instant
services = build_services(load_settings())
services.care_records
services.feeders
print(services.store.last_position())
services.close()
"""


def test_four_processes_starting_together_on_a_new_schema_all_start(
    test_database_url: str, fresh_schema: str, tmp_path: Path
) -> None:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": test_database_url,
        "CARERECORD_SCHEMA": fresh_schema,
        "CARERECORD_DATA_DIR": str(tmp_path),
    }
    at = time.time() + 4  # after every interpreter has imported carerecord
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", PROCESS, str(at)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    ended = [process.communicate(timeout=120) for process in processes]
    failures = [err[-1500:] for (_, err), process in zip(ended, processes, strict=True) if process.returncode]
    assert failures == []
    assert [out.strip() for out, _ in ended] == ["0"] * 4
