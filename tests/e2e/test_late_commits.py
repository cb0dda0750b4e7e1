"""Transactions that commit out of position order (issue 16 item 3): the relay never skips one committed late.

The store takes no lock through COMMIT, so a transaction can take a position and commit after another that took
a higher one. These tests make that happen through the real write path (use case, group writer, store) by
delaying commits on the server: a deferred constraint trigger, on the test's own copy of the events table,
waits at COMMIT, after the insert has taken its position and its transaction id. Then they check what the relay
published to a topic of the test's own.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import psycopg2
import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from carerecord_messaging.relay import Relay
from carerecord_messaging.wire import from_message
from carerecord_services.errors import VersionConflict
from carerecord_services.store import EventStore
from tests.builders import recommendation, register, valid_nhs_numbers
from tests.conftest import CareRecordStack, dsn, kafka_options, wait_until

HOLD_KEY = 716_016_003  # the advisory lock the test holds to keep chosen commits waiting


def _events_table(schema: str) -> str:
    return f"{schema}.carerecord_events"


@pytest.fixture
def database(test_database_url: str) -> Iterator[Any]:
    connection = psycopg2.connect(test_database_url)
    connection.autocommit = True
    yield connection
    connection.close()


def _hold_commits_of_listed_records(database: Any, schema: str) -> None:
    """A transaction writing to a record listed in `held_records` waits at COMMIT while HOLD_KEY is held."""
    with database.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {schema}.held_records (record_id uuid PRIMARY KEY)")
        cursor.execute(
            f"""CREATE FUNCTION {schema}.wait_if_held() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF EXISTS (SELECT 1 FROM {schema}.held_records WHERE record_id = NEW.originator_id) THEN
                    PERFORM pg_advisory_xact_lock_shared({HOLD_KEY});
                END IF;
                RETURN NULL;
            END $$"""
        )
        cursor.execute(
            f"""CREATE CONSTRAINT TRIGGER wait_if_held AFTER INSERT ON {_events_table(schema)}
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {schema}.wait_if_held()"""
        )


def _delay_every_commit_and_note_its_order(database: Any, schema: str) -> None:
    """Every transaction waits 0-15 ms at COMMIT, row by row, and notes each row's position as it commits."""
    with database.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {schema}.commit_order (seq bigserial, position bigint)")
        cursor.execute(
            f"""CREATE FUNCTION {schema}.delay_commit() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_sleep(random() * 0.015);
                INSERT INTO {schema}.commit_order (position) VALUES (NEW.notification_id);
                RETURN NULL;
            END $$"""
        )
        cursor.execute(
            f"""CREATE CONSTRAINT TRIGGER delay_commit AFTER INSERT ON {_events_table(schema)}
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {schema}.delay_commit()"""
        )


def _relay(stack: CareRecordStack, infra: dict[str, str], topic: str, database_url: str) -> tuple[Relay, Any]:
    producer = KafkaProducer(
        **kafka_options(infra, "relay"), acks="all", enable_idempotence=True, linger_ms=5
    )
    relay = Relay(
        stack.store,
        producer,
        topic=topic,
        source="/carerecord/regions/test",
        dsn=dsn(database_url, stack.schema),
    )
    return relay, producer


def _topic(infra: dict[str, str], topic: str) -> list[tuple[int, int, UUID]]:
    """(partition, position, record) of every message, each partition in offset order."""
    consumer = KafkaConsumer(**kafka_options(infra), group_id=None, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if ends[tp] > 0}
        found: list[tuple[int, int, UUID]] = []
        while remaining:
            for partition, messages in consumer.poll(timeout_ms=1000, max_records=1000).items():
                for message in messages:
                    wire = from_message(message.headers, message.key, message.value)
                    found.append((partition.partition, wire.position, wire.record_id))
                if messages[-1].offset + 1 >= ends[partition]:
                    remaining.discard(partition)
        return found
    finally:
        consumer.close()


def _stored_positions(store: EventStore) -> list[int]:
    positions: list[int] = []
    while batch := store.notifications(positions[-1] + 1 if positions else 1, 1000):
        positions += [notification.id for notification in batch]
    return positions


