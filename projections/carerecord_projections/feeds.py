"""Per-organisation feeds for provider systems.

A router reads the region's internal topic and copies each person's events to the feed topic of every
organisation that has an active care relationship with that person at that point in their history:
`carerecord.feed.<ODS code>`. Concerns and the NHS number index never go on a feed. Every disclosure is
recorded (which organisation received which event of whose record, when) in the same transaction as the
router's progress, after the broker has acknowledged the copies (at-least-once; subscribers de-duplicate by the
CloudEvents `id`).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from carerecord_projections.database import transaction
from carerecord_projections.feed_tables import FEED_DDL
from carerecord_projections.wire import from_message

FEED_PREFIX = "carerecord.feed."
ROUTER_GROUP = "carerecord-feeds"
NEVER_ON_A_FEED = frozenset({"ConcernRaised", "ConcernResolved", "NhsNumberIndexed", "RequestRecorded"})


def feed_topic(organisation: str) -> str:
    return f"{FEED_PREFIX}{organisation}"


class FeedRouter:
    def __init__(self, client_options: dict[str, Any], producer: Any, *, topic: str, dsn: str) -> None:
        self._topic = topic
        self._dsn = dsn
        self._producer = producer
        self.disclosed = 0
        with transaction(dsn) as cursor:
            cursor.execute(FEED_DDL)
        self._consumer = KafkaConsumer(
            **client_options, group_id=None, enable_auto_commit=False, max_poll_records=500
        )
        partitions = [
            TopicPartition(topic, p) for p in sorted(self._consumer.partitions_for_topic(topic) or [])
        ]
        self._consumer.assign(partitions)
        with transaction(dsn) as cursor:
            cursor.execute("SELECT partition, next_offset FROM feed_offsets WHERE topic = %s", (topic,))
            stored = dict(cursor.fetchall())
        for partition in partitions:
            if partition.partition in stored:
                self._consumer.seek(partition, stored[partition.partition])
            else:
                self._consumer.seek_to_beginning(partition)

    def route_once(self, timeout_ms: int = 500) -> int:
        routed = 0
        for partition, messages in self._consumer.poll(timeout_ms=timeout_ms).items():
            with transaction(self._dsn) as cursor:
                sends = []
                for message in messages:
                    wire = from_message(message.headers, message.key, message.value)
                    for organisation in self._recipients(
                        cursor, wire.type_name, wire.record_id, wire.payload
                    ):
                        sends.append(
                            self._producer.send(
                                feed_topic(organisation),
                                key=message.key,
                                value=message.value,
                                headers=list(message.headers),
                                timestamp_ms=message.timestamp,
                            )
                        )
                        cursor.execute(
                            """INSERT INTO feed_disclosures
                                   (organisation, record_id, event_id, position, event_type, disclosed_at)
                               VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING""",
                            (
                                organisation,
                                wire.record_id,
                                wire.event_id,
                                wire.position,
                                wire.type_name,
                                datetime.now(UTC),
                            ),
                        )
                        routed += 1
                self._producer.flush()
                for sent in sends:
                    sent.get(timeout=30)
                cursor.execute(
                    """INSERT INTO feed_offsets (topic, partition, next_offset) VALUES (%s, %s, %s)
                       ON CONFLICT (topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset""",
                    (partition.topic, partition.partition, messages[-1].offset + 1),
                )
        self.disclosed += routed
        return routed

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self.route_once()

    def close(self) -> None:
        self._consumer.close()

    @staticmethod
    def _recipients(cursor: Any, type_name: str, record_id: Any, payload: dict[str, Any]) -> list[str]:
        if type_name in NEVER_ON_A_FEED:
            return []
        if type_name == "CareRelationshipStarted":
            cursor.execute(
                "INSERT INTO feed_relationships (record_id, organisation) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                (record_id, payload["organisation"]),
            )
        cursor.execute("SELECT organisation FROM feed_relationships WHERE record_id = %s", (record_id,))
        organisations = sorted(row[0] for row in cursor.fetchall())
        if type_name == "CareRelationshipEnded":
            cursor.execute(
                "DELETE FROM feed_relationships WHERE record_id = %s AND organisation = %s",
                (record_id, payload["organisation"]),
            )
            return [payload["organisation"]] if payload["organisation"] in organisations else []
        return organisations
