"""Per-organisation feeds for provider systems.

A router reads the region's internal topic and copies each person's events to the feed topic of every
organisation that has an active care relationship with that person at that point in their history:
`carerecord.feed.<ODS code>`. On a feed each event carries the person's NHS number beside its stored payload
(`wire.feed_message`), so that the provider can match it to its patient; never in the key or headers. Concerns and the NHS number index never go on a feed. Every disclosure (which
organisation received which event of whose record, when) is a `FeedDisclosed` event in the access audit store,
chained in the person's stream, recorded after the broker has acknowledged the copies and before the router's
progress is committed; the table feed_disclosures is its read model. At-least-once throughout: a crash between
the two records a disclosure again when it is sent again (subscribers de-duplicate by the CloudEvents `id`, the
read model by organisation and event).

An organisation with no feed topic yet (not provisioned by `carerecord feed-add`) does not stop the others: its
events are held (feed_backlog) and delivered in order once its topic exists.

An urgent and emergency care service granted the region's plans by its board (urgent_care_feeds.py) is sent,
once its feed exists, the plans in force of everyone in the region, then every plan-level change; each sending
is a disclosure like any other. A grant withdrawn stops it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any
from uuid import UUID

from kafka import KafkaConsumer, TopicPartition

from carerecord_events.access import UrgentCareSharingGranted
from carerecord_events.record.state import PersonRecord
from carerecord_messaging.feed_backlog import (
    HELD_DDL,
    FeedTopics,
    HeldReader,
    hold,
    oldest_held,
    release,
)
from carerecord_messaging.feed_recipients import Recipients
from carerecord_messaging.offsets import seek_to_stored
from carerecord_messaging.urgent_care_feeds import (
    URGENT_DDL,
    SharedPlans,
    granted,
    mark_sent,
    people_with_plans,
    start_sharing,
    stop_sharing,
)
from carerecord_messaging.wire import (
    PLANS_IN_FORCE,
    SCHEMA_BASE,
    PlansAt,
    WireEvent,
    feed_message,
    from_message,
    plans_in_force_message,
    shared_plans_message,
)
from carerecord_projections.current_plan.document import conflicts_of, plan_document
from carerecord_projections.database import transaction
from carerecord_projections.schema import FEED_DDL
from carerecord_services.schema_changes import lock_schema_changes

log = logging.getLogger(__name__)

# (organisation, record id, event id, store position, event type): AccessAudit.record_disclosures
Disclosure = tuple[str, UUID, UUID, int, str]
RecordDisclosures = Callable[[Sequence[Disclosure]], object]
# a record as it stood at a version, from the store (CareRecordService.record_at_version): its plans in force
# and whether they conflict
RecordAtVersion = Callable[[UUID, int], PersonRecord]
# the person's NHS number, from the store (CareRecordService.nhs_number_of)
NhsNumberOf = Callable[[UUID], str]
NHS_NUMBERS_KEPT = (
    10_000  # the router's memory of NHS numbers by record, so that it asks the store once a person
)

FEED_PREFIX = "carerecord.feed."
ROUTER_GROUP = "carerecord-feeds"
RELEASE_BATCH = 500  # held events delivered per organisation per round, so that the others keep being served
SHARE_BATCH = 200  # people whose plans in force are sent to a newly granted service per transaction


def feed_topic(organisation: str) -> str:
    return f"{FEED_PREFIX}{organisation}"


def _prepare(dsn: str, topic: str) -> set[str]:
    """The router's tables; returns the organisations whose events are held from an earlier run."""
    with transaction(dsn) as cursor:
        lock_schema_changes(cursor)
        cursor.execute(FEED_DDL + HELD_DDL + URGENT_DDL)
        cursor.execute("SELECT DISTINCT organisation FROM feed_held WHERE topic = %s", (topic,))
        return {str(row[0]) for row in cursor.fetchall()}


