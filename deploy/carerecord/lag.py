"""How far behind the relay and the projections are: for /health and the Prometheus /metrics endpoint."""

from __future__ import annotations

from typing import Any

from carerecord.settings import KafkaSettings
from carerecord_projections.database import transaction
from carerecord_projections.kafka_worker import DEFAULT_GROUP
from carerecord_services.store import EventStore


class LagGauge:
    def __init__(self, store: EventStore, dsn: str, kafka: KafkaSettings | None) -> None:
        self._store = store
        self._dsn = dsn
        self._kafka = kafka

    def measure(self) -> dict[str, Any]:
        last = self._store.last_position()
        if self._kafka is None:
            return {
                "store_position": last,
                "projection_lag": {"in-process": last - self._position("in-process")},
            }
        return {
            "store_position": last,
            "relay_lag": last - self._relay_checkpoint(),
            "projection_lag": self._partition_lag(),
        }

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
        lines += [
            f'carerecord_projection_lag_events{{partition="{partition}"}} {lag}'
            for partition, lag in measured["projection_lag"].items()
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

    def _partition_lag(self) -> dict[str, int]:
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
        with transaction(self._dsn) as cursor:
            cursor.execute(
                "SELECT partition, next_offset FROM projection_offsets WHERE consumer = %s AND topic = %s",
                (DEFAULT_GROUP, self._kafka.topic),
            )
            applied = dict(cursor.fetchall())
        return {str(tp.partition): int(ends[tp]) - int(applied.get(tp.partition, 0)) for tp in partitions}
