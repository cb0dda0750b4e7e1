"""PostgreSQL restarted and killed under load (issue 7): a revocation is never lost, nothing is half-written.

These tests restart a PostgreSQL server of their own (see own_postgres.py), never the shared one; the relay
publishes to the shared Kafka broker on a topic of the test's own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

import psycopg2
import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from carerecord.database import event_store_env
from carerecord.settings import parse_database_url
from carerecord_events.vocabulary import RevocationInitiator
from carerecord_messaging.kafka_worker import KafkaProjectionWorker
from carerecord_messaging.rebuild import rebuild_from_store
from carerecord_messaging.relay import Relay
from carerecord_messaging.wire import POSITION_HEADER
from carerecord_projections.database import prepare, transaction
from carerecord_projections.schema import read_model_checksum
from carerecord_services import commands as c
from carerecord_services.errors import StoreUnavailable
from carerecord_services.integrity import verify_chains
from carerecord_services.service import CareRecordService, Idempotency
from carerecord_services.store import EventStore
from carerecord_services.writer import GroupWriter
from tests.builders import CONSULTANT, GP, recommendation, register, valid_nhs_numbers
from tests.conftest import CareRecordStack, kafka_options, open_stack, wait_until
from tests.e2e.own_postgres import OwnPostgres, own_postgres

T = TypeVar("T")
log = logging.getLogger("tests.faults")

SCHEMA = "faults"


@pytest.fixture
def server() -> Iterator[OwnPostgres]:
    with own_postgres() as started:
        connection = psycopg2.connect(started.database_url)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA {SCHEMA}")
        connection.close()
        yield started


def _stack(server: OwnPostgres, *, wait_for_a_connection: int | None = None) -> CareRecordStack:
    if wait_for_a_connection is None:
        return open_stack(server.database_url, SCHEMA, encrypted=False)
    env = event_store_env(parse_database_url(server.database_url), None, schema=SCHEMA)
    env["POSTGRES_CONNECT_TIMEOUT"] = str(wait_for_a_connection)
    store = EventStore(env)
    writer = GroupWriter(store.insert)
    from datetime import UTC, datetime

    service = CareRecordService(
        store, writer, clock=lambda: datetime.now(UTC), index_key=b"test-index-key-0123456789"
    )
    return CareRecordStack(store, writer, service, SCHEMA)


@dataclass
class Tally:
    """What the clinicians' commands met: successes, clear retryable refusals to wait, anything else."""

    succeeded: int = 0
    store_unavailable: int = 0
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # cleared while the test has the server down, set when it is back: a clinician told "try again" waits for it
    server_up: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.server_up.set()

    def attempt(self, action: Callable[[], T], deadline: float) -> T | None:
        """Runs `action` until it succeeds, the same request each time (same idempotency key)."""
        while time.monotonic() < deadline:
            try:
                result = action()
            except StoreUnavailable as away:
                assert "try again" in away.message and away.retryable
                with self.lock:
                    self.store_unavailable += 1
                self.server_up.wait(timeout=max(0.0, deadline - time.monotonic()))
                continue
            except Exception as error:  # anything else is a finding: the type only, never personal data
                with self.lock:
                    self.unexpected.append(f"{type(error).__module__}.{type(error).__name__}")
                return None
            with self.lock:
                self.succeeded += 1
            return result
        with self.lock:
            self.unexpected.append("gave up: the store never came back")
        return None


def _idempotency(user: str, key: str) -> Idempotency:
    return Idempotency(user, key, request_hash=f"request {key}")


def _care_for_one_person(service: CareRecordService, number: str, tally: Tally, deadline: float) -> None:
    """Register, recommend DNACPR, then revoke it: the revocation is the change that must never be lost."""
    registered = tally.attempt(
        lambda: service.register_person(
            register(nhs_number=number), idempotency=_idempotency(GP.user_id, f"register-{number}")
        ),
        deadline,
    )
    if registered is None:
        return
    record_id = registered.record_id
    made = tally.attempt(
        lambda: service.execute(
            record_id, recommendation(), idempotency=_idempotency(CONSULTANT.user_id, f"recommend-{number}")
        ),
        deadline,
    )
    if made is None:
        return
    record = tally.attempt(lambda: service.record(record_id), deadline)
    if record is None:
        return
    (plan_id,) = record.plans
    revoke = c.RevokePlan(
        actor=CONSULTANT,
        plan_id=plan_id,
        reason="She asked for CPR to be attempted.",
        initiated=RevocationInitiator.PERSON_REQUEST,
    )
    tally.attempt(
        lambda: service.execute(
            record_id, revoke, idempotency=_idempotency(CONSULTANT.user_id, f"revoke-{number}")
        ),
        deadline,
    )


