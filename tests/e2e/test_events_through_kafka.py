"""Events reach Kafka in order per person, nothing lost, nothing applied twice; read models built from them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from typing import Any

import pytest
from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient

from carerecord.bootstrap import make_producer
from carerecord.kafka_setup import region_acls
from carerecord.settings import load_settings
from carerecord_events.codec import UnknownEventType
from carerecord_messaging.kafka_worker import KafkaProjectionWorker
from carerecord_messaging.rebuild import (
    IncompleteTopic,
    check_topic_complete,
    rebuild_from_kafka,
    rebuild_from_store,
)
from carerecord_messaging.relay import Relay
from carerecord_messaging.wire import WireEvent, to_message
from carerecord_projections.database import transaction
from carerecord_projections.schema import read_model_checksum
from tests.builders import recommendation, register, valid_nhs_numbers
from tests.conftest import CareRecordStack, dsn, kafka_options, wait_until


def populate(stack: CareRecordStack, people: int, start: int = 401_000_000) -> int:
    """Registers people with one recommendation each; returns how many events that stored (index included)."""
    for number in valid_nhs_numbers(people, start=start):
        record_id = stack.care_records.register_person(register(nhs_number=number)).record_id
        stack.care_records.execute(record_id, recommendation())
    return stack.store.last_position()


def relay_for(
    stack: CareRecordStack, infra: dict[str, str], topic: str, database_dsn: str
) -> tuple[Relay, Any]:
    producer = KafkaProducer(
        **kafka_options(infra, "relay"), acks="all", enable_idempotence=True, linger_ms=5
    )
    return Relay(
        stack.store, producer, topic=topic, source="/carerecord/regions/test", dsn=database_dsn
    ), producer


def publish_everything(stack: CareRecordStack, infra: dict[str, str], topic: str, database_dsn: str) -> Relay:
    """Relays every event in the store to the topic, as the relay principal, and closes its producer."""
    relay, producer = relay_for(stack, infra, topic, database_dsn)
    while relay.publish_available():
        pass
    producer.close()
    return relay


def timeline_rows(database_dsn: str) -> int:
    with transaction(database_dsn) as cursor:
        cursor.execute("SELECT count(*) FROM person_timeline")
        return int(cursor.fetchone()[0])


def checksum(database_dsn: str) -> str:
    with transaction(database_dsn) as cursor:
        return read_model_checksum(cursor)


def drain(worker: KafkaProjectionWorker, database_dsn: str, expected_rows: int) -> None:
    # generous: on a freshly formatted broker the first consumer group can take a while to be coordinated
    wait_until(
        lambda: worker.poll_once(200) >= 0 and timeline_rows(database_dsn) >= expected_rows, timeout=180
    )


def test_n_events_in_n_timeline_rows_out_and_the_plan_is_correct(
    plain: CareRecordStack, infra: dict[str, str], topic: str, test_database_url: str
) -> None:
    database_dsn = dsn(test_database_url, plain.schema)
    stored = populate(plain, 10)
    relay = publish_everything(plain, infra, topic, database_dsn)
    assert relay.checkpoint() == stored
    worker = KafkaProjectionWorker(
        kafka_options(infra, "projector"),
        topic=topic,
        dsn=database_dsn,
        group=f"carerecord-projections-{topic}",
    )
    drain(worker, database_dsn, 20)
    worker.close()
    assert timeline_rows(database_dsn) == stored - 10  # every event except the 10 NHS-number index entries
    with transaction(database_dsn) as cursor:
        cursor.execute("SELECT document->'plans' FROM current_plan")
        plans = [row[0] for row in cursor.fetchall()]
    assert len(plans) == 10
    for plan in plans:
        (only,) = plan.values()
        assert only["status"] == "active"
        assert only["cpr_code"] == "450476008"
        assert "does not limit any other treatment" in only["cpr"]


def test_the_projector_principal_may_not_write_and_the_relay_may_not_read(
    infra: dict[str, str], topic: str
) -> None:
    from kafka import KafkaConsumer
    from kafka.errors import KafkaError

    producer = KafkaProducer(**kafka_options(infra, "projector"), max_block_ms=5000)
    with pytest.raises(KafkaError, match="Authorization"):
        producer.send(topic, b"x").get(timeout=10)
    producer.close()
    consumer = KafkaConsumer(
        topic,
        **kafka_options(infra, "relay"),
        group_id="carerecord-projections-relay",
        consumer_timeout_ms=3000,
    )
    with pytest.raises(KafkaError, match="Authorization"):
        list(consumer)
    consumer.close()


def _process_env(
    infra: dict[str, str], principal: str, topic: str, database_url: str, schema: str
) -> dict[str, str]:
    """The environment of a carerecord process running as `principal` on a test schema and topic."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": database_url,
        "CARERECORD_SCHEMA": schema,
        "KAFKA_BOOTSTRAP_SERVERS": infra["KAFKA_BOOTSTRAP_SERVERS"],
        "KAFKA_USERNAME": principal,
        "KAFKA_PASSWORD": infra[f"KAFKA_{principal.upper()}_PASSWORD"],
        "KAFKA_TOPIC": topic,
    }


