"""The relay: event store -> the region's internal Kafka topic, in store order, keyed by person.

A checkpointed subscription on the store's notification log (never a publish from a request handler). It sends
a batch, waits for every acknowledgement (acks=all, idempotent producer), and only then moves its checkpoint,
in PostgreSQL. If it stops between the two, it sends that batch again on restart: at-least-once, and the
consumers make a duplicate harmless (they apply each record version once).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

from carerecord_messaging.wire import SCHEMA_BASE, WireEvent, from_logged, to_message
from carerecord_projections.database import prepare, transaction
from carerecord_services.event_log import EventLog, LoggedEvent

log = logging.getLogger("carerecord.relay")


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


def _refusal(wire: WireEvent, error: Exception) -> Exception:
    """A refusal that will last is named by position and type; any other failure is passed on as it is."""
    return PublishRefused(wire.position, wire.type_name, error) if _permanent(error) else error


@dataclass
class RelayStatistics:
    published: int = 0
    batches: int = 0


@dataclass(eq=False)  # a running relay is one thing, not a value: compared and hashed by identity
class Relay:
    event_log: EventLog
    producer: Any
    _: KW_ONLY
    topic: str
    source: str
    dsn: str
    batch: int = 500
    schema_base: str = SCHEMA_BASE  # where the messages' `dataschema` points (CARERECORD_SCHEMA_BASE_URL)
    statistics: RelayStatistics = field(init=False, default_factory=RelayStatistics)

    def __post_init__(self) -> None:
        prepare(self.dsn)  # relay_checkpoint is among the read-model database's tables (/health reads it)
        with transaction(self.dsn) as cursor:
            cursor.execute(
                "INSERT INTO relay_checkpoint (topic, position) VALUES (%s, 0) ON CONFLICT DO NOTHING",
                (self.topic,),
            )

    def checkpoint(self) -> int:
        with transaction(self.dsn) as cursor:
            cursor.execute("SELECT position FROM relay_checkpoint WHERE topic = %s", (self.topic,))
            return int(cursor.fetchone()[0])

    def lag(self) -> int:
        return self.event_log.last_position() - self.checkpoint()

    def publish_available(self) -> int:
        """Publishes one batch after the checkpoint; returns how many events it sent. If the broker refuses
        an event for good, the checkpoint still moves up to the event before it (so /health names exactly
        the one that is stuck) and PublishRefused says which it is."""
        logged = self.event_log.notifications_after(self.checkpoint(), self.batch)
        if not logged:
            return 0
        futures, refused = self._send_all(logged)
        self.producer.flush()
        acknowledged, refused = self._acknowledged(futures, refused)
        if acknowledged:
            self._move_checkpoint(acknowledged[-1].position)
            self.statistics.published += len(acknowledged)
            self.statistics.batches += 1
        if refused is not None:
            raise refused
        return len(acknowledged)

    def _send_all(
        self, logged: Sequence[LoggedEvent]
    ) -> tuple[list[tuple[WireEvent, Any]], Exception | None]:
        """Sends in order until the producer refuses one for good (a retriable refusal raises at once)."""
        futures: list[tuple[WireEvent, Any]] = []
        for each in logged:
            wire = from_logged(each)
            try:
                futures.append((wire, self._send(wire)))
            except Exception as error:
                if not _permanent(error):
                    raise
                return futures, PublishRefused(wire.position, wire.type_name, error)
        return futures, None

    def _acknowledged(
        self, futures: list[tuple[WireEvent, Any]], refused: Exception | None
    ) -> tuple[list[WireEvent], Exception | None]:
        """The events the broker acknowledged, in order up to the first that failed (which stays unpublished)."""
        acknowledged: list[WireEvent] = []
        for wire, future in futures:
            try:
                future.get(timeout=30)  # raises if a send failed: the checkpoint then stays before it
            except Exception as error:
                return acknowledged, _refusal(wire, error)
            acknowledged.append(wire)
        return acknowledged, refused

    def _move_checkpoint(self, position: int) -> None:
        with transaction(self.dsn) as cursor:
            cursor.execute(
                "UPDATE relay_checkpoint SET position = %s WHERE topic = %s", (position, self.topic)
            )

    def _send(self, wire: WireEvent) -> Any:
        message = to_message(wire, self.source, self.schema_base)
        return self.producer.send(
            self.topic,
            key=message.key,
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
