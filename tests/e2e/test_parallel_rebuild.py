"""A rebuild from Kafka shared out by partition, one worker process each, gives the read models a serial rebuild
gives, table by table (the projector's record states included); a refused one leaves them as they were."""

from __future__ import annotations

import pytest

from carerecord_messaging.rebuild import IncompleteTopic, rebuild_from_kafka
from carerecord_projections.database import transaction
from carerecord_projections.staging import REBUILT_TABLES, staging_schema
from tests.conftest import CareRecordStack, dsn, kafka_options
from tests.e2e.test_events_through_kafka import checksum, populate, publish_everything, relay_for


def _tables(database_dsn: str) -> dict[str, tuple[int, str]]:
    """Every rebuilt table's row count and the md5 of its rows in key order (projected_records too)."""
    found = {}
    with transaction(database_dsn) as cursor:
        for table in REBUILT_TABLES:
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} t"
            )
            count, digest = cursor.fetchone()
            found[table] = (int(count), str(digest))
    return found


def _rebuild(infra: dict[str, str], topic: str, database_dsn: str, last: int, workers: int | None) -> int:
    return rebuild_from_kafka(
        kafka_options(infra),
        topic=topic,
        dsn=database_dsn,
        store_last=last,
        as_of=None,
        progress=None,
        workers=workers,
    )


def test_partitions_rebuilt_in_parallel_give_the_serial_rebuilds_read_models(
    plain: CareRecordStack, infra: dict[str, str], topic: str, test_database_url: str
) -> None:
    database_dsn = dsn(test_database_url, plain.schema)
    last = populate(plain, 24)
    publish_everything(plain, infra, topic, database_dsn)
    serial_applied = _rebuild(infra, topic, database_dsn, last, workers=1)
    serial, serial_tables = checksum(database_dsn), _tables(database_dsn)
    assert serial_tables["current_plan"][0] == 24 and serial_tables["projected_records"][0] == 24
    with transaction(database_dsn) as cursor:  # the parallel rebuild must empty what it replaces
        cursor.execute("UPDATE current_plan SET family_name = 'stale'")
    progress: list[tuple[int, int]] = []
    parallel_applied = rebuild_from_kafka(
        kafka_options(infra),
        topic=topic,
        dsn=database_dsn,
        store_last=last,
        as_of=None,
        progress=lambda done, total: progress.append((done, total)),
    )  # one worker per partition: the topic has three
    assert parallel_applied == serial_applied == 48
    assert checksum(database_dsn) == serial
    assert _tables(database_dsn) == serial_tables
    assert progress and progress[-1] == (last, last)
    assert _rebuild(infra, topic, database_dsn, last, workers=2) == 48  # two workers, one with two partitions
    assert _tables(database_dsn) == serial_tables
    with transaction(database_dsn) as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname = %s", (staging_schema(plain.schema),)
        )
        assert cursor.fetchone()[0] == 0  # swapped in and dropped


def test_a_parallel_rebuild_of_an_incomplete_topic_is_refused_and_leaves_the_read_models_as_they_were(
    plain: CareRecordStack, infra: dict[str, str], topic: str, test_database_url: str
) -> None:
    database_dsn = dsn(test_database_url, plain.schema)
    last = populate(plain, 6)
    relay, producer = relay_for(plain, infra, topic, database_dsn)
    relay.batch = 4
    relay.publish_available()  # only the first four positions reach the topic
    producer.close()
    _rebuild(infra, topic, database_dsn, 4, workers=1)
    before = _tables(database_dsn)
    with pytest.raises(IncompleteTopic) as refused:
        _rebuild(infra, topic, database_dsn, last, workers=3)
    assert "first missing: 5" in str(refused.value)
    assert _tables(database_dsn) == before
    with transaction(database_dsn) as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname = %s", (staging_schema(plain.schema),)
        )
        assert cursor.fetchone()[0] == 0  # the rebuilt read models were dropped
