"""Projection workers: a consumer group on the internal topic, writing read models with psycopg2.

Each batch's read-model writes and the worker's next offsets commit in ONE PostgreSQL transaction, so a crash,
a rebalance, or a redelivered or duplicated message cannot corrupt a read model: on (re)assignment the worker
seeks to the offsets PostgreSQL holds, not Kafka's. Several workers share the partitions. An event type this
carerecord does not know stops the worker loudly instead of being skipped. While PostgreSQL is away (a restart,
a failover) the worker waits and, once it is back, seeks again to the offsets PostgreSQL holds: a batch whose
transaction did not commit is read again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import psycopg2
from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.errors import KafkaError

from carerecord_messaging.offsets import seek_to_stored
from carerecord_messaging.store_feeder import one_by_one
from carerecord_messaging.wire import from_message
from carerecord_projections.database import transaction
from carerecord_projections.projector import apply_batch, decode
from carerecord_projections.registry import Projection

log = logging.getLogger("carerecord.projections")

DEFAULT_GROUP = "carerecord-projections"


class _SeekToStoredOffsets(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, worker: KafkaProjectionWorker) -> None:
        self._worker = worker

    def on_partitions_revoked(self, revoked: Any) -> None:
        return

    def on_partitions_assigned(self, assigned: Any) -> None:
        self._worker.seek_to_stored_offsets(list(assigned))


class KafkaProjectionWorker:
    def __init__(
        self,
        client_options: dict[str, Any],
        *,
        topic: str,
        dsn: str,
        group: str = DEFAULT_GROUP,
        max_batch: int = 500,
        projection: Projection | None = None,
    ) -> None:
        self._topic = topic
        self._dsn = dsn
        self._group = group
        self._max_batch = max_batch
        self.applied = 0
        self._apply = apply_batch if projection is None else one_by_one(projection)
        if projection is not None:
            with transaction(dsn) as cursor:
                projection.prepare(cursor)
        self._consumer = KafkaConsumer(
            **client_options,
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=max_batch,
            # a worker that dies is noticed in seconds, so its partitions move to the survivors quickly
            session_timeout_ms=6000,
            heartbeat_interval_ms=1500,
        )
        self._consumer.subscribe([topic], listener=_SeekToStoredOffsets(self))

    def seek_to_stored_offsets(self, partitions: list[TopicPartition]) -> None:
        with transaction(self._dsn) as cursor:
            cursor.execute(
                "SELECT partition, next_offset FROM projection_offsets WHERE consumer = %s AND topic = %s",
                (self._group, self._topic),
            )
            stored = dict(cursor.fetchall())
        seek_to_stored(self._consumer, partitions, stored)

    def poll_once(self, timeout_ms: int = 500) -> int:
        """Applies one poll's messages, each partition's batch with its offset in one transaction."""
        batches = self._consumer.poll(timeout_ms=timeout_ms, max_records=self._max_batch)
        applied = 0
        for partition, messages in batches.items():
            with transaction(self._dsn) as cursor:
                items = []
                for message in messages:
                    wire = from_message(message.headers, message.key, message.value)
                    items.append(
                        (
                            wire.version,
                            decode(wire.position, wire.type_name, wire.schema_version, wire.payload),
                        )
                    )
                applied += self._apply(cursor, items)
                cursor.execute(
                    """INSERT INTO projection_offsets (consumer, topic, partition, next_offset)
                       VALUES (%s, %s, %s, %s)
                       ON CONFLICT (consumer, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset""",
                    (self._group, partition.topic, partition.partition, messages[-1].offset + 1),
                )
        if batches:
            self._consumer.commit_async()  # for lag tools only; PostgreSQL holds the offsets that count
        self.applied += applied
        return applied

    def run(self, stop: threading.Event, on_batch: Callable[[int], None] | None = None) -> None:
        """Runs until `stop` is set. While the broker is away it waits and tries again (nothing is committed
        without its batch, so nothing is lost); an event it cannot apply stops it."""
        backoff = 0.5
        reseek = False
        while not stop.is_set():
            try:
                if reseek:
                    self.seek_to_stored_offsets(list(self._consumer.assignment()))
                    reseek = False
                applied = self.poll_once()
            except KafkaError as error:
                log.warning(
                    "projection worker cannot reach Kafka (%s); retrying in %.1fs",
                    type(error).__name__,
                    backoff,
                )
                stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            except (psycopg2.OperationalError, psycopg2.InterfaceError) as error:
                # the consumer may have read past batches that never committed: seek back before polling on
                log.warning(
                    "projection worker cannot reach PostgreSQL (%s); retrying in %.1fs",
                    type(error).__name__,
                    backoff,
                )
                reseek = True
                stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            backoff = 0.5
            if on_batch:
                on_batch(applied)

    def lag(self) -> dict[int, int]:
        """Messages not yet applied, per assigned partition."""
        assigned = list(self._consumer.assignment())
        if not assigned:
            return {}
        ends = self._consumer.end_offsets(assigned)
        with transaction(self._dsn) as cursor:
            cursor.execute(
                "SELECT partition, next_offset FROM projection_offsets WHERE consumer = %s AND topic = %s",
                (self._group, self._topic),
            )
            stored = dict(cursor.fetchall())
        return {tp.partition: ends[tp] - stored.get(tp.partition, 0) for tp in assigned}

    def close(self) -> None:
        self._consumer.close()
