"""Per-organisation feeds for provider systems.

A router reads the region's internal topic and copies each person's events to the feed topic of every
organisation that has an active care relationship with that person at that point in their history:
`carerecord.feed.<ODS code>`. Concerns and the NHS number index never go on a feed. Every disclosure (which
organisation received which event of whose record, when) is a `FeedDisclosed` event in the access audit store,
chained in the person's stream, recorded after the broker has acknowledged the copies and before the router's
progress is committed; the table feed_disclosures is its read model. At-least-once throughout: a crash between
the two records a disclosure again when it is sent again (subscribers de-duplicate by the CloudEvents `id`, the
read model by organisation and event).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from kafka import KafkaConsumer, TopicPartition

from carerecord_projections.database import transaction
from carerecord_projections.refusals import DDL_LOCK
from carerecord_projections.schema import FEED_DDL
from carerecord_projections.wire import from_message

FEED_PREFIX = "carerecord.feed."
ROUTER_GROUP = "carerecord-feeds"
NEVER_ON_A_FEED = frozenset({"ConcernRaised", "ConcernResolved", "NhsNumberIndexed", "RequestRecorded"})


# (organisation, record id, event id, store position, event type): AccessAudit.record_disclosures
Disclosure = tuple[str, UUID, UUID, int, str]
RecordDisclosures = Callable[[Sequence[Disclosure]], object]


def feed_topic(organisation: str) -> str:
    return f"{FEED_PREFIX}{organisation}"


class FeedRouter:
    def __init__(
        self,
        client_options: dict[str, Any],
        producer: Any,
        *,
        topic: str,
        dsn: str,
        record_disclosures: RecordDisclosures,
    ) -> None:
        self._topic = topic
        self._dsn = dsn
        self._producer = producer
        self._record_disclosures = record_disclosures
        self.disclosed = 0
        with transaction(dsn) as cursor:
            cursor.execute(DDL_LOCK)
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
                disclosures: list[Disclosure] = []
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
                        disclosures.append(
                            (organisation, wire.record_id, wire.event_id, wire.position, wire.type_name)
                        )
                        routed += 1
                self._producer.flush()
                for sent in sends:
                    sent.get(timeout=30)
                self._record_disclosures(disclosures)  # acknowledged by the broker: now they were disclosed
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