def _relay_process(
    infra: dict[str, str], topic: str, database_url: str, schema: str
) -> subprocess.Popen[bytes]:
    env = _process_env(infra, "relay", topic, database_url, schema)
    return subprocess.Popen(
        [sys.executable, "-m", "carerecord.cli", "relay"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_the_relay_killed_and_restarted_mid_stream_loses_nothing(
    plain: CareRecordStack, infra: dict[str, str], topic: str, test_database_url: str
) -> None:
    database_dsn = dsn(test_database_url, plain.schema)
    relay_checkpoint = lambda: _checkpoint(database_dsn, topic)  # noqa: E731
    writing = threading.Thread(target=populate, args=(plain, 150))
    process = _relay_process(infra, topic, test_database_url, plain.schema)
    writing.start()
    wait_until(lambda: relay_checkpoint() > 20)
    process.send_signal(signal.SIGKILL)
    process.wait()
    writing.join()
    restarted = _relay_process(infra, topic, test_database_url, plain.schema)
    try:
        wait_until(lambda: relay_checkpoint() == plain.store.last_position(), timeout=120)
    finally:
        restarted.terminate()
        restarted.wait()
    check_topic_complete(kafka_options(infra), topic, plain.store.last_position())  # raises if any is missing
    last = plain.store.last_position()
    # A store whose positions skip a number (a rolled-back insert, a crash) is complete when its own positions are
    # on the topic; a position the store holds but the topic lacks is still refused.
    check_topic_complete(kafka_options(infra), topic, last + 5, stored_positions=set(range(1, last + 1)))
    with pytest.raises(IncompleteTopic, match="lacks 1 of the store's"):
        check_topic_complete(
            kafka_options(infra), topic, last + 5, stored_positions={*range(1, last + 1), last + 3}
        )


def _checkpoint(database_dsn: str, topic: str) -> int:
    with transaction(database_dsn) as cursor:
        cursor.execute("SELECT position FROM relay_checkpoint WHERE topic = %s", (topic,))
        row = cursor.fetchone()
        return int(row[0]) if row else 0


def test_duplicated_delivery_changes_nothing_and_matches_a_clean_rebuild(
    plain: CareRecordStack, infra: dict[str, str], topic: str, test_database_url: str
) -> None:
    database_dsn = dsn(test_database_url, plain.schema)
    populate(plain, 8)
    relay, producer = relay_for(plain, infra, topic, database_dsn)
    while relay.publish_available():
        pass
    with transaction(database_dsn) as cursor:  # the relay forgets: everything is sent a second time
        cursor.execute("UPDATE relay_checkpoint SET position = 0 WHERE topic = %s", (topic,))
    while relay.publish_available():
        pass
    producer.close()
    worker = KafkaProjectionWorker(
        kafka_options(infra, "projector"),
        topic=topic,
        dsn=database_dsn,
        group=f"carerecord-projections-{topic}",
    )
    drain(worker, database_dsn, 16)
    wait_until(lambda: worker.poll_once(200) == 0 and sum(worker.lag().values()) == 0)
    worker.close()
    incremental = checksum(database_dsn)
    assert timeline_rows(database_dsn) == 16
    rebuild_from_store(plain.store, database_dsn, as_of=None, progress=None)
    assert checksum(database_dsn) == incremental
    rebuild_from_kafka(
        kafka_options(infra),
        topic=topic,
        dsn=database_dsn,
        store_last=plain.store.last_position(),
        as_of=None,
        progress=None,
    )
    assert checksum(database_dsn) == incremental


def test_two_workers_share_the_partitions(
    plain: CareRecordStack, infra: dict[str, str], topic: str, test_database_url: str
) -> None:
    database_dsn = dsn(test_database_url, plain.schema)
    populate(plain, 30)
    publish_everything(plain, infra, topic, database_dsn)
    group = f"carerecord-projections-{topic}"
    workers = [
        KafkaProjectionWorker(kafka_options(infra, "projector"), topic=topic, dsn=database_dsn, group=group)
        for _ in range(2)
    ]
    stop = threading.Event()
    threads = [threading.Thread(target=worker.run, args=(stop,)) for worker in workers]
    for thread in threads:
        thread.start()
    try:
        wait_until(
            lambda: timeline_rows(database_dsn) == 60 and all(w._consumer.assignment() for w in workers)
        )
        shares = [len(worker._consumer.assignment()) for worker in workers]
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        for worker in workers:
            worker.close()
    assert sorted(shares) == [1, 2]
    assert sum(worker.applied for worker in workers) == 60


def test_an_incomplete_topic_is_refused_for_rebuild(
    plain: CareRecordStack, infra: dict[str, str], topic: str, test_database_url: str
) -> None:
    database_dsn = dsn(test_database_url, plain.schema)
    populate(plain, 3)
    relay, producer = relay_for(plain, infra, topic, database_dsn)
    relay.batch = 4
    relay.publish_available()  # only the first four positions reach the topic
    producer.close()
    rebuild_from_store(plain.store, database_dsn, as_of=None, progress=None)
    built = checksum(database_dsn)
    with pytest.raises(IncompleteTopic) as refused:
        rebuild_from_kafka(
            kafka_options(infra),
            topic=topic,
            dsn=database_dsn,
            store_last=plain.store.last_position(),
            as_of=None,
            progress=None,
        )
    assert "first missing: 5" in str(refused.value)
    assert checksum(database_dsn) == built  # the topic was read once; the refused rebuild rolled back


def test_an_unknown_event_type_stops_the_worker_loudly(
    plain: CareRecordStack, infra: dict[str, str], topic: str, test_database_url: str
) -> None:
    import uuid
    from datetime import UTC, datetime

    database_dsn = dsn(test_database_url, plain.schema)
    wire = WireEvent(
        1, uuid.uuid4(), 1, "PlanUpdated", 1, uuid.uuid4(), datetime.now(UTC), {"whole": "record"}
    )
    message = to_message(wire, "/carerecord/regions/test")
    producer = KafkaProducer(**kafka_options(infra))
    producer.send(topic, key=message.key, value=message.value, headers=list(message.headers.items())).get(10)
    producer.close()
    worker = KafkaProjectionWorker(
        kafka_options(infra, "projector"),
        topic=topic,
        dsn=database_dsn,
        group=f"carerecord-projections-{topic}",
    )
    try:
        with pytest.raises(UnknownEventType):
            wait_until(lambda: worker.poll_once(200) > 0, timeout=30)
    finally:
        worker.close()
    assert timeline_rows(database_dsn) == 0


def test_the_relay_producer_waits_for_all_replicas_and_is_idempotent(infra: dict[str, str]) -> None:
    settings = load_settings(
        {
            "KAFKA_BOOTSTRAP_SERVERS": infra["KAFKA_BOOTSTRAP_SERVERS"],
            "KAFKA_USERNAME": "relay",
            "KAFKA_PASSWORD": infra["KAFKA_RELAY_PASSWORD"],
        }
    )
    assert settings.kafka is not None
    producer = make_producer(settings.kafka)
    try:
        assert producer.config["acks"] in (-1, "all")
        assert producer.config["enable_idempotence"] is True
    finally:
        producer.close()


def _projector_process(
    infra: dict[str, str], topic: str, database_url: str, schema: str
) -> subprocess.Popen[bytes]:
    env = _process_env(infra, "projector", topic, database_url, schema)
    command = [
        sys.executable,
        "-m",
        "carerecord.cli",
        "project",
        "--group",
        f"carerecord-projections-{topic}",
    ]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_a_worker_killed_mid_batch_converges_to_a_clean_rebuild(
    plain: CareRecordStack, infra: dict[str, str], topic: str, test_database_url: str
) -> None:
    database_dsn = dsn(test_database_url, plain.schema)
    populate(plain, 200)
    publish_everything(plain, infra, topic, database_dsn)
    expected = plain.store.last_position() - 200  # without the NHS number index entries
    worker = _projector_process(infra, topic, test_database_url, plain.schema)
    wait_until(lambda: timeline_rows(database_dsn) > 0)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    assert timeline_rows(database_dsn) < expected, "killed before it finished"
    restarted = _projector_process(infra, topic, test_database_url, plain.schema)
    try:
        wait_until(lambda: timeline_rows(database_dsn) == expected, timeout=120)
    finally:
        restarted.terminate()
        restarted.wait()
    incremental = checksum(database_dsn)
    rebuild_from_store(plain.store, database_dsn, as_of=None, progress=None)
    assert checksum(database_dsn) == incremental


def test_the_relay_creates_a_missing_topic_as_a_full_history(
    plain: CareRecordStack, infra: dict[str, str], unique_name: str, test_database_url: str
) -> None:
    from kafka.admin import ConfigResource, ConfigResourceType

    admin = KafkaAdminClient(**kafka_options(infra))
    admin.create_acls(region_acls(unique_name))  # the ACLs exist; the topic does not yet
    populate(plain, 2)
    process = _relay_process(infra, unique_name, test_database_url, plain.schema)
    try:
        database_dsn = dsn(test_database_url, plain.schema)
        wait_until(lambda: _checkpoint(database_dsn, unique_name) == plain.store.last_position())
    finally:
        process.terminate()
        process.wait()
    described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, unique_name)])
    admin.close()
    configs = next(iter(next(iter(described.values())).values()))
    assert configs["cleanup.policy"]["value"] == "delete"
    assert configs["retention.ms"]["value"] == "-1"


