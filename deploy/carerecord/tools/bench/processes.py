"""Processes the bench starts and measures: servers on a port, one-shot children, and their peak memory."""

from __future__ import annotations

import contextlib
import http.client
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO


def carerecord_command(*arguments: str) -> list[str]:
    """`carerecord ...` run by this interpreter, as the installed console script runs it."""
    return [sys.executable, "-c", "import sys; from carerecord.cli import main; sys.exit(main())", *arguments]


def bare_command(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "carerecord.tools.bench.bare", *arguments]


def peak_rss_mib(pid: int) -> float:
    """VmHWM: the most resident memory the process has had so far."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


@dataclass(frozen=True)
class Finished:
    output: str
    peak_rss_mib: float


def run_child(command: Sequence[str], env: Mapping[str, str]) -> Finished:
    """Runs a child to completion, sampling its VmHWM every 20 ms (the kernel's ru_maxrss for a child is no use
    here: it carries over the forking parent's size across exec)."""
    peak = 0.0
    with tempfile.TemporaryFile("w+") as output, tempfile.TemporaryFile("w+") as errors:
        child = subprocess.Popen(list(command), env=dict(env), stdout=output, stderr=errors, text=True)
        while child.poll() is None:
            with contextlib.suppress(OSError, RuntimeError):  # it may exit between poll() and the read
                peak = max(peak, peak_rss_mib(child.pid))
            time.sleep(0.02)
        output.seek(0)
        errors.seek(0)
        if child.returncode != 0:
            raise RuntimeError(f"{command[-1]!r} failed ({child.returncode}): {errors.read()[-2000:]}")
        return Finished(output.read(), peak)


@contextmanager
def server(command: Sequence[str], env: Mapping[str, str], port: int, timeout: float = 60.0) -> Iterator[int]:
    """Starts a server process, waits until it answers HTTP on `port`, yields its pid, stops it with SIGTERM."""
    with tempfile.TemporaryFile("w+") as errors:
        child = subprocess.Popen(
            list(command), env=dict(env), stdout=subprocess.DEVNULL, stderr=errors, text=True
        )
        try:
            _wait_until_answering(child, port, timeout, errors)
            yield child.pid
        except Exception as error:
            errors.seek(0)
            error.add_note(f"the server's log ends:\n{errors.read()[-3000:]}")
            raise
        finally:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def _wait_until_answering(child: subprocess.Popen[str], port: int, timeout: float, errors: IO[str]) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if child.poll() is not None:
            errors.seek(0)
            raise RuntimeError(f"the server exited ({child.returncode}): {errors.read()[-2000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/health")
            connection.getresponse().read()
            connection.close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
