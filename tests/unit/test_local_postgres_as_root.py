"""As root, the local PostgreSQL runs as its own user: it must pass through every folder above its binaries and
data, such as the root user's home (mode 700, the usual case in a container), where `carerecord infra up` failed
with a PermissionError traceback. (A whole start from a mode-700 folder whose data was already there was tried
by hand: pg_ctl raised PermissionError before this change, and the server starts now.)"""

from __future__ import annotations

import stat
from pathlib import Path

from carerecord_infra.postgres import SERVER_USER, _unreachable, let_everyone_enter


def test_every_folder_above_is_opened_for_passing_through_and_not_for_listing(tmp_path: Path) -> None:
    private = tmp_path / "home"
    binaries = private / "checkout" / ".venv" / "bin"
    binaries.mkdir(parents=True)
    private.chmod(0o700)
    (private / "checkout").chmod(0o700)
    let_everyone_enter(binaries / "pg_ctl")
    for folder in (private, private / "checkout"):
        mode = stat.S_IMODE(folder.stat().st_mode)
        assert mode == 0o711, oct(mode)  # others may pass through, not list what root keeps there


def test_a_folder_that_cannot_be_opened_is_named_in_one_line_saying_what_to_do() -> None:
    refused = str(_unreachable(PermissionError(13, "Permission denied", "/root")))
    assert "\n" not in refused
    assert f"the user {SERVER_USER}, which cannot enter /root (Permission denied)" in refused
    assert "CARERECORD_INFRA_DIR" in refused and "run as an ordinary user" in refused