def _positions_on_topic(infra: dict[str, str], topic: str) -> list[int]:
    """Every message's store position, read from the beginning of each partition to its end."""
    consumer = KafkaConsumer(**kafka_options(infra), group_id=None, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if ends[tp] > 0}
        positions: list[int] = []
        while remaining:
            for partition, messages in consumer.poll(timeout_ms=1000, max_records=1000).items():
                positions += [int(dict(m.headers)[POSITION_HEADER]) for m in messages]
                if messages[-1].offset + 1 >= ends[partition]:
                    remaining.discard(partition)
        return positions
    finally:
        consumer.close()


def _stored_positions(store: EventStore) -> list[int]:
    """The positions the store holds. Not always 1..last: a rolled-back insert, or a crash, skips some."""
    positions: list[int] = []
    while batch := store.notifications(positions[-1] + 1 if positions else 1, 1000):
        positions += [notification.id for notification in batch]
    return positions


def _scalar(database_dsn: str, query: str) -> int:
    with transaction(database_dsn) as cursor:
        cursor.execute(query)
        return int(cursor.fetchone()[0])


def _timeline_versions_contiguous(database_dsn: str) -> bool:
    """Per record, timeline versions 1..n with none missing and none twice (the primary key forbids twice)."""
    return (
        _scalar(
            database_dsn,
            "SELECT count(*) FROM (SELECT record_id FROM person_timeline GROUP BY record_id "
            "HAVING min(version) <> 1 OR max(version) <> count(*)) gaps",
        )
        == 0
    )