def _waiting_on_hold(database: Any) -> bool:
    with database.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s AND NOT granted",
            (HOLD_KEY,),
        )
        return bool(cursor.fetchone()[0])


def test_an_event_committed_after_a_later_position_is_published_first_and_nothing_is_skipped(
    plain: CareRecordStack, infra: dict[str, str], topic: str, test_database_url: str, database: Any
) -> None:
    first, second = valid_nhs_numbers(2, start=716_000_000)
    early = plain.care_records.register_person(register(nhs_number=first)).record_id
    late = plain.care_records.register_person(register(nhs_number=second)).record_id
    relay, producer = _relay(plain, infra, topic, test_database_url)
    while relay.publish_available():
        pass
    published = relay.checkpoint()
    assert published == plain.store.last_position()
    _hold_commits_of_listed_records(database, plain.schema)
    with database.cursor() as cursor:
        cursor.execute(f"INSERT INTO {plain.schema}.held_records VALUES (%s)", (early,))
        cursor.execute("SELECT pg_advisory_lock(%s)", (HOLD_KEY,))
    try:
        # transaction A takes its position, then waits at COMMIT
        a = threading.Thread(target=plain.care_records.execute, args=(early, recommendation()))
        a.start()
        wait_until(lambda: _waiting_on_hold(database), timeout=30, failure="A never reached its COMMIT")
        # transaction B takes a higher position and commits
        plain.care_records.execute(late, recommendation())
        with database.cursor() as cursor:
            cursor.execute(
                f"SELECT originator_id, notification_id FROM {_events_table(plain.schema)} "
                "WHERE notification_id > %s ORDER BY notification_id",
                (published,),
            )
            committed = cursor.fetchall()
        assert [UUID(str(record)) for record, _ in committed] == [late]  # B is committed; A is not yet
        b_position = committed[0][1]
        # the relay holds B back while A, with a lower position, may still commit
        assert plain.store.notifications_after(published, 100) == []
        assert relay.publish_available() == 0
        assert relay.checkpoint() == published
        assert all(position <= published for _, position, _ in _topic(infra, topic))
    finally:
        with database.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", (HOLD_KEY,))
    a.join(timeout=30)
    assert not a.is_alive()
    # once A has committed, the log offers both, A first (an unrelated transaction on the server can hold the
    # log back a little longer: xmin is server-wide)
    wait_until(lambda: len(plain.store.notifications_after(published, 100)) == 2, timeout=60)
    offered = [
        (each.position, each.stored.originator_id) for each in plain.store.notifications_after(published, 100)
    ]
    a_position = offered[0][0]
    assert offered == [(a_position, early), (b_position, late)]
    assert a_position < b_position  # A took the lower position and committed last
    assert relay.publish_available() == 2  # one batch, in that order
    producer.close()
    on_topic = sorted(
        (position, record) for _, position, record in _topic(infra, topic) if position > published
    )
    assert on_topic == offered  # both, none skipped, none twice


