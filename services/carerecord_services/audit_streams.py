"""Which chain each access-audit event joins, and the appender that chains it onto that stream's head.

Per person, not per organisation and day: every read, refusal and feed disclosure of one person's record is one
stream (`person_stream`), and their break-glass accesses and reviews another (`break_glass_stream`, which access
decisions read back, so it stays short). A deleted row then breaks the link of the next access to that person,
and `verify` names the person whose access history lost an entry, which is the question an investigation asks.
Per organisation and day would put every read of a busy hospital into one stream, and every reader in the region
would queue on a few heads. What concerns no one person (a search, a refused request, a read of a record that
was not found) joins the stream of the organisation that asked and the day (UTC) it asked
(`organisation_day_stream`); a request with no readable organisation joins that of "unknown".

Concurrency: appends to one stream are ordered in the process (a lock per stripe of streams, held from reading
the head to the commit), and the head of each stream is kept in memory, so a read costs what it cost before:
one chained event through the group writer. Another process appending to the same stream makes the insert
conflict; the appender then reads the head from the store, re-chains and tries again, so callers never see it.
A deletion of a stream's last row leaves no later link to break: only a signed checkpoint shows that one.
"""

from __future__ import annotations

import random
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from datetime import UTC, date
from uuid import UUID, uuid5

from eventsourcing.persistence import StoredEvent

from carerecord_events.access import NO_RECORD
from carerecord_events.base import CareRecordEvent
from carerecord_events.codec import to_payload
from carerecord_services.chain import GENESIS, event_hash
from carerecord_services.errors import VersionConflict
from carerecord_services.store import ChainedEvent, EventStore, topic_of
from carerecord_services.writer import GroupWriter

ACCESS_NAMESPACE = UUID("5d0c8f0e-3b7a-4c61-9a52-6f1e2d7b8c43")
BREAK_GLASS_NAMESPACE = UUID("2b1f7c52-9d1e-4d6a-8f43-7a0c9b6e1d25")
URGENT_CARE_NAMESPACE = UUID("8e4a2c71-5b3d-4f09-a6e2-1c7d9b0f3a58")
UNKNOWN_ORGANISATION = "unknown"
STRIPES = 64
ATTEMPTS = 20


def person_stream(record_id: UUID) -> UUID:
    """The stream of every read, refusal and disclosure of one person's record."""
    return uuid5(ACCESS_NAMESPACE, f"person/{record_id}")


def break_glass_stream(record_id: UUID) -> UUID:
    """The stream of one person's break-glass accesses and their reviews."""
    return uuid5(BREAK_GLASS_NAMESPACE, str(record_id))


def urgent_care_sharing_stream() -> UUID:
    """The region's one stream of grants of its plans to urgent and emergency care services, and withdrawals
    (few: a region has a handful of such services), which every grant is decided from."""
    return uuid5(URGENT_CARE_NAMESPACE, "urgent-care-sharing")


def organisation_day_stream(organisation: str | None, day: date) -> UUID:
    """The stream of what one organisation did on one day (UTC) that concerns no one person."""
    return uuid5(ACCESS_NAMESPACE, f"organisation/{organisation or UNKNOWN_ORGANISATION}/{day.isoformat()}")


def stream_of(event: CareRecordEvent) -> UUID:
    if event.record_id != NO_RECORD:
        return person_stream(event.record_id)
    return organisation_day_stream(event.recorded_by.organisation, event.recorded_at.astimezone(UTC).date())


def describe_stream(stream: UUID, event: CareRecordEvent | None) -> str:
    """What an audit stream holds, in words, from one of its events (None: nothing in it could be read)."""
    if event is None:
        return "an audit stream whose events cannot be read"
    if stream == person_stream(event.record_id):
        return f"accesses to record {event.record_id}"
    if stream == break_glass_stream(event.record_id):
        return f"break-glass accesses to record {event.record_id}"
    if stream == urgent_care_sharing_stream():
        return "the region's plans shared with urgent and emergency care services"
    if stream == getattr(event, "access_id", None):
        return f"one access to record {event.record_id} (recorded before accesses were chained per person)"
    day = event.recorded_at.astimezone(UTC).date()
    return f"what organisation {event.recorded_by.organisation or UNKNOWN_ORGANISATION} did on {day}"


