"""Settings, read once from the environment into one typed object.

Every setting has one name, used the same way by the code, the README, docker-compose.yml and the local
infrastructure. A bad value raises `SettingsError` naming the setting and what was tried.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import platformdirs

DEFAULT_STATEMENT_TIMEOUT_MS = 30_000
DEFAULT_LOCK_TIMEOUT_MS = 10_000
DEFAULT_MAX_EVENT_BYTES = 1_000_000  # below Kafka's message.max.bytes (1,048,588) less the CloudEvent headers


class SettingsError(Exception):
    """A setting is missing, malformed or points at something that does not answer."""

    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"{setting}: {problem}")
        self.setting = setting
        self.problem = problem


@dataclass(frozen=True)
class DatabaseLocation:
    """Where PostgreSQL is, taken apart so that psycopg, psycopg2 and eventsourcing can all use it."""

    host: str
    port: int
    user: str
    password: str
    dbname: str
    statement_timeout_ms: int = DEFAULT_STATEMENT_TIMEOUT_MS
    lock_timeout_ms: int = DEFAULT_LOCK_TIMEOUT_MS

    def dsn(self, schema: str = "") -> str:
        """A libpq keyword DSN; a socket directory works as host; `schema` becomes the search path. Every
        connection made with it carries the statement and lock timeouts (0: none), so no statement and no
        lock wait holds a read-model connection without end."""
        parts = {"host": self.host, "port": str(self.port), "user": self.user, "dbname": self.dbname}
        if self.password:
            parts["password"] = self.password
        options = f"-c statement_timeout={self.statement_timeout_ms} -c lock_timeout={self.lock_timeout_ms}"
        parts["options"] = f"-c search_path={schema} {options}" if schema else options
        return " ".join(f"{key}='{_escape(value)}'" for key, value in parts.items())

    def redacted(self) -> str:
        """For messages: never shows the password."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.dbname}"


@dataclass(frozen=True)
class KafkaSettings:
    bootstrap_servers: str
    security_protocol: str
    sasl_mechanism: str
    username: str
    password: str
    topic: str
    partitions: int

    def client_options(self) -> dict[str, object]:
        """Options every kafka-python client of carerecord takes."""
        options: dict[str, object] = {
            "bootstrap_servers": self.bootstrap_servers.split(","),
            "security_protocol": self.security_protocol,
        }
        if self.security_protocol.startswith("SASL"):
            options.update(
                sasl_mechanism=self.sasl_mechanism,
                sasl_plain_username=self.username,
                sasl_plain_password=self.password,
            )
        return options


