"""An access audit on a test's schema, wired as the composition root wires it: its store, group writer, and the
feeder of its read models (access_log, refused_requests, feed_disclosures) after every append."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from carerecord.database import event_store_env
from carerecord.settings import parse_database_url
from carerecord_projections.database import prepare
from carerecord_projections.who_has_looked import AccessLogFeeder
from carerecord_services.audit import AccessAudit, AccessAuditStore
from carerecord_services.writer import GroupWriter
from tests.conftest import dsn


@dataclass
class AuditStack:
    store: AccessAuditStore
    writer: GroupWriter
    feeder: AccessLogFeeder
    audit: AccessAudit
    dsn: str

    def close(self) -> None:
        self.writer.close()
        self.store.close()


def open_audit(database_url: str, schema: str) -> AuditStack:
    read_models = dsn(database_url, schema)
    prepare(read_models)
    store = AccessAuditStore(event_store_env(parse_database_url(database_url), None, schema=schema))
    writer = GroupWriter(store.insert)
    feeder = AccessLogFeeder(store, read_models)
    audit = AccessAudit(store, writer, clock=lambda: datetime.now(UTC), after_append=feeder.catch_up)
    return AuditStack(store, writer, feeder, audit, read_models)
