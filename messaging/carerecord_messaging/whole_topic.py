"""Reading the region's whole topic for a rebuild: every message of the partitions asked for, from their
beginning to their end as they stood when reading began, with no consumer group and no commits; and the store
positions seen on the way, one bit each."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from carerecord_messaging.wire import from_message
from carerecord_projections.projector import Positioned, decode


class IncompleteTopic(Exception):
    """The topic lacks store positions, so a rebuild from it would silently miss events."""


class Positions:
    """The store positions seen on the topic, up to `last`: one bit each."""

    def __init__(self, last: int) -> None:
        self._last = last
        self._seen = bytearray(last // 8 + 1)

    def add(self, position: int) -> None:
        if 0 < position <= self._last:
            self._seen[position >> 3] |= 1 << (position & 7)

    def __contains__(self, position: int) -> bool:
        return 0 < position <= self._last and bool(self._seen[position >> 3] & (1 << (position & 7)))

    def merge(self, other: Positions) -> None:
        """Adds the positions another reader saw (of other partitions, up to the same last position)."""
        assert other._last == self._last
        self._seen = bytearray(
            (int.from_bytes(self._seen, "little") | int.from_bytes(other._seen, "little")).to_bytes(
                len(self._seen), "little"
            )
        )

    def refuse_if_incomplete(self, topic: str, stored_positions: Collection[int] | None) -> None:
        """`stored_positions`: the positions the store really holds (they can skip numbers); without them,
        every position from 1 to the last."""
        last = self._last
        expected = (
            range(1, last + 1)
            if stored_positions is None
            else sorted(p for p in stored_positions if p <= last)
        )
        missing = [position for position in expected if position not in self]
        if missing:
            raise IncompleteTopic(
                f"topic {topic} lacks {len(missing)} of the store's {len(expected)} positions (first missing: "
                f"{missing[0]}); rebuild from the store, or let the relay catch up"
            )


def decoded(messages: list[Any], last: int, seen: Positions) -> list[tuple[int, Positioned]]:
    """The batch's events up to position `last`, each with its record version, their positions noted in `seen`."""
    items = []
    for message in messages:
        wire = from_message(message.headers, message.key, message.value)
        if wire.position <= last:
            seen.add(wire.position)
            items.append(
                (wire.version, decode(wire.position, wire.type_name, wire.schema_version, wire.payload))
            )
    return items


def partitions_of(client_options: dict[str, Any], topic: str) -> list[int]:
    consumer = KafkaConsumer(**client_options, group_id=None, enable_auto_commit=False)
    try:
        partitions = sorted(consumer.partitions_for_topic(topic) or [])
    finally:
        consumer.close()
    if not partitions:
        raise IncompleteTopic(f"topic {topic} does not exist or cannot be read")
    return partitions


def read_whole_topic(
    client_options: dict[str, Any], topic: str, only: Collection[int] | None = None
) -> Iterator[list[Any]]:
    """Every message of the topic's partitions (`only` these, if given), partition by partition in offset
    order, in batches."""
    consumer = KafkaConsumer(**client_options, group_id=None, enable_auto_commit=False)
    try:
        numbers = sorted(consumer.partitions_for_topic(topic) or [])
        partitions = [TopicPartition(topic, p) for p in numbers if only is None or p in only]
        if not partitions:
            raise IncompleteTopic(f"topic {topic} does not exist or cannot be read")
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        starts, ends = consumer.beginning_offsets(partitions), consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if ends[tp] > starts[tp]}
        while remaining:
            for partition, messages in consumer.poll(timeout_ms=1000, max_records=1000).items():
                yield messages
                if messages[-1].offset + 1 >= ends[partition]:
                    remaining.discard(partition)
    finally:
        consumer.close()