def test_rebalances_while_two_workers_run_under_steady_load_converge_to_a_clean_rebuild(
    plain: CareRecordStack, infra: dict[str, str], topic: str, test_database_url: str
) -> None:
    """A second worker joins mid-stream (rebalance), the first leaves gracefully (rebalance), a third process
    joins and is SIGKILLed (rebalance after its session times out): nothing missing, nothing applied twice."""

    database_dsn = dsn(test_database_url, plain.schema)
    people = 150
    relay, producer = relay_for(plain, infra, topic, database_dsn)
    group = f"carerecord-projections-{topic}"

    def new_worker() -> KafkaProjectionWorker:
        return KafkaProjectionWorker(
            kafka_options(infra, "projector"), topic=topic, dsn=database_dsn, group=group
        )

    stop_relay, stop_first, stop_second = threading.Event(), threading.Event(), threading.Event()
    first, second = new_worker(), new_worker()
    numbers = iter(valid_nhs_numbers(people, start=406_000_000))

    second_joined = threading.Event()

    def steady_load() -> None:
        # paced by the projection's progress: never more than ten people ahead of the timeline, so the load
        # lasts as long as the workers take; and halfway it waits until the second worker has its partitions,
        # so that it joins mid-stream however fast the projection runs (it once outran the group's rebalance)
        for written, number in enumerate(numbers, start=1):
            record_id = plain.care_records.register_person(register(nhs_number=number)).record_id
            plain.care_records.execute(record_id, recommendation())
            wait_until(lambda: timeline_rows(database_dsn) >= 2 * (written - 10), timeout=180)  # noqa: B023
            if written == people // 2:
                second_joined.wait(timeout=180)

    threads = {
        "relay": threading.Thread(target=relay.run, args=(stop_relay,)),
        "first": threading.Thread(target=first.run, args=(stop_first,)),
        "second": threading.Thread(target=second.run, args=(stop_second,)),
        "load": threading.Thread(target=steady_load),
    }
    expected = people * 2
    killed = None
    try:
        threads["relay"].start()
        threads["load"].start()
        threads["first"].start()
        wait_until(lambda: timeline_rows(database_dsn) > 30, timeout=180)
        threads["second"].start()  # rebalance: the group splits the partitions
        wait_until(lambda: bool(second._consumer.assignment()) and timeline_rows(database_dsn) > 100)
        assert threads["load"].is_alive(), "the second worker joined mid-stream"
        second_joined.set()
        stop_first.set()  # graceful leave: the first worker's partitions move to the second
        threads["first"].join(timeout=60)
        first.close()
        wait_until(lambda: len(second._consumer.assignment()) == 3, timeout=60)
        killed = _projector_process(infra, topic, test_database_url, plain.schema)
        wait_until(lambda: len(second._consumer.assignment()) < 3, timeout=60)  # the third took a share
        killed.send_signal(signal.SIGKILL)  # its share returns to the second after the session timeout
        killed.wait()
        threads["load"].join()
        wait_until(lambda: relay.checkpoint() == plain.store.last_position(), timeout=120)
        wait_until(lambda: timeline_rows(database_dsn) == expected, timeout=180)
        wait_until(lambda: len(second._consumer.assignment()) == 3, timeout=60)
    finally:
        if killed is not None and killed.poll() is None:
            killed.kill()
            killed.wait()
        for event in (second_joined, stop_relay, stop_first, stop_second):
            event.set()
        for thread in threads.values():
            if thread.ident is not None:
                thread.join(timeout=60)
        first.close()
        second.close()
        producer.close()
    with transaction(database_dsn) as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT record_id FROM person_timeline GROUP BY record_id "
            "HAVING min(version) <> 1 OR max(version) <> count(*) OR count(*) <> 2) broken"
        )
        assert cursor.fetchone()[0] == 0, "every record's timeline is versions 1 and 2, once each"
        cursor.execute("SELECT count(*), coalesce(sum(version), 0) FROM projected_records")
        assert cursor.fetchone() == (people, expected)
    incremental = checksum(database_dsn)
    rebuild_from_store(plain.store, database_dsn, as_of=None, progress=None)
    assert checksum(database_dsn) == incremental