def _router_consumer(client_options: dict[str, Any], topic: str, dsn: str) -> Any:
    """A consumer of every partition of the internal topic (no group), where the router's progress says."""
    consumer = KafkaConsumer(**client_options, group_id=None, enable_auto_commit=False, max_poll_records=500)
    partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
    consumer.assign(partitions)
    with transaction(dsn) as cursor:
        cursor.execute("SELECT partition, next_offset FROM feed_offsets WHERE topic = %s", (topic,))
        stored = dict(cursor.fetchall())
    seek_to_stored(consumer, partitions, stored)
    return consumer


class FeedDelivery:
    """Copies an event to an organisation's feed and, once the broker has acknowledged the copies, records
    the disclosures in the access audit. An organisation's own CareRelationshipStarted is followed on its feed
    by the plans in force at that point of the record: a new carer is told what was decided before it came."""

    def __init__(
        self,
        producer: Any,
        record_disclosures: RecordDisclosures,
        record_at_version: RecordAtVersion,
        nhs_number_of: NhsNumberOf,
        schema_base: str = SCHEMA_BASE,
    ) -> None:
        self._producer = producer
        self._record_disclosures = record_disclosures
        self._record_at_version = record_at_version
        self._nhs_number_of = nhs_number_of
        self._nhs_numbers: dict[UUID, str] = {}
        self._schema_base = schema_base

    def send(self, organisation: str, message: Any, wire: WireEvent) -> list[tuple[Any, Disclosure]]:
        source = dict(message.headers).get("ce_source", b"").decode()
        copy = feed_message(wire, source, self._nhs_number(wire.record_id), self._schema_base)
        sent = self._producer.send(
            feed_topic(organisation),
            key=copy.key,
            value=copy.value,
            headers=list(copy.headers.items()),
            timestamp_ms=message.timestamp,
        )
        sends = [(sent, (organisation, wire.record_id, wire.event_id, wire.position, wire.type_name))]
        if wire.type_name == "CareRelationshipStarted" and wire.payload.get("organisation") == organisation:
            sends += self._send_plans_in_force(organisation, wire, source, message.timestamp)
        return sends

    def _nhs_number(self, record_id: UUID) -> str:
        """Asked of the store once per person (an NHS number never changes on a record), then remembered."""
        if record_id not in self._nhs_numbers:
            if len(self._nhs_numbers) >= NHS_NUMBERS_KEPT:
                self._nhs_numbers.clear()
            self._nhs_numbers[record_id] = self._nhs_number_of(record_id)
        return self._nhs_numbers[record_id]

    def _send_plans_in_force(
        self, organisation: str, started: WireEvent, source: str, timestamp: int
    ) -> list[tuple[Any, Disclosure]]:
        record = self._record_at_version(started.record_id, started.version)
        plans = record.active_plans()
        if not plans:
            return []
        documents = [{"plan_id": str(plan.plan_id), **plan_document(plan)} for plan in plans]
        message, message_id = plans_in_force_message(
            started,
            source,
            documents,
            conflicts_of(record),
            self._nhs_number(started.record_id),
            self._schema_base,
        )
        sent = self._producer.send(
            feed_topic(organisation),
            key=message.key,
            value=message.value,
            headers=list(message.headers.items()),
            timestamp_ms=timestamp,
        )
        disclosure = (organisation, started.record_id, message_id, started.position, PLANS_IN_FORCE)
        return [(sent, disclosure)]

    def send_shared(
        self,
        organisation: str,
        grant: UrgentCareSharingGranted,
        at: PlansAt,
        source: str,
        record: PersonRecord,
    ) -> tuple[Any, Disclosure]:
        """One person's plans in force (and why they conflict), sent to an urgent and emergency care service
        under its grant; its position (in the header and the disclosure) is the store's when the grant was acted
        on."""
        documents = [{"plan_id": str(plan.plan_id), **plan_document(plan)} for plan in record.active_plans()]
        message, message_id = shared_plans_message(
            grant.access_id,
            organisation,
            at,
            source,
            documents,
            conflicts_of(record),
            self._nhs_number(at.record_id),
            self._schema_base,
        )
        sent = self._producer.send(
            feed_topic(organisation),
            key=message.key,
            value=message.value,
            headers=list(message.headers.items()),
            timestamp_ms=int(at.time.timestamp() * 1000),
        )
        return sent, (organisation, at.record_id, message_id, at.position, PLANS_IN_FORCE)

    def settle(self, sends: list[tuple[Any, Disclosure]]) -> None:
        """Waits for the broker's acknowledgement of every copy, then records the disclosures in the access
        audit, before the caller's transaction commits the router's progress."""
        self._producer.flush()
        for sent, _ in sends:
            sent.get(timeout=30)
        self._record_disclosures([disclosure for _, disclosure in sends])


