"""Rebuilding every read model from scratch, from the event store or from Kafka.

From Kafka it first checks that the topic is complete (every store position from the first to the store's last
is on it) and refuses otherwise. "As of" a position means: stop there. A rebuilt read model is identical to the
one built incrementally (a test compares their checksums).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from carerecord_messaging.store_feeder import Progress, StoreFeeder
from carerecord_messaging.wire import POSITION_HEADER, from_message
from carerecord_projections.database import prepare, transaction
from carerecord_projections.projector import apply_batch, decode
from carerecord_projections.registry import ADDITIONAL_PROJECTIONS
from carerecord_projections.schema import truncate_read_models
from carerecord_services.event_log import EventLog


class IncompleteTopic(Exception):
    """The topic lacks store positions, so a rebuild from it would silently miss events."""


def rebuild_from_store(store: EventLog, dsn: str, *, as_of: int | None, progress: Progress | None) -> int:
    prepare(dsn)
    with transaction(dsn) as cursor:
        truncate_read_models(cursor)
    return StoreFeeder(store, dsn, consumer="in-process").catch_up(stop_at=as_of, progress=progress)


def rebuild_into(store: EventLog, scratch_dsn: str, *, progress: Progress | None) -> None:
    """Every read model of the clinical store, the ones fed on their own too, rebuilt into the (empty) schema
    `scratch_dsn` names (the access audit's are the caller's: they are fed from the audit store)."""
    rebuild_from_store(store, scratch_dsn, as_of=None, progress=progress)
    for projection in ADDITIONAL_PROJECTIONS.values():
        StoreFeeder(store, scratch_dsn, projection=projection()).catch_up()


def rebuild_from_kafka(
    client_options: dict[str, Any],
    *,
    topic: str,
    dsn: str,
    store_last: int,
    as_of: int | None,
    progress: Progress | None,
    stored_positions: Collection[int] | None = None,
) -> int:
    """`stored_positions`: the positions the store really holds. Positions can skip numbers (a rolled-back
    insert, a crash), so when they are given the topic is checked against them rather than 1..last."""
    last = store_last if as_of is None else min(as_of, store_last)
    check_topic_complete(client_options, topic, last, stored_positions)
    prepare(dsn)
    with transaction(dsn) as cursor:
        truncate_read_models(cursor)
    applied = seen = 0
    for messages in _read_whole_topic(client_options, topic):
        with transaction(dsn) as cursor:
            items = []
            for message in messages:
                wire = from_message(message.headers, message.key, message.value)
                seen += 1
                if wire.position <= last:
                    items.append(
                        (
                            wire.version,
                            decode(wire.position, wire.type_name, wire.schema_version, wire.payload),
                        )
                    )
            applied += apply_batch(cursor, items)
        if progress:
            progress(min(seen, last), last)
    return applied


def check_topic_complete(
    client_options: dict[str, Any], topic: str, last: int, stored_positions: Collection[int] | None = None
) -> None:
    present: set[int] = set()
    for messages in _read_whole_topic(client_options, topic):
        for message in messages:
            position = dict(message.headers).get(POSITION_HEADER)
            if position is not None:
                present.add(int(position))
    expected = (
        range(1, last + 1) if stored_positions is None else sorted(p for p in stored_positions if p <= last)
    )
    missing = [position for position in expected if position not in present]
    if missing:
        raise IncompleteTopic(
            f"topic {topic} lacks {len(missing)} of the store's {len(expected)} positions (first missing: {missing[0]}); "
            "rebuild from the store, or let the relay catch up"
        )


def _read_whole_topic(client_options: dict[str, Any], topic: str) -> Iterator[list[Any]]:
    """Every message, partition by partition in offset order, in batches; no consumer group, no commits."""
    consumer = KafkaConsumer(**client_options, group_id=None, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        if not partitions:
            raise IncompleteTopic(f"topic {topic} does not exist or cannot be read")
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if ends[tp] > 0}
        while remaining:
            for partition, messages in consumer.poll(timeout_ms=1000, max_records=1000).items():
                yield messages
                if messages[-1].offset + 1 >= ends[partition]:
                    remaining.discard(partition)
    finally:
        consumer.close()
