"""Starting detached server processes, remembering their pids, and stopping only those."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


def start_detached(
    command: list[str], log_file: Path, pid_file: Path, env: dict[str, str] | None = None
) -> int:
    """Starts a server that outlives us: a shell in a new session puts it in the background and reports its
    pid, then exits, so no child handle is left behind."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    launched = subprocess.run(
        [
            "sh",
            "-c",
            'log="$1"; shift; "$@" >>"$log" 2>&1 </dev/null & echo $!',
            "sh",
            str(log_file),
            *command,
        ],
        capture_output=True,
        text=True,
        check=True,
        start_new_session=True,
        env=env,
    )
    pid = int(launched.stdout.strip())
    pid_file.write_text(str(pid))
    return pid


def running_pid(pid_file: Path) -> int | None:
    """The pid recorded in pid_file if that process is still alive."""
    if not pid_file.exists():
        return None
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, 0)
    except (ValueError, ProcessLookupError):
        return None
    except PermissionError:
        return pid
    return None if _zombie(pid) else pid


def stop_pid(pid_file: Path, timeout: float = 30.0) -> bool:
    """SIGTERM, then SIGKILL after timeout. Returns whether a process was stopped."""
    pid = running_pid(pid_file)
    if pid is None:
        pid_file.unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    if not wait_until(lambda: not _alive(pid), timeout):
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: not _alive(pid), 5.0)
    pid_file.unlink(missing_ok=True)
    return True


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def alive(pid: int) -> bool:
    """Whether the process runs: not gone, and not a zombie that nobody has reaped."""
    return _alive(pid)


def children_of(pid: int) -> list[int]:
    """The processes whose parent is `pid` now (a server's backends, say)."""
    found = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat_file.parent.name))
    return found


def _zombie(pid: int) -> bool:
    """A dead process nobody has reaped yet (our servers' parent is init, which may be slow to reap)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] == "Z"


def _alive(pid: int) -> bool:
    try:
        finished, _ = os.waitpid(pid, os.WNOHANG)
        if finished == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return not _zombie(pid)


class InfraError(RuntimeError):
    """A local server could not be started, with what to do about it (the command prints it in one line)."""


def refuse_if_taken(host: str, port: int, server: str) -> None:
    """Before starting `server`: something else already listening on its port would make the start fail
    obscurely (or, worse, the tests talk to a server with other credentials)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        if probe.connect_ex((host, port)) != 0:
            return
    raise InfraError(
        f"cannot start {server}: {host}:{port} is already in use by another process (a carerecord infra started "
        "with another CARERECORD_INFRA_DIR or HOME?); stop it, or run `carerecord infra down` where it was started"
    )
