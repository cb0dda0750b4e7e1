"""The composition root: the one place where settings become stores, use cases, read access, messaging and the
web app. Every process (`serve`, `relay`, `project`, `feeds`, `verify`, ..., the bench and the demo region)
gets its objects from `Services`, built from the settings it read once."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from enum import Enum
from functools import cached_property, partial
from pathlib import Path
from typing import TypeVar

from kafka import KafkaProducer
from starlette.applications import Starlette

from carerecord.checkpoints import checkpoint_log
from carerecord.database import event_store_env, locate_database
from carerecord.health import HealthCheck
from carerecord.lag import LagGauge, StallWatch
from carerecord.settings import DatabaseLocation, KafkaSettings, Settings
from carerecord.tokens import development_keys
from carerecord_graphql.app import Limits, create_app
from carerecord_graphql.auth import TokenSettings, TokenVerifier, load_jwks
from carerecord_graphql.context import Api
from carerecord_graphql.portal.pages import Portal
from carerecord_graphql.portal.session import Sessions
from carerecord_graphql.schema import build_schema
from carerecord_messaging.feeds import FeedRouter
from carerecord_messaging.kafka_worker import DEFAULT_GROUP, KafkaProjectionWorker
from carerecord_messaging.rebuild import rebuild_from_store
from carerecord_messaging.relay import Relay
from carerecord_messaging.store_feeder import StoreFeeder
from carerecord_messaging.urgent_care_feeds import SharedPlans
from carerecord_messaging.wire import published_schema
from carerecord_projections.current_plan.projection import records_without_state
from carerecord_projections.database import prepare as prepare_read_models
from carerecord_projections.database import transaction
from carerecord_projections.ended_sessions import EndedSessions
from carerecord_projections.held_submissions import HeldSubmissions
from carerecord_projections.local_form_mappings import LocalFormMappings
from carerecord_projections.oversight.views import OversightViews
from carerecord_projections.queries import ReadModels
from carerecord_projections.reference import board_organisations, registered_organisation
from carerecord_projections.refused_requests import RefusalLog
from carerecord_projections.registry import ADDITIONAL_PROJECTIONS, Projection
from carerecord_projections.staff_training import StaffTrainingReports
from carerecord_projections.store_marks import is_demo
from carerecord_projections.who_has_looked import AccessLogFeeder
from carerecord_services.audit import AccessAudit, AccessAuditStore
from carerecord_services.checkpoint_store import CheckpointLog
from carerecord_services.investigation import Investigations
from carerecord_services.read_access import ReadAccess
from carerecord_services.service import CareRecordService
from carerecord_services.store import EventStore
from carerecord_services.urgent_care import Register, RegisterEntry
from carerecord_services.writer import GroupWriter

log = logging.getLogger("carerecord")

_Store = TypeVar("_Store", bound=EventStore)

FEED_WAIT_SECONDS = 5.0
"""Fed after each append, a change is in the read models when its use case returns, unless another thread is
applying a large backlog to them (the start-up catch-up back-filling a projection added since the last start,
say): the use case then returns after waiting this long at most, the change committed, and that thread applies
it too. /health shows the lag meanwhile."""


class Feeding(Enum):
    """How the read models are fed in this process when no Kafka is configured (with Kafka, `carerecord
    project` workers feed them and no process feeds them in-process)."""

    AFTER_EACH_APPEND = (
        "after each append"  # a plan is queryable as soon as its use case returns (FEED_WAIT_SECONDS)
    )
    AT_START = "at start"  # a bulk load (the demo region): the projections catch up when next built
    NOT_HERE = "not here"  # the bench's loaders: the store alone, projected (and timed) separately


def _now() -> datetime:
    return datetime.now(UTC)


class Services:
    """Everything one process needs, each part built from the settings on first use, once; `close` closes
    what was built, last built first."""

    def __init__(
        self,
        settings: Settings,
        database: DatabaseLocation | None = None,
        *,
        feeding: Feeding = Feeding.AFTER_EACH_APPEND,
        feed_timer: Callable[[float], None] | None = None,
        store_pool_size: int | None = None,
        back_fill_at_start: bool = True,
    ) -> None:
        """`feed_timer` is told how long each in-process catch-up after an append took (the bench's
        commit-to-visible); `store_pool_size` widens the store's connection pool (the bench's many callers);
        without `back_fill_at_start`, the projections are not caught up when the use cases are built (`serve`
        does that after it is listening, or in its supervisor: see `carerecord.processes.serve`)."""
        self.settings = settings
        self._database = database
        self._feeding = feeding
        self._feed_timer = feed_timer
        self._store_pool_size = store_pool_size
        self._back_fill_at_start = back_fill_at_start
        self._closers: list[Callable[[], object]] = []

    @classmethod
    def located(cls, settings: Settings) -> Services:
        """Services whose database is found now: a bad DATABASE_URL or schema is refused, in one line, before
        any other part (a Kafka client, which logs as it connects) is started."""
        return cls(settings, locate_database(settings))

    def close(self) -> None:
        while self._closers:
            self._closers.pop()()

    def _closed_later(self, close: Callable[[], object]) -> None:
        self._closers.append(close)

    @cached_property
    def database(self) -> DatabaseLocation:
        return self._database or locate_database(self.settings)

    @cached_property
    def read_models_dsn(self) -> str:
        return self.database.dsn(self.settings.schema)

    @cached_property
    def store(self) -> EventStore:
        env = self._store_env(self.settings.max_event_bytes)
        if self._store_pool_size is not None:
            env["POSTGRES_POOL_SIZE"] = str(self._store_pool_size)
        return self._opened(EventStore(env))

    @cached_property
    def writer(self) -> GroupWriter:
        return self._writer_for(self.store)

    def _store_env(self, max_event_bytes: int | None = None) -> dict[str, str]:
        settings = self.settings
        return event_store_env(
            self.database, settings.cipher_key, schema=settings.schema, max_event_bytes=max_event_bytes
        )

    def _opened(self, store: _Store) -> _Store:
        self._closed_later(store.close)
        return store

    def _writer_for(self, store: EventStore) -> GroupWriter:
        writer = GroupWriter(store.insert, interrupt=store.interrupt_insert)
        self._closed_later(writer.close)
        return writer

    @cached_property
    def prepared_read_models(self) -> str:
        """The read models' DSN, once their tables are there."""
        prepare_read_models(self.read_models_dsn)
        return self.read_models_dsn

    @cached_property
    def feeders(self) -> list[StoreFeeder]:
        """The in-process feeders, the region's read models first, then each additional projection at its own
        position; none with Kafka configured."""
        if self.settings.kafka is not None:
            return []
        dsn = self.prepared_read_models
        self._rebuild_if_built_before_state(dsn)
        extra = [StoreFeeder(self.store, dsn, projection=cls()) for cls in ADDITIONAL_PROJECTIONS.values()]
        return [StoreFeeder(self.store, dsn), *extra]

    def _rebuild_if_built_before_state(self, dsn: str) -> None:
        """Read models built before the projector kept each record's state cannot be carried on from; fed
        in-process, they are rebuilt from the store here, once, rather than stopping at the first change."""
        with transaction(dsn) as cursor:
            stale = records_without_state(cursor)
        if stale:
            log.warning(
                "the read models were built by an earlier version (%d records): rebuilding them", stale
            )
            rebuild_from_store(self.store, dsn, as_of=None, progress=None)

    @property
    def feeder(self) -> StoreFeeder | None:
        return self.feeders[0] if self.feeders else None

    @cached_property
    def care_records(self) -> CareRecordService:
        service = CareRecordService(
            self.store,
            self.writer,
            clock=_now,
            index_key=self.settings.index_key or _local_index_key(self.settings),
            after_append=self._feed_after_append(),
        )
        if self._feeding is not Feeding.NOT_HERE and self._back_fill_at_start:
            self.catch_up()  # a projection added since the last start back-fills here, at its own position
        return service

    def catch_up(self, wait: float | None = None) -> None:
        """Every in-process projection up to the store's last position, read once for all of them (the
        gap-safe read scans the server's lock table). `wait`: how long to wait for a projection another
        thread is feeding (StoreFeeder.catch_up)."""
        if not self.feeders:
            return
        last = self.store.last_position()
        for feeder in self.feeders:
            feeder.catch_up(stop_at=last, wait=wait)

    def _feed_after_append(self) -> Callable[[], None] | None:
        if self._feeding is not Feeding.AFTER_EACH_APPEND or not self.feeders:
            return None
        feed = partial(self.catch_up, wait=FEED_WAIT_SECONDS)
        if self._feed_timer is None:
            return _quietly(feed)
        return _quietly(_timed(feed, self._feed_timer))

    @cached_property
    def audit_store(self) -> AccessAuditStore:
        return self._opened(AccessAuditStore(self._store_env()))

    @cached_property
    def audit_writer(self) -> GroupWriter:
        return self._writer_for(self.audit_store)

    @cached_property
    def audit(self) -> AccessAudit:
        access_log = AccessLogFeeder(self.audit_store, self.read_models_dsn)
        access_log.catch_up()
        return AccessAudit(self.audit_store, self.audit_writer, clock=_now, after_append=access_log.catch_up)

    @cached_property
    def checkpoints(self) -> CheckpointLog:
        return checkpoint_log(self.settings, self.store, self.audit_store)

    @cached_property
    def kafka(self) -> KafkaSettings:
        """The region's Kafka (`relay`, `project` and `feeds` refuse to start without it, naming themselves)."""
        return self.settings.kafka_for("relay")

    @cached_property
    def producer(self) -> KafkaProducer:
        producer = make_producer(self.kafka)
        self._closed_later(producer.close)
        return producer

    def relay(self, producer: KafkaProducer | None = None) -> Relay:
        """The store's relay to the region's topic (the bench's freshness run: with a producer of its own)."""
        return Relay(
            self.store,
            producer or self.producer,
            topic=self.kafka.topic,
            source=self.settings.region_source,
            dsn=self.read_models_dsn,
            schema_base=self.settings.schema_base_url,
        )

    def projection_worker(
        self, group: str = DEFAULT_GROUP, projection: Projection | None = None
    ) -> KafkaProjectionWorker:
        worker = KafkaProjectionWorker(
            self.kafka.client_options(),
            topic=self.kafka.topic,
            dsn=self.prepared_read_models,
            group=group,
            projection=projection,
        )
        self._closed_later(worker.close)
        return worker

    def feed_router(self) -> FeedRouter:
        router = FeedRouter(
            self.kafka.client_options(),
            self.producer,
            topic=self.kafka.topic,
            dsn=self.read_models_dsn,
            record_disclosures=self.audit.record_disclosures,
            record_at_version=self.care_records.record_at_version,
            nhs_number_of=self.care_records.nhs_number_of,
            schema_base=self.settings.schema_base_url,
            shared_plans=SharedPlans(
                grants=lambda: self.audit.urgent_care_sharing().granted,
                record_now=self.care_records.record_now,
                last_position=self.store.last_position,
                source=self.settings.region_source,
            ),
            unconfirmed_lasts=timedelta(days=self.settings.unconfirmed_relationship_days),
        )
        self._closed_later(router.close)
        return router