def test_postgres_restarted_and_killed_under_load_loses_no_revocation_and_store_topic_and_read_models_agree(
    server: OwnPostgres, infra: dict[str, str], topic: str
) -> None:
    people = 150
    stack = _stack(server)
    database_dsn = parse_database_url(server.database_url).dsn(SCHEMA)
    prepare(database_dsn)
    relay_store = EventStore(event_store_env(parse_database_url(server.database_url), None, schema=SCHEMA))
    producer = KafkaProducer(
        **kafka_options(infra, "relay"), acks="all", enable_idempotence=True, linger_ms=5
    )
    relay = Relay(relay_store, producer, topic=topic, source="/carerecord/regions/test", dsn=database_dsn)
    worker = KafkaProjectionWorker(
        kafka_options(infra, "projector"),
        topic=topic,
        dsn=database_dsn,
        group=f"carerecord-projections-{topic}",
    )
    stop = threading.Event()
    background = [
        threading.Thread(target=relay.run, args=(stop,)),
        threading.Thread(target=worker.run, args=(stop,)),
    ]
    for thread in background:
        thread.start()

    tally = Tally()
    numbers = valid_nhs_numbers(people, start=405_000_000)
    deadline = time.monotonic() + 240
    clinicians = [
        threading.Thread(
            target=lambda share: [
                _care_for_one_person(stack.care_records, n, tally, deadline) for n in share
            ],
            args=(numbers[i::6],),
        )
        for i in range(6)
    ]
    started = time.monotonic()
    timings: dict[str, float] = {}
    try:
        for thread in clinicians:
            thread.start()
        wait_until(lambda: tally.succeeded >= people, timeout=120)  # a quarter of the work done
        before = time.monotonic()
        tally.server_up.clear()
        server.restart()  # pg_ctl restart -m fast: every session ended mid-load
        tally.server_up.set()
        timings["restart"] = time.monotonic() - before
        wait_until(lambda: tally.succeeded >= people * 2, timeout=120)  # back at work: half done
        before = time.monotonic()
        tally.server_up.clear()
        heard = tally.store_unavailable
        server.kill()  # SIGKILL to the postmaster: crash recovery on the way back
        # down until the clinicians have met the dead server: a command of theirs has been told to try again
        wait_until(lambda: tally.store_unavailable > heard, timeout=120)
        server.start()
        tally.server_up.set()
        timings["kill and start"] = time.monotonic() - before
        for thread in clinicians:
            thread.join()
        timings["load"] = time.monotonic() - started
        assert tally.unexpected == [], "every command either succeeds or hears StoreUnavailable"
        assert tally.succeeded == people * 4  # register, recommend, read, revoke: each exactly once

        # nothing half-written: one registration, one recommendation, one revocation per person, chains intact
        store = stack.store
        last = store.last_position()
        stored = _stored_positions(store)
        assert len(stored) == people * 7  # 3 record events + 1 NHS number index entry + 3 remembered requests
        report = verify_chains(store)
        assert report.intact and report.events_checked == len(stored)
        for number in numbers:
            found = stack.care_records.find_record(number)
            assert found is not None
            types = [event.TYPE for event in stack.care_records.history(found)]
            assert types == ["PersonRegistered", "RecommendationMade", "PlanRevoked"]

        # the relay has published every position; the worker has projected every record event
        wait_until(lambda: relay.checkpoint() == last, timeout=120)
        record_events = people * 3
        wait_until(
            lambda: (
                _scalar(database_dsn, "SELECT count(*) FROM person_timeline") == record_events
                and _scalar(database_dsn, "SELECT coalesce(sum(version), 0) FROM projected_records")
                == record_events
            ),
            timeout=180,
        )
    finally:
        stop.set()
        for thread in background:
            thread.join(timeout=60)
        worker.close()
        producer.close()
        relay_store.close()

    on_topic = _positions_on_topic(infra, topic)
    assert set(on_topic) == set(stored), "every stored event is on the topic, and nothing else"
    assert _timeline_versions_contiguous(database_dsn)
    assert _scalar(database_dsn, "SELECT count(*) FROM decision_facts WHERE status = 'revoked'") == people
    assert _scalar(database_dsn, "SELECT count(*) FROM decision_facts WHERE status <> 'revoked'") == 0
    with transaction(database_dsn) as cursor:
        incremental = read_model_checksum(cursor)
    rebuild_from_store(stack.store, database_dsn, as_of=None, progress=None)
    with transaction(database_dsn) as cursor:
        assert read_model_checksum(cursor) == incremental
    stack.close()
    log.info(
        f"restart {timings['restart']:.2f}s, kill and start {timings['kill and start']:.2f}s, "
        f"load {timings['load']:.1f}s; {tally.store_unavailable} StoreUnavailable answers retried; "
        f"{len(on_topic) - len(stored)} duplicate deliveries on the topic; "
        f"{last - len(stored)} positions skipped by the store's sequence"
    )


def test_a_revocation_while_postgres_is_down_is_refused_retryably_and_recorded_once_when_retried(
    server: OwnPostgres,
) -> None:
    stack = _stack(server, wait_for_a_connection=1)
    service = stack.care_records
    record_id = service.register_person(register()).record_id
    service.execute(record_id, recommendation())
    (plan_id,) = service.record(record_id).plans
    revoke = c.RevokePlan(
        actor=CONSULTANT,
        plan_id=plan_id,
        reason="She asked for CPR to be attempted.",
        initiated=RevocationInitiator.PERSON_REQUEST,
    )
    key = _idempotency(CONSULTANT.user_id, "revoke-while-down")
    server.kill()
    began = time.monotonic()
    with pytest.raises(StoreUnavailable) as away:
        service.execute(record_id, revoke, idempotency=key)
    waited = time.monotonic() - began
    assert away.value.retryable and "try again" in away.value.message
    assert not isinstance(away.value.__cause__, StoreUnavailable)  # the driver's error stays as the cause
    server.start()
    retried = service.execute(record_id, revoke, idempotency=key)
    again = service.execute(record_id, revoke, idempotency=key)
    assert (retried.replayed, again.replayed) == (False, True)
    assert again.version == retried.version == 3
    assert [event.TYPE for event in service.history(record_id)].count("PlanRevoked") == 1
    assert verify_chains(stack.store).intact
    stack.close()
    log.info(f"StoreUnavailable after {waited:.1f}s with the server down")
