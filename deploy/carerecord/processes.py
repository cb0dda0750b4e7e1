"""The long-running processes and the rebuild, wired from settings: `carerecord relay`, `project`, `rebuild`."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient

from carerecord.database import event_store_env, locate_database
from carerecord.kafka_setup import ensure_internal_topic
from carerecord.settings import KafkaSettings, Settings, SettingsError
from carerecord_messaging.feeds import FeedRouter
from carerecord_messaging.kafka_worker import DEFAULT_GROUP, KafkaProjectionWorker
from carerecord_messaging.rebuild import rebuild_from_kafka, rebuild_from_store
from carerecord_messaging.relay import Relay
from carerecord_projections.database import prepare as prepare_read_models
from carerecord_projections.database import transaction
from carerecord_projections.registry import Projection
from carerecord_projections.who_has_looked import AccessLogFeeder
from carerecord_services.audit import AccessAudit, AccessAuditStore
from carerecord_services.store import EventStore
from carerecord_services.writer import GroupWriter

log = logging.getLogger("carerecord")

Progress = Callable[[int, int], None]


def _require_kafka(settings: Settings, command: str) -> KafkaSettings:
    if settings.kafka is None:
        raise SettingsError("KAFKA_BOOTSTRAP_SERVERS", f"is needed for `carerecord {command}`")
    return settings.kafka


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())
    return stop


def make_producer(kafka: KafkaSettings) -> KafkaProducer:
    return KafkaProducer(
        **kafka.client_options(),
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        batch_size=262_144,
        max_in_flight_requests_per_connection=5,
        retries=2**31 - 1,
    )


def run_relay(settings: Settings) -> None:
    kafka = _require_kafka(settings, "relay")
    database = locate_database(settings)
    store = EventStore(event_store_env(database, settings.cipher_key, schema=settings.schema))
    admin = KafkaAdminClient(**kafka.client_options())
    try:
        if ensure_internal_topic(admin, kafka):
            log.info("relay: created %s (%d partitions, retained forever)", kafka.topic, kafka.partitions)
    finally:
        admin.close()
    producer = make_producer(kafka)
    relay = Relay(
        store, producer, topic=kafka.topic, source=settings.region_source, dsn=database.dsn(settings.schema)
    )
    log.info("relay: store -> %s from position %d", kafka.topic, relay.checkpoint())
    try:
        relay.run(_stop_on_signals())
    finally:
        producer.close()
        store.close()


def run_projector(
    settings: Settings, group: str = DEFAULT_GROUP, projection: Projection | None = None
) -> None:
    kafka = _require_kafka(settings, "project")
    database = locate_database(settings)
    dsn = database.dsn(settings.schema)
    prepare_read_models(dsn)
    worker = KafkaProjectionWorker(
        kafka.client_options(), topic=kafka.topic, dsn=dsn, group=group, projection=projection
    )
    log.info("projection worker: %s -> read models (group %s)", kafka.topic, group)
    try:
        worker.run(_stop_on_signals())
    finally:
        worker.close()


def run_feeds(settings: Settings) -> None:
    kafka = _require_kafka(settings, "feeds")
    database = locate_database(settings)
    producer = make_producer(kafka)
    dsn = database.dsn(settings.schema)
    audit_store = AccessAuditStore(event_store_env(database, settings.cipher_key, schema=settings.schema))
    audit_writer = GroupWriter(audit_store.insert)
    access_log = AccessLogFeeder(audit_store, dsn)
    audit = AccessAudit(
        audit_store, audit_writer, clock=lambda: datetime.now(UTC), after_append=access_log.catch_up
    )
    router = FeedRouter(
        kafka.client_options(),
        producer,
        topic=kafka.topic,
        dsn=dsn,
        record_disclosures=audit.record_disclosures,
        unconfirmed_lasts=timedelta(days=settings.unconfirmed_relationship_days),
    )
    log.info("feeds: %s -> carerecord.feed.<organisation>", kafka.topic)
    try:
        router.run(_stop_on_signals())
    finally:
        router.close()
        producer.close()
        audit_writer.close()
        audit_store.close()


@dataclass(frozen=True)
class RebuildResult:
    events: int
    seconds: float
    checksum: str

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def _stored_positions(store: EventStore, up_to: int | None) -> set[int]:
    """Every position the store holds (they can skip numbers after a rolled-back insert or a crash)."""
    positions: set[int] = set()
    start = 1
    while page := store.notifications(start, 1000):
        positions.update(n.id for n in page if up_to is None or n.id <= up_to)
        start = page[-1].id + 1
        if up_to is not None and start > up_to:
            break
    return positions


def rebuild(settings: Settings, source: str, as_of: int | None, progress: Progress) -> RebuildResult:
    database = locate_database(settings)
    dsn = database.dsn(settings.schema)
    store = EventStore(event_store_env(database, settings.cipher_key, schema=settings.schema))
    started = time.perf_counter()
    try:
        if source == "store":
            events = rebuild_from_store(store, dsn, as_of=as_of, progress=progress)
        else:
            kafka = _require_kafka(settings, "rebuild --from kafka")
            events = rebuild_from_kafka(
                kafka.client_options(),
                topic=kafka.topic,
                dsn=dsn,
                store_last=store.last_position(),
                as_of=as_of,
                progress=progress,
                stored_positions=_stored_positions(store, as_of),
            )
    finally:
        store.close()
    seconds = time.perf_counter() - started
    from carerecord_projections.schema import read_model_checksum

    with transaction(dsn) as cursor:
        checksum = read_model_checksum(cursor)
    return RebuildResult(events, seconds, checksum)