class FeedRouter:
    def __init__(
        self,
        client_options: dict[str, Any],
        producer: Any,
        *,
        topic: str,
        dsn: str,
        record_disclosures: RecordDisclosures,
        record_at_version: RecordAtVersion,
        nhs_number_of: NhsNumberOf,
        schema_base: str = SCHEMA_BASE,
        shared_plans: SharedPlans | None = None,
        recheck_seconds: float = 10.0,
        unconfirmed_lasts: timedelta = timedelta(days=7),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._topic = topic
        self._shared_plans = shared_plans
        self._recheck_seconds = recheck_seconds
        self._clock = clock
        self._grants_checked_at: float | None = None
        self._grants: dict[str, UrgentCareSharingGranted] = {}
        self._acted_on: dict[
            str, UUID
        ] = {}  # the grants whose plans in force were sent: organisation -> grant
        self._read_up_to: dict[UUID, dict[Any, int]] = {}  # a grant's: where the topic ended when first seen
        self._dsn = dsn
        self._client_options = client_options
        self._delivery = FeedDelivery(
            producer, record_disclosures, record_at_version, nhs_number_of, schema_base
        )
        self._recipients = Recipients(unconfirmed_lasts)
        self.disclosed = 0
        self.held = 0
        self._holding = _prepare(dsn, topic)
        self._reader: HeldReader | None = None
        self._consumer = _router_consumer(client_options, topic, dsn)
        self._feeds = FeedTopics(self._consumer, recheck_seconds, clock)
        for organisation in sorted(self._holding):
            log.warning(
                "feeds: events are held for organisation %s until its feed is provisioned", organisation
            )

    @property
    def holding(self) -> list[str]:
        """The organisations whose events are held (no feed topic yet, or held events not all delivered)."""
        return sorted(self._holding)

    def route_once(self, timeout_ms: int = 500) -> int:
        routed = self._share_granted() + self._release_held()
        for partition, messages in self._consumer.poll(timeout_ms=timeout_ms).items():
            with transaction(self._dsn) as cursor:
                sends: list[tuple[Any, Disclosure]] = []
                for message in messages:
                    wire = from_message(message.headers, message.key, message.value)
                    for organisation in self._recipients.of(cursor, wire):
                        if self._ready(organisation):
                            sends += self._delivery.send(organisation, message, wire)
                        else:
                            self._hold(cursor, organisation, message)
                self._delivery.settle(sends)
                cursor.execute(
                    """INSERT INTO feed_offsets (topic, partition, next_offset) VALUES (%s, %s, %s)
                       ON CONFLICT (topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset""",
                    (partition.topic, partition.partition, messages[-1].offset + 1),
                )
                routed += len(sends)
        self.disclosed += routed
        return routed

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self.route_once()

    def close(self) -> None:
        self._consumer.close()
        if self._reader is not None:
            self._reader.close()

    def _share_granted(self) -> int:
        """Acts on grants made or withdrawn (asked of the audit at most every `recheck_seconds`): a withdrawn one
        stops receiving; a new one, once the service's feed exists and the router has read every event that was
        on the region's topic when it first saw the grant (so that it knows everyone who may have a plan), is
        sent the plans in force of everyone in the region."""
        shared = self._shared_plans
        if shared is None:
            return 0
        now = self._clock()
        if self._grants_checked_at is None or now - self._grants_checked_at >= self._recheck_seconds:
            self._grants_checked_at = now
            self._grants = dict(shared.grants())
            with transaction(self._dsn) as cursor:
                self._acted_on = granted(cursor)
                for organisation in sorted(set(self._acted_on) - set(self._grants)):
                    stop_sharing(cursor, organisation)
                    del self._acted_on[organisation]
                    log.info("feeds: organisation %s is no longer sent the region's plans", organisation)
        sent = 0
        for organisation, grant in sorted(self._grants.items()):
            if self._acted_on.get(organisation) == grant.access_id:
                continue
            if not self._feeds.exists(feed_topic(organisation)):
                continue
            target = self._read_up_to.setdefault(grant.access_id, self._end_offsets())
            if all(self._consumer.position(where) >= offset for where, offset in target.items()):
                sent += self._share(shared, organisation, grant)
                self._acted_on[organisation] = grant.access_id
                del self._read_up_to[grant.access_id]
        return sent

    def _end_offsets(self) -> dict[Any, int]:
        partitions = list(self._consumer.assignment())
        return dict(self._consumer.end_offsets(partitions)) if partitions else {}

    def _share(self, shared: SharedPlans, organisation: str, grant: UrgentCareSharingGranted) -> int:
        """Sends a newly granted service everyone's plans in force, noting the version sent for each person (a
        later change is sent only from the next version), then starts sending it every plan-level change. A
        crash on the way sends them again (the messages' ids follow from the grant and the version)."""
        position = shared.last_position()
        with transaction(self._dsn) as cursor:
            people = people_with_plans(cursor)
        sent = 0
        for start in range(0, len(people), SHARE_BATCH):
            with transaction(self._dsn) as cursor:
                sends = []
                for record_id in people[start : start + SHARE_BATCH]:
                    version, record = shared.record_now(record_id)
                    if record is not None and record.active_plans():
                        at = PlansAt(record_id, version, position, grant.recorded_at)
                        sends.append(
                            self._delivery.send_shared(organisation, grant, at, shared.source, record)
                        )
                    mark_sent(cursor, organisation, record_id, version)
                self._delivery.settle(sends)
                sent += len(sends)
        with transaction(self._dsn) as cursor:
            start_sharing(cursor, organisation, grant.access_id)
        log.info("feeds: organisation %s is sent the region's plans (%d people's)", organisation, sent)
        return sent

    def _ready(self, organisation: str) -> bool:
        """Events go straight to the feed only once nothing is held for it, so that they stay in order."""
        return organisation not in self._holding and self._feeds.exists(feed_topic(organisation))

    def _hold(self, cursor: Any, organisation: str, message: Any) -> None:
        if organisation not in self._holding:
            log.warning(
                "feeds: organisation %s has no feed topic %s; its events are held until `carerecord feed-add %s`",
                organisation,
                feed_topic(organisation),
                organisation,
            )
            self._holding.add(organisation)
        hold(cursor, organisation, message.topic, message.partition, message.offset)
        self.held += 1

    def _release_held(self) -> int:
        released = 0
        for organisation in sorted(self._holding):
            if self._feeds.exists(feed_topic(organisation)):
                released += self._release(organisation)
        return released

    def _release(self, organisation: str) -> int:
        """Delivers the oldest held events of an organisation whose feed now exists; once none is left, its
        events go straight to its feed again."""
        held = oldest_held(self._dsn, organisation, self._topic, RELEASE_BATCH)
        if not held:
            self._holding.discard(organisation)
            log.info(
                "feeds: organisation %s's feed is provisioned; its held events are delivered", organisation
            )
            return 0
        self._reader = self._reader or HeldReader(self._client_options, self._topic)
        released = 0
        for partition, offsets in held.items():
            messages = self._reader.messages(partition, offsets)
            with transaction(self._dsn) as cursor:
                sends = [
                    sent
                    for message in messages
                    for sent in self._delivery.send(
                        organisation, message, from_message(message.headers, message.key, message.value)
                    )
                ]
                self._delivery.settle(sends)
                release(cursor, organisation, self._topic, partition, offsets)
            released += len(sends)
        return released