def build_services(
    settings: Settings,
    database: DatabaseLocation | None = None,
    *,
    feeding: Feeding = Feeding.AFTER_EACH_APPEND,
    back_fill_at_start: bool = True,
) -> Services:
    """Services as the API starts them: the read models caught up from the store (without Kafka; unless
    `back_fill_at_start` is off), the access log from the audit, and the checkpoint key at hand."""
    services = Services(settings, database, feeding=feeding, back_fill_at_start=back_fill_at_start)
    _ = (services.prepared_read_models, services.care_records, services.audit, services.checkpoints)
    return services


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


def build_investigations(services: Services) -> Investigations:
    return Investigations(
        services.store,
        services.audit_store,
        ReadModels(services.read_models_dsn),
        services.checkpoints,
        clock=_now,
    )


DemoSignIn = Callable[[str], list[tuple[str, str, str]]]
"""For a demo store, who to sign in as, from its read models: given by the demo command (the tools are its own)."""


def build_api(settings: Settings, services: Services, demo_sign_in: DemoSignIn | None = None) -> Api:
    demo = is_demo(services.read_models_dsn)
    dsn = services.read_models_dsn
    return Api(
        care_records=services.care_records,
        read_models=ReadModels(services.read_models_dsn),
        audit=services.audit,
        investigations=build_investigations(services),
        verifier=_token_verifier(settings),
        clock=_now,
        reading=build_reading(services, timedelta(days=settings.unconfirmed_relationship_days)),
        break_glass_lasts=timedelta(seconds=settings.break_glass_seconds),
        oversight=OversightViews(services.read_models_dsn, demo=demo),
        refusals=RefusalLog(services.read_models_dsn, services.audit.record_refusal),
        staff_training=StaffTrainingReports(services.read_models_dsn),
        local_forms=LocalFormMappings(services.read_models_dsn),
        held_submissions=HeldSubmissions(services.read_models_dsn),
        register=build_register(services.read_models_dsn),
        demo_sign_in=partial(demo_sign_in, dsn) if demo and demo_sign_in is not None else None,
    )


