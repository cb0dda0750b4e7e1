"""The relay: event store -> the region's internal Kafka topic, in store order, keyed by person.

A checkpointed subscription on the store's notification log (never a publish from a request handler). It sends
a batch, waits for every acknowledgement (acks=all, idempotent producer), and only then moves its checkpoint,
in PostgreSQL. If it stops between the two, it sends that batch again on restart: at-least-once, and the
consumers make a duplicate harmless (they apply each record version once).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from carerecord_projections.database import prepare, transaction
from carerecord_projections.wire import WireEvent, to_message
from carerecord_services.store import EventStore

log = logging.getLogger("carerecord.relay")

CHECKPOINT_DDL = (
    "CREATE TABLE IF NOT EXISTS relay_checkpoint (topic text PRIMARY KEY, position bigint NOT NULL)"
)


class PublishRefused(Exception):
    """The broker (or the producer, before sending) refused one event: retrying will not help while it lasts."""

    def __init__(self, position: int, type_name: str, error: BaseException) -> None:
        super().__init__(
            f"the event at position {position} ({type_name}) was refused: {type(error).__name__}"
        )
        self.position = position
        self.type_name = type_name
        self.error = error


def _permanent(error: BaseException) -> bool:
    """kafka-python marks errors that a retry can cure as `retriable`; a message too large is not one."""
    return not getattr(error, "retriable", True)


@dataclass
class RelayStatistics:
    published: int = 0
    batches: int = 0


class Relay:
    def __init__(
        self, store: EventStore, producer: Any, *, topic: str, source: str, dsn: str, batch: int = 500
    ) -> None:
        self._store = store
        self._producer = producer
        self._topic = topic
        self._source = source
        self._dsn = dsn
        self._batch = batch
        self.statistics = RelayStatistics()
        prepare(dsn)
        with transaction(dsn) as cursor:
            cursor.execute(
                "INSERT INTO relay_checkpoint (topic, position) VALUES (%s, 0) ON CONFLICT DO NOTHING",
                (topic,),
            )

    def checkpoint(self) -> int:
        with transaction(self._dsn) as cursor:
            cursor.execute("SELECT position FROM relay_checkpoint WHERE topic = %s", (self._topic,))
            return int(cursor.fetchone()[0])

    def lag(self) -> int:
        return self._store.last_position() - self.checkpoint()

    def publish_available(self) -> int:
        """Publishes one batch after the checkpoint; returns how many events it sent. If the broker refuses
        an event for good, the checkpoint still moves up to the event before it (so /health names exactly
        the one that is stuck) and PublishRefused says which it is."""
        position = self.checkpoint()
        notifications = self._store.notifications(position + 1, self._batch)
        if not notifications:
            return 0
        futures: list[tuple[WireEvent, Any]] = []
        refused: Exception | None = None
        for notification in notifications:
            wire = self._wire(notification)
            try:
                futures.append((wire, self._send(wire)))
            except Exception as error:
                if not _permanent(error):
                    raise
                refused = PublishRefused(wire.position, wire.type_name, error)
                break
        self._producer.flush()
        published = 0
        for wire, future in futures:
            try:
                future.get(timeout=30)  # raises if a send failed: the checkpoint then stays before it
            except Exception as error:
                refused = PublishRefused(wire.position, wire.type_name, error) if _permanent(error) else error
                break
            position, published = wire.position, published + 1
        if published:
            with transaction(self._dsn) as cursor:
                cursor.execute(
                    "UPDATE relay_checkpoint SET position = %s WHERE topic = %s", (position, self._topic)
                )
            self.statistics.published += published
            self.statistics.batches += 1
        if refused is not None:
            raise refused
        return published

    def _wire(self, notification: Any) -> WireEvent:
        chained = self._store.mapper.to_chained_event(notification)
        return WireEvent(
            position=notification.id,
            record_id=chained.originator_id,
            version=chained.originator_version,
            type_name=chained.type_name,
            schema_version=chained.schema_version,
            event_id=UUID(chained.payload["event_id"]),
            recorded_at=datetime.fromisoformat(chained.payload["recorded_at"]),
            payload=chained.payload,
        )

    def _send(self, wire: WireEvent) -> Any:
        message = to_message(wire, self._source)
        return self._producer.send(
            self._topic,
            key=message.key.encode() if isinstance(message.key, str) else message.key,
            value=message.value,
            headers=list(message.headers.items()),
            timestamp_ms=int(wire.recorded_at.timestamp() * 1000),
        )

    def run(self, stop: threading.Event, idle_wait: float = 0.05) -> None:
        """Runs until `stop` is set; waits briefly when there is nothing new, backs off while Kafka is away."""
        backoff = 0.5
        while not stop.is_set():
            try:
                sent = self.publish_available()
                backoff = 0.5
            except PublishRefused as refused:  # named (type and position only, never content) every time
                log.error(
                    "relay cannot publish the event at position %d (%s): %s; every later event waits behind "
                    "it (/health names the position); retrying in %.1fs",
                    refused.position,
                    refused.type_name,
                    type(refused.error).__name__,
                    backoff,
                )
                stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            except Exception as error:  # broker away or refusing: keep the checkpoint, wait, try again
                log.warning("relay could not publish (%s); retrying in %.1fs", type(error).__name__, backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            if sent == 0:
                stop.wait(idle_wait)