def describe_audit_stream(store: EventStore, stream: UUID | str) -> str:
    """`describe_stream` for a stream of the audit store, from the first of its events that can be read."""
    stream_id = stream if isinstance(stream, UUID) else UUID(stream)
    readable = (_decoded(store, stored) for stored in store.recorder.select_events(stream_id, limit=10))
    return describe_stream(stream_id, next((event for event in readable if event is not None), None))


def _decoded(store: EventStore, stored: StoredEvent) -> CareRecordEvent | None:
    try:
        return store.mapper.to_chained_event(stored).decode()
    except Exception:  # an edited or undecryptable event says nothing about its stream
        return None


def back_off(attempt: int) -> None:
    """Waits a random while, growing with each attempt, so that two processes racing for one stream stop
    colliding (without it, both retry at once and can collide every time under load)."""
    time.sleep(random.uniform(0, min(0.1, 0.002 * 2**attempt)))  # noqa: S311 - jitter, not a secret


class ChainedAppender:
    """Appends events to their streams, each chained onto its stream's head (kept in memory, bounded)."""

    def __init__(self, store: EventStore, writer: GroupWriter, *, heads: int = 100_000) -> None:
        self._store = store
        self._writer = writer
        self._max_heads = heads
        self._heads: OrderedDict[UUID, tuple[int, str]] = OrderedDict()
        self._heads_lock = threading.Lock()
        self._stripes = [threading.Lock() for _ in range(STRIPES)]

    def append(self, events: Sequence[CareRecordEvent]) -> None:
        """All of `events` in one transaction, in order within each stream. Raises VersionConflict only if the
        store stayed busy for every attempt, StoreUnavailable if it cannot be reached."""
        by_stream: dict[UUID, list[CareRecordEvent]] = {}
        for event in events:
            by_stream.setdefault(stream_of(event), []).append(event)
        stripes = sorted({stream.int % STRIPES for stream in by_stream})
        for stripe in stripes:  # always in the same order, so two batches never wait on each other
            self._stripes[stripe].acquire()
        try:
            self._append_ordered(by_stream)
        finally:
            for stripe in reversed(stripes):
                self._stripes[stripe].release()

    def _append_ordered(self, by_stream: dict[UUID, list[CareRecordEvent]]) -> None:
        for attempt in range(ATTEMPTS):
            heads = {stream: self._head(stream, fresh=attempt > 0) for stream in by_stream}
            stored: list[StoredEvent] = []
            new_heads = {}
            for stream, events in by_stream.items():
                chained, new_heads[stream] = self._chain(stream, heads[stream], events)
                stored += chained
            try:
                self._writer.append(stored)
            except (
                VersionConflict
            ):  # another process appended to one of these streams: read its head and re-chain
                back_off(attempt)
                continue
            for stream, head in new_heads.items():
                self._remember(stream, *head)
            return
        raise VersionConflict("the access audit is busy; try again", field="record_id")

    def _chain(
        self, stream: UUID, head: tuple[int, str], events: Sequence[CareRecordEvent]
    ) -> tuple[list[StoredEvent], tuple[int, str]]:
        """As EventStore.chain, keeping the new head's hash (so it need not be decrypted back)."""
        version, previous = head
        stored = []
        for event in events:
            version += 1
            payload, topic = to_payload(event), topic_of(event)
            digest = event_hash(stream, version, topic, payload, previous)
            stored.append(
                self._store.mapper.to_stored_event(
                    ChainedEvent(stream, version, topic, payload, previous, digest)
                )
            )
            previous = digest
        return stored, (version, previous)

    def _head(self, stream: UUID, *, fresh: bool) -> tuple[int, str]:
        if not fresh:
            with self._heads_lock:
                known = self._heads.get(stream)
            if known is not None:
                return known
        last = self._store.recorder.select_events(stream, desc=True, limit=1)
        head = (0, GENESIS)
        if last:
            head = (last[0].originator_version, self._store.mapper.to_chained_event(last[0]).hash)
        self._remember(stream, *head)
        return head

    def _remember(self, stream: UUID, version: int, head_hash: str) -> None:
        with self._heads_lock:
            self._heads[stream] = (version, head_hash)
            self._heads.move_to_end(stream)
            while len(self._heads) > self._max_heads:
                self._heads.popitem(last=False)