def build_register(dsn: str) -> Register:
    """The organisation register (reference data in the read-model database) as the grant rules read it."""

    def entry(code: str) -> RegisterEntry | None:
        found = registered_organisation(dsn, code)
        if found is None:
            return None
        return RegisterEntry(found.ods_code, found.icb_code, found.urgent_and_emergency_care)

    return Register(entry=entry, is_board=lambda code: bool(board_organisations(dsn, code)))


def _token_verifier(settings: Settings) -> TokenVerifier:
    if settings.jwks_file is not None:
        jwks = load_jwks(settings.jwks_file)
    else:
        jwks = development_keys(settings.data_dir).jwks
    return TokenVerifier(TokenSettings(settings.jwt_issuer, settings.jwt_audience, jwks))


def build_reading(services: Services, unconfirmed_lasts: timedelta) -> ReadAccess:
    """Reads are decided from the record in the store; an assurance team's board from the organisation
    register."""
    dsn = services.read_models_dsn
    return ReadAccess(
        services.care_records.find,
        services.audit,
        lambda board: board_organisations(dsn, board),
        clock=_now,
        unconfirmed_lasts=unconfirmed_lasts,
    )


def build_app(
    settings: Settings, services: Services | None = None, demo_sign_in: DemoSignIn | None = None
) -> Starlette:
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
    api = build_api(settings, services, demo_sign_in)
    sessions = Sessions(
        settings.session_secret or local_session_secret(settings),
        ended=EndedSessions(services.read_models_dsn),
    )
    portal = Portal(api, sessions)
    schema = build_schema(production=settings.production)
    return create_app(
        schema,
        health,
        lag.prometheus,
        api=api,
        limits=limits,
        pages=portal.routes(),
        schemas=partial(published_schema, schema_base=settings.schema_base_url),
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


def _timed(work: Callable[[], object], took: Callable[[float], None]) -> Callable[[], None]:
    def run() -> None:
        started = time.perf_counter()
        work()
        took(time.perf_counter() - started)

    return run


def _local_index_key(settings: Settings) -> bytes:
    """Without CARERECORD_INDEX_KEY, a key generated once and kept (mode 0600) in the data folder."""
    return _kept_secret(Path(settings.data_dir) / "index.key")


def local_session_secret(settings: Settings) -> bytes:
    """Without CARERECORD_SESSION_SECRET, a key generated once and kept (mode 0600) in the data folder, so that
    portal sessions survive a restart. Several API processes behind one address need the setting instead."""
    return _kept_secret(Path(settings.data_dir) / "session-secret.key")


def _kept_secret(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(secrets.token_bytes(32))
        path.chmod(0o600)
    return path.read_bytes()