@dataclass(frozen=True)
class Settings:
    database_url: str | None
    kafka: KafkaSettings | None
    data_dir: Path
    host: str
    port: int
    cipher_key: str | None
    index_key: bytes | None
    schema: str
    region: str
    production: bool
    jwt_issuer: str
    jwt_audience: str
    jwks_file: Path | None
    cors_origins: tuple[str, ...]
    break_glass_seconds: int
    unconfirmed_relationship_days: int
    requests_per_minute: int
    checkpoint_key_file: Path | None
    checkpoint_seconds: int
    session_secret: bytes | None
    statement_timeout_ms: int
    lock_timeout_ms: int
    max_event_bytes: int
    stall_seconds: int
    allow_python_psycopg: bool
    schema_base_url: str

    @property
    def region_source(self) -> str:
        """The CloudEvents `source` of this region's events."""
        return f"/carerecord/regions/{self.region}"

    @property
    def embedded(self) -> bool:
        """True when no DATABASE_URL is given: carerecord starts its own PostgreSQL."""
        return self.database_url is None

    def kafka_for(self, command: str) -> KafkaSettings:
        """The Kafka settings that `carerecord <command>` cannot run without."""
        if self.kafka is None:
            raise SettingsError("KAFKA_BOOTSTRAP_SERVERS", f"is needed for `carerecord {command}`")
        return self.kafka


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Reads and checks every setting. Raises SettingsError on the first bad one."""
    env = os.environ if environ is None else environ
    database_url = env.get("DATABASE_URL") or None
    if database_url is not None:
        parse_database_url(database_url)
    host = env.get("CARERECORD_HOST", "127.0.0.1")
    port = _port("CARERECORD_PORT", env.get("CARERECORD_PORT", "8000"))
    return Settings(
        database_url=database_url,
        kafka=_kafka_settings(env),
        data_dir=Path(env.get("CARERECORD_DATA_DIR") or platformdirs.user_data_dir("carerecord")),
        host=host,
        port=port,
        schema_base_url=_schema_base_url(
            env.get("CARERECORD_SCHEMA_BASE_URL") or f"http://{_url_host(host)}:{port}/schemas/"
        ),
        cipher_key=_cipher_key(env.get("CARERECORD_CIPHER_KEY") or None),
        index_key=_index_key(env.get("CARERECORD_INDEX_KEY") or None),
        schema=_schema(env.get("CARERECORD_SCHEMA", "")),
        region=env.get("CARERECORD_REGION", "local"),
        session_secret=_session_secret(env.get("CARERECORD_SESSION_SECRET") or None),
        **_api_settings(env),
        **_checkpoint_settings(env),
        **_pipeline_settings(env),
    )


def _pipeline_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """Bounds that keep the pipeline moving, or make it say loudly that it is not."""
    allow = env.get("CARERECORD_ALLOW_PYTHON_PSYCOPG", "no")
    if allow not in ("yes", "no"):
        raise SettingsError("CARERECORD_ALLOW_PYTHON_PSYCOPG", f"must be yes or no, got {allow!r}")
    return {
        "statement_timeout_ms": _count(
            "CARERECORD_STATEMENT_TIMEOUT_MS",
            env.get("CARERECORD_STATEMENT_TIMEOUT_MS"),
            DEFAULT_STATEMENT_TIMEOUT_MS,
        ),
        "lock_timeout_ms": _count(
            "CARERECORD_LOCK_TIMEOUT_MS", env.get("CARERECORD_LOCK_TIMEOUT_MS"), DEFAULT_LOCK_TIMEOUT_MS
        ),
        "max_event_bytes": _whole_number(
            "CARERECORD_MAX_EVENT_BYTES", env.get("CARERECORD_MAX_EVENT_BYTES", str(DEFAULT_MAX_EVENT_BYTES))
        ),
        "stall_seconds": _whole_number("CARERECORD_STALL_SECONDS", env.get("CARERECORD_STALL_SECONDS", "60")),
        "allow_python_psycopg": allow == "yes",
    }


def _count(name: str, value: str | None, default: int) -> int:
    """A whole number of at least 0 (0: off)."""
    if value is None or value == "":
        return default
    if not re.fullmatch(r"[0-9]{1,9}", value):
        raise SettingsError(name, f"must be a whole number of milliseconds (0: none), got {value!r}")
    return int(value)


def parse_database_url(url: str) -> DatabaseLocation:
    """postgresql://user:password@host:port/dbname, or ?host=/socket/dir for a Unix socket."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise SettingsError(
            "DATABASE_URL", f"must start with postgresql://, got {parts.scheme or 'no'} scheme"
        )
    query = parse_qs(parts.query)
    host = query.get("host", [parts.hostname or ""])[0]
    if not host:
        raise SettingsError("DATABASE_URL", "names no host (postgresql://user@host:port/dbname)")
    dbname = unquote(parts.path.lstrip("/")) or query.get("dbname", [""])[0]
    if not dbname:
        raise SettingsError("DATABASE_URL", "names no database (postgresql://user@host:port/dbname)")
    try:
        port = parts.port or int(query.get("port", ["5432"])[0])
    except ValueError:
        raise SettingsError("DATABASE_URL", "has a port that is not a number") from None
    return DatabaseLocation(
        host=host,
        port=port,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password or ""),
        dbname=dbname,
    )


def _api_settings(env: Mapping[str, str]) -> dict[str, Any]:
    mode = env.get("CARERECORD_MODE", "development")
    if mode not in ("development", "production"):
        raise SettingsError("CARERECORD_MODE", f"must be development or production, got {mode!r}")
    jwks = env.get("CARERECORD_JWKS_FILE") or None
    if mode == "production":
        missing = [
            name
            for name in ("CARERECORD_JWKS_FILE", "CARERECORD_JWT_ISSUER", "CARERECORD_JWT_AUDIENCE")
            if not env.get(name)
        ]
        if missing:
            raise SettingsError(
                missing[0], "is required in production mode (development keys are never used there)"
            )
    if jwks is not None and not Path(jwks).is_file():
        raise SettingsError("CARERECORD_JWKS_FILE", f"names no readable file: {jwks}")
    return {
        "production": mode == "production",
        "jwt_issuer": env.get("CARERECORD_JWT_ISSUER", "carerecord-development"),
        "jwt_audience": env.get("CARERECORD_JWT_AUDIENCE", "carerecord"),
        "jwks_file": Path(jwks) if jwks else None,
        "cors_origins": tuple(
            o.strip() for o in env.get("CARERECORD_CORS_ORIGINS", "").split(",") if o.strip()
        ),
        "break_glass_seconds": _whole_number(
            "CARERECORD_BREAK_GLASS_SECONDS", env.get("CARERECORD_BREAK_GLASS_SECONDS", "14400")
        ),
        "requests_per_minute": _whole_number(
            "CARERECORD_REQUESTS_PER_MINUTE", env.get("CARERECORD_REQUESTS_PER_MINUTE", "600")
        ),
        "unconfirmed_relationship_days": _whole_number(
            "CARERECORD_UNCONFIRMED_RELATIONSHIP_DAYS",
            env.get("CARERECORD_UNCONFIRMED_RELATIONSHIP_DAYS", "7"),
        ),
    }


