"""Rebuilding every read model from scratch, from the event store or from Kafka.

From Kafka the topic is read once: the read models are emptied and rebuilt in one transaction, which commits
only if the topic proved complete on the way (every store position from the first to the store's last is on
it); otherwise it rolls back, the read models stay as they were, and the rebuild is refused (IncompleteTopic).
While it runs, readers of the read models wait for it (their lock timeout answers "try again") rather than see
a half-built current plan. "As of" a position means: stop there. A rebuilt read model is identical to the one
built incrementally (a test compares their checksums).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from carerecord_messaging.store_feeder import Progress, StoreFeeder
from carerecord_messaging.wire import POSITION_HEADER, from_message
from carerecord_projections.database import prepare, transaction
from carerecord_projections.projector import ProjectionGap, apply_batch, decode
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
    prepare(dsn)
    present = _Positions(last)
    with transaction(dsn) as cursor:
        truncate_read_models(cursor)
        applied = seen = 0
        gap: ProjectionGap | None = None  # a missing event; the topic's completeness then says which
        for messages in _read_whole_topic(client_options, topic):
            items = []
            for message in messages:
                wire = from_message(message.headers, message.key, message.value)
                seen += 1
                if wire.position <= last:
                    present.add(wire.position)
                    item = decode(wire.position, wire.type_name, wire.schema_version, wire.payload)
                    items.append((wire.version, item))
            if gap is None:
                try:
                    applied += apply_batch(cursor, items)
                except ProjectionGap as found:
                    gap = found
            if progress:
                progress(min(seen, last), last)
        present.refuse_if_incomplete(topic, stored_positions)  # rolls the transaction back
        if gap is not None:
            raise gap
    return applied


class _Positions:
    """The store positions seen on the topic, up to `last`: one bit each."""

    def __init__(self, last: int) -> None:
        self._last = last
        self._seen = bytearray(last // 8 + 1)

    def add(self, position: int) -> None:
        if 0 < position <= self._last:
            self._seen[position >> 3] |= 1 << (position & 7)

    def __contains__(self, position: int) -> bool:
        return 0 < position <= self._last and bool(self._seen[position >> 3] & (1 << (position & 7)))

    def refuse_if_incomplete(self, topic: str, stored_positions: Collection[int] | None) -> None:
        _refuse_missing(topic, self, self._last, stored_positions)


def check_topic_complete(
    client_options: dict[str, Any], topic: str, last: int, stored_positions: Collection[int] | None = None
) -> None:
    present = _Positions(last)
    for messages in _read_whole_topic(client_options, topic):
        for message in messages:
            position = dict(message.headers).get(POSITION_HEADER)
            if position is not None:
                present.add(int(position))
    _refuse_missing(topic, present, last, stored_positions)


def _refuse_missing(
    topic: str, present: _Positions, last: int, stored_positions: Collection[int] | None
) -> None:
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