def test_under_load_with_commits_out_of_order_the_topic_holds_every_event_exactly_once(
    plain: CareRecordStack, infra: dict[str, str], topic: str, test_database_url: str, database: Any
) -> None:
    callers, commands_each = 12, 25
    people = [
        plain.care_records.register_person(register(nhs_number=number)).record_id
        for number in valid_nhs_numbers(callers * 2, start=716_100_000)
    ]
    _delay_every_commit_and_note_its_order(database, plain.schema)
    relay, producer = _relay(plain, infra, topic, test_database_url)
    stop = threading.Event()
    relaying = threading.Thread(target=relay.run, args=(stop, 0.001))
    relaying.start()
    conflicts = [0] * callers

    def caller(index: int) -> None:
        chooser = random.Random(index)
        for _ in range(commands_each):
            # two callers share each person, so some groups meet a version conflict and leave a position unused
            person = people[(index + chooser.randrange(2) * callers) % len(people)]
            try:
                plain.care_records.execute(person, recommendation())
            except VersionConflict:
                conflicts[index] += 1
            stop.wait(chooser.random() * 0.01)

    threads = [threading.Thread(target=caller, args=(index,)) for index in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        wait_until(lambda: relay.checkpoint() == plain.store.last_position(), timeout=120)
    finally:
        stop.set()
        relaying.join()
        producer.close()
    stored = _stored_positions(plain.store)
    on_topic = _topic(infra, topic)
    positions = [position for _, position, _ in on_topic]
    assert len(positions) == len(set(positions))  # nothing twice
    assert sorted(positions) == stored  # nothing missing, nothing that is not stored
    for partition in {partition for partition, _, _ in on_topic}:
        in_partition = [position for p, position, _ in on_topic if p == partition]
        assert in_partition == sorted(in_partition)  # in position order within each partition
    with database.cursor() as cursor:
        cursor.execute(f"SELECT position FROM {plain.schema}.commit_order ORDER BY seq")
        commit_order = [row[0] for row in cursor.fetchall()]
    # the load did commit out of position order (so the relay had late commits to wait for)
    assert commit_order != sorted(commit_order)
    assert sorted(commit_order) == [position for position in stored if position >= min(commit_order)]
    # what the relay's read relies on: a higher position always belongs to a later transaction (or the same)
    with database.cursor() as cursor:
        cursor.execute(
            f"SELECT transaction_id::text::bigint FROM {_events_table(plain.schema)} ORDER BY notification_id"
        )
        transactions = [row[0] for row in cursor.fetchall()]
    assert transactions == sorted(transactions)
    if sum(conflicts):  # a transaction that met a version conflict had taken positions: they stay unused
        assert stored != list(range(stored[0], stored[-1] + 1))


def test_a_transaction_open_elsewhere_on_the_server_does_not_hold_the_log_back(
    plain: CareRecordStack, database: Any, test_database_url: str
) -> None:
    """Only appends to the store hold the log back; a read model's or another database's long transaction
    does not, and a use case's own events can be read from the log as soon as it returns."""
    person = plain.care_records.register_person(
        register(nhs_number=valid_nhs_numbers(1, start=716_200_000)[0])
    )
    before = plain.store.last_position()
    with database.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {plain.schema}.elsewhere (n integer)")
    other = psycopg2.connect(test_database_url)
    try:
        with other.cursor() as cursor:  # a write transaction, left open
            cursor.execute(f"INSERT INTO {plain.schema}.elsewhere VALUES (1)")
            cursor.execute("SELECT pg_current_xact_id()::text::bigint")
            open_transaction = cursor.fetchone()[0]
        started = time.monotonic()
        plain.care_records.execute(person.record_id, recommendation())
        assert time.monotonic() - started < 1.0  # not waiting for the open transaction
        written = plain.store.notifications_after(before, 10)
        assert [(each.stored.originator_id, each.stored.originator_version) for each in written] == [
            (person.record_id, 2)
        ]
        assert plain.store.last_position() == written[0].position
        with database.cursor() as cursor:
            cursor.execute(
                f"SELECT transaction_id::text::bigint FROM {_events_table(plain.schema)} WHERE notification_id = %s",
                (written[0].position,),
            )
            assert cursor.fetchone()[0] > open_transaction  # a later transaction, read past the open one
    finally:
        other.rollback()
        other.close()


def test_the_log_is_never_read_under_one_snapshot_for_a_whole_transaction(
    plain: CareRecordStack, test_database_url: str
) -> None:
    """The log's bound is taken before its rows, each with a snapshot of its own; under a snapshot held from
    before the bound, an append that committed in between would be passed over. So that is refused."""
    plain.care_records.register_person(register(nhs_number=valid_nhs_numbers(1, start=716_300_000)[0]))
    connection = psycopg2.connect(test_database_url)
    try:
        connection.set_session(isolation_level="REPEATABLE READ")
        with connection.cursor() as cursor, pytest.raises(psycopg2.Error, match="read committed"):
            cursor.execute(
                f"SELECT * FROM {plain.schema}.carerecord_log_carerecord_events(0, NULL, NULL, 10)"
            )
        connection.rollback()
        connection.set_session(isolation_level="READ COMMITTED")
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*) FROM {plain.schema}.carerecord_log_carerecord_events(0, NULL, NULL, 10)"
            )
            assert cursor.fetchone()[0] == 2  # the registration and its NHS number index entry
    finally:
        connection.close()
