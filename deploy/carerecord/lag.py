"""How far behind the relay and the projections are, and whether any has stopped: for /health and /metrics.

A stage is stalled when it has work pending and its position has not moved for CARERECORD_STALL_SECONDS
across the measurements taken (every /health and /metrics asks). Nothing else says so: a relay retrying a
message the broker refuses for ever, or a worker stopped on an event, looks up and healthy otherwise.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from carerecord.settings import KafkaSettings
from carerecord_messaging.kafka_worker import DEFAULT_GROUP
from carerecord_projections.database import transaction
from carerecord_services.store import EventStore

Clock = Callable[[], float]


@dataclass
class _Seen:
    position: int
    since: float


class StallWatch:
    """Remembers since when each stage has sat at the same position with work pending."""

    def __init__(self, stall_seconds: float, clock: Clock = time.monotonic) -> None:
        self._stall_seconds = stall_seconds
        self._clock = clock
        self._seen: dict[str, _Seen] = {}

    def observe(self, stage: str, position: int, pending: int) -> float | None:
        """Seconds the stage has been stuck at `position` with `pending` work, once that passes the limit."""
        now = self._clock()
        seen = self._seen.get(stage)
        if pending <= 0:
            self._seen.pop(stage, None)
            return None
        if seen is None or seen.position != position:
            self._seen[stage] = _Seen(position, now)
            return None
        stuck_for = now - seen.since
        return stuck_for if stuck_for >= self._stall_seconds else None


class LagGauge:
    def __init__(
        self, store: EventStore, dsn: str, kafka: KafkaSettings | None, stalls: StallWatch | None = None
    ) -> None:
        self._store = store
        self._dsn = dsn
        self._kafka = kafka
        self._stalls = stalls or StallWatch(60)

    def measure(self) -> dict[str, Any]:
        last = self._store.last_position()
        if self._kafka is None:
            applied = self._position("in-process")
            stalled = self._stall("projection in-process", applied, last - applied, store_after=applied)
            return {
                "store_position": last,
                "projection_lag": {"in-process": last - applied},
                "stalled": stalled,
            }
        checkpoint = self._relay_checkpoint()
        stalled = self._stall("relay", checkpoint, last - checkpoint, store_after=checkpoint)
        groups = self._group_lag()
        for group, partitions in groups.items():
            for partition, (offset, lag) in partitions.items():
                stalled += self._stall(
                    f"projection {group} partition {partition}", offset, lag, offset=offset
                )
        return {
            "store_position": last,
            "relay_lag": last - checkpoint,
            "projection_groups": sorted(groups),
            "projection_lag": {
                group: {partition: lag for partition, (_, lag) in partitions.items()}
                for group, partitions in groups.items()
            },
            "stalled": stalled,
        }

    def _stall(
        self,
        stage: str,
        position: int,
        pending: int,
        *,
        store_after: int | None = None,
        offset: int | None = None,
    ) -> list[dict[str, Any]]:
        stuck_for = self._stalls.observe(stage, position, pending)
        if stuck_for is None:
            return []
        stall: dict[str, Any] = {"stage": stage, "pending": pending, "seconds": round(stuck_for)}
        if store_after is not None:  # the event it cannot get past: the first one after its position
            following = self._store.notifications(store_after + 1, 1)
            stall["stuck_at_position"] = following[0].id if following else store_after + 1
        if offset is not None:
            stall["stuck_at_offset"] = offset
        return [stall]

    def prometheus(self) -> str:
        measured = self.measure()
        lines = [
            "# HELP carerecord_store_position The event store's last position.",
            "# TYPE carerecord_store_position gauge",
            f"carerecord_store_position {measured['store_position']}",
        ]
        if "relay_lag" in measured:
            lines += [
                "# HELP carerecord_relay_lag_events Events in the store not yet published to Kafka.",
                "# TYPE carerecord_relay_lag_events gauge",
                f"carerecord_relay_lag_events {measured['relay_lag']}",
            ]
        lines += [
            "# HELP carerecord_projection_lag_events Events not yet applied to the read models.",
            "# TYPE carerecord_projection_lag_events gauge",
        ]
        if "projection_groups" in measured:
            lines += [
                f'carerecord_projection_lag_events{{group="{group}",partition="{partition}"}} {lag}'
                for group, partitions in measured["projection_lag"].items()
                for partition, lag in partitions.items()
            ]
        else:
            lines += [
                f'carerecord_projection_lag_events{{partition="{partition}"}} {lag}'
                for partition, lag in measured["projection_lag"].items()
            ]
        lines += [
            "# HELP carerecord_stalled_stages Stages with work pending that have not advanced for the stall time.",
            "# TYPE carerecord_stalled_stages gauge",
            f"carerecord_stalled_stages {len(measured['stalled'])}",
        ]
        return "\n".join(lines) + "\n"

    def _position(self, consumer: str) -> int:
        with transaction(self._dsn) as cursor:
            cursor.execute("SELECT position FROM projection_position WHERE consumer = %s", (consumer,))
            row = cursor.fetchone()
            return int(row[0]) if row else 0

    def _relay_checkpoint(self) -> int:
        assert self._kafka is not None
        with transaction(self._dsn) as cursor:
            cursor.execute("SELECT position FROM relay_checkpoint WHERE topic = %s", (self._kafka.topic,))
            row = cursor.fetchone()
            return int(row[0]) if row else 0

    def _group_lag(self) -> dict[str, dict[str, tuple[int, int]]]:
        """(applied offset, lag) per partition for every consumer group the workers have used on the topic
        (each records its group beside its offsets); the default group before any worker has run."""
        assert self._kafka is not None
        ends = self._end_offsets()
        with transaction(self._dsn) as cursor:
            cursor.execute(
                "SELECT consumer, partition, next_offset FROM projection_offsets WHERE topic = %s",
                (self._kafka.topic,),
            )
            applied: dict[str, dict[int, int]] = {}
            for group, partition, offset in cursor.fetchall():
                applied.setdefault(group, {})[int(partition)] = int(offset)
        return {
            group: {str(p): (offsets.get(p, 0), end - offsets.get(p, 0)) for p, end in ends.items()}
            for group, offsets in (applied or {DEFAULT_GROUP: {}}).items()
        }

    def _end_offsets(self) -> dict[int, int]:
        assert self._kafka is not None
        from kafka import KafkaConsumer, TopicPartition

        consumer = KafkaConsumer(**self._kafka.client_options(), group_id=None, request_timeout_ms=5000)
        try:
            partitions = [
                TopicPartition(self._kafka.topic, p)
                for p in sorted(consumer.partitions_for_topic(self._kafka.topic) or [])
            ]
            ends = consumer.end_offsets(partitions) if partitions else {}
        finally:
            consumer.close()
        return {tp.partition: int(offset) for tp, offset in ends.items()}