def _checkpoint_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """The Ed25519 key that signs checkpoints (unset: one generated once in the data folder) and how often
    `carerecord serve` signs one (0: never; `carerecord checkpoint` still does)."""
    key_file = env.get("CARERECORD_CHECKPOINT_KEY_FILE") or None
    if key_file is not None and not Path(key_file).is_file():
        raise SettingsError("CARERECORD_CHECKPOINT_KEY_FILE", f"names no readable file: {key_file}")
    seconds = env.get("CARERECORD_CHECKPOINT_SECONDS", "3600")
    if not seconds.isdigit():
        raise SettingsError(
            "CARERECORD_CHECKPOINT_SECONDS", f"must be a whole number of seconds (0: never), got {seconds!r}"
        )
    return {"checkpoint_key_file": Path(key_file) if key_file else None, "checkpoint_seconds": int(seconds)}


def _whole_number(name: str, value: str) -> int:
    if not re.fullmatch(r"[0-9]{1,12}", value) or int(value) < 1:
        raise SettingsError(name, f"must be a whole number of at least 1, got {value!r}")
    return int(value)


def _kafka_settings(env: Mapping[str, str]) -> KafkaSettings | None:
    servers = env.get("KAFKA_BOOTSTRAP_SERVERS") or None
    if servers is None:
        return None
    for server in servers.split(","):
        host, _, port = server.strip().rpartition(":")
        if not host or not port.isdigit():
            raise SettingsError("KAFKA_BOOTSTRAP_SERVERS", f"expects host:port[,host:port], got {server!r}")
    protocol = env.get("KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    allowed = ("PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL", "SSL")
    if protocol not in allowed:
        raise SettingsError(
            "KAFKA_SECURITY_PROTOCOL", f"must be one of {', '.join(allowed)}, got {protocol!r}"
        )
    username = env.get("KAFKA_USERNAME", "")
    password = env.get("KAFKA_PASSWORD", "")
    if protocol.startswith("SASL") and not (username and password):
        raise SettingsError("KAFKA_USERNAME", f"and KAFKA_PASSWORD are required with {protocol}")
    partitions = env.get("KAFKA_TOPIC_PARTITIONS", "6")
    if not partitions.isdigit() or int(partitions) < 1:
        raise SettingsError(
            "KAFKA_TOPIC_PARTITIONS", f"must be a whole number of at least 1, got {partitions!r}"
        )
    return KafkaSettings(
        bootstrap_servers=servers,
        security_protocol=protocol,
        sasl_mechanism=env.get("KAFKA_SASL_MECHANISM", "SCRAM-SHA-256"),
        username=username,
        password=password,
        topic=env.get("KAFKA_TOPIC", "carerecord.region.events"),
        partitions=int(partitions),
    )


def _url_host(host: str) -> str:
    """The host as a URL writes it: an IPv6 address in brackets; listening on every address, localhost."""
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 - names the wildcard, binds nothing
        return "localhost"
    return f"[{host}]" if ":" in host else host


def _schema_base_url(value: str) -> str:
    """Where the messages' `dataschema` points: the API's /schemas/ as provider systems reach it."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise SettingsError(
            "CARERECORD_SCHEMA_BASE_URL",
            f"must be an http(s) URL of the API's /schemas/ (https://host/schemas/), got {value!r}",
        )
    return value if value.endswith("/") else value + "/"


def _port(name: str, value: str) -> int:
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise SettingsError(name, f"must be a port number from 1 to 65535, got {value!r}")
    return int(value)


def _cipher_key(value: str | None) -> str | None:
    raw = _decoded_key("CARERECORD_CIPHER_KEY", value)
    if raw is not None and len(raw) not in (16, 24, 32):
        raise SettingsError("CARERECORD_CIPHER_KEY", f"must decode to 16, 24 or 32 bytes, got {len(raw)}")
    return value


def _decoded_key(name: str, value: str | None) -> bytes | None:
    """A key setting's bytes (it is given in base64); None when it is not set."""
    if value is None:
        return None
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error:
        raise SettingsError(name, "is not base64 (make one with `carerecord keygen`)") from None


def _schema(value: str) -> str:
    if value and not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", value):
        raise SettingsError("CARERECORD_SCHEMA", f"must be a lower-case PostgreSQL identifier, got {value!r}")
    return value


def _index_key(value: str | None) -> bytes | None:
    raw = _decoded_key("CARERECORD_INDEX_KEY", value)
    if raw is not None and len(raw) < 16:
        raise SettingsError("CARERECORD_INDEX_KEY", f"must decode to at least 16 bytes, got {len(raw)}")
    return raw


def _session_secret(value: str | None) -> bytes | None:
    """The key that signs the portal's session cookies: base64, at least 32 bytes."""
    raw = _decoded_key("CARERECORD_SESSION_SECRET", value)
    if raw is not None and len(raw) < 32:
        raise SettingsError("CARERECORD_SESSION_SECRET", f"must decode to at least 32 bytes, got {len(raw)}")
    return raw


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")
