"""Events held for organisations that care for people but have no feed topic yet.

An organisation may start a care relationship before the region's operator has run `carerecord feed-add` for
it (or it may never want a Kafka feed). The router then cannot deliver its events, and must neither stop for
everyone else nor lose them: it notes where each one is in the region's internal topic (which is kept for ever),
in the same transaction as its own progress, and delivers them in order once the feed exists. Only positions
are kept here, never the events' content.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from carerecord_projections.database import transaction
from carerecord_services.schema_changes import lock_schema_changes

HELD_DDL = """
CREATE TABLE IF NOT EXISTS feed_held (
    organisation text NOT NULL,
    topic text NOT NULL,
    partition integer NOT NULL,
    message_offset bigint NOT NULL,
    held_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organisation, topic, partition, message_offset)
);
"""


def hold(cursor: Any, organisation: str, topic: str, partition: int, offset: int) -> None:
    cursor.execute(
        """INSERT INTO feed_held (organisation, topic, partition, message_offset) VALUES (%s, %s, %s, %s)
           ON CONFLICT DO NOTHING""",
        (organisation, topic, partition, offset),
    )


def release(cursor: Any, organisation: str, topic: str, partition: int, offsets: Iterable[int]) -> None:
    cursor.execute(
        """DELETE FROM feed_held WHERE organisation = %s AND topic = %s AND partition = %s
           AND message_offset = ANY(%s)""",
        (organisation, topic, partition, list(offsets)),
    )


def oldest_held(dsn: str, organisation: str, topic: str, limit: int) -> dict[int, list[int]]:
    """Up to `limit` held offsets of the organisation, by partition, oldest first."""
    with transaction(dsn) as cursor:
        cursor.execute(
            """SELECT partition, message_offset FROM feed_held WHERE organisation = %s AND topic = %s
               ORDER BY partition, message_offset LIMIT %s""",
            (organisation, topic, limit),
        )
        rows = cursor.fetchall()
    held: dict[int, list[int]] = {}
    for partition, offset in rows:
        held.setdefault(int(partition), []).append(int(offset))
    return held


def held_counts(dsn: str) -> dict[str, int]:
    """How many events are held for each organisation without a feed (the router's status)."""
    with transaction(dsn) as cursor:
        lock_schema_changes(cursor)
        cursor.execute(HELD_DDL)
        cursor.execute("SELECT organisation, count(*) FROM feed_held GROUP BY organisation ORDER BY 1")
        return {str(organisation): int(count) for organisation, count in cursor.fetchall()}


class FeedTopics:
    """Which feed topics exist, as the broker tells the router. Asked again at most every `recheck_seconds`
    (when an organisation without a known topic turns up), so that a feed provisioned while the router runs is
    found without a metadata request per event."""

    def __init__(self, consumer: Any, recheck_seconds: float, clock: Callable[[], float]) -> None:
        self._consumer = consumer
        self._recheck_seconds = recheck_seconds
        self._clock = clock
        self._known: set[str] = set()
        self._checked_at: float | None = None

    def exists(self, topic: str) -> bool:
        if topic not in self._known and self._recheck_due():
            self._checked_at = self._clock()
            self._known = set(self._consumer.topics())
        return topic in self._known

    def _recheck_due(self) -> bool:
        return self._checked_at is None or self._clock() - self._checked_at >= self._recheck_seconds


class HeldReader:
    """Reads held messages back from the internal topic by offset."""

    def __init__(self, client_options: dict[str, Any], topic: str, timeout_seconds: float = 60.0) -> None:
        self._topic = topic
        self._timeout_seconds = timeout_seconds
        self._consumer = KafkaConsumer(**client_options, group_id=None, enable_auto_commit=False)

    def messages(self, partition: int, offsets: list[int]) -> list[Any]:
        """The messages at `offsets` (ascending) of one partition, in order; all of them, or an error."""
        where = TopicPartition(self._topic, partition)
        self._consumer.assign([where])
        self._consumer.seek(where, offsets[0])
        wanted = set(offsets)
        found: dict[int, Any] = {}
        deadline = time.monotonic() + self._timeout_seconds
        while len(found) < len(wanted):
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"held messages of {self._topic}[{partition}] from offset {offsets[0]} could not be read back"
                )
            for message in self._consumer.poll(timeout_ms=500).get(where, []):
                if message.offset in wanted:
                    found[message.offset] = message
        return [found[offset] for offset in offsets]

    def close(self) -> None:
        self._consumer.close()
