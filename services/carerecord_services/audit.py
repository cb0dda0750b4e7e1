"""The access audit stream: every read of personal data, granted or refused, and every break-glass access.

A store of its own (tables access_audit_events), so reading a record never changes the record's version. Each
read is its own one-event stream, so concurrent readers never conflict; appends go through a group writer,
so recording every read before the response is sent stays cheap.

Break glass grants access, so it is decided from the store, never from a read model that may lag: each person's
break-glass accesses and their reviews are one stream (`break_glass_stream`), read back before every decision.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID, uuid4, uuid5

from carerecord_events.access import (
    NO_RECORD,
    BreakGlassAccessReviewed,
    BreakGlassAccessStarted,
    PeopleSearched,
    RecordAccessed,
)
from carerecord_events.base import Actor, CareRecordEvent
from carerecord_services.chain import GENESIS
from carerecord_services.errors import DomainError, VersionConflict
from carerecord_services.store import EventStore, LoadedRecord, _CareRecordApplication
from carerecord_services.text import check_storable, check_storable_fields
from carerecord_services.writer import GroupWriter

Clock = Callable[[], datetime]
E = TypeVar("E", bound=CareRecordEvent)


BREAK_GLASS_NAMESPACE = UUID("2b1f7c52-9d1e-4d6a-8f43-7a0c9b6e1d25")


def break_glass_stream(record_id: UUID) -> UUID:
    """The stream of one person's break-glass accesses and their reviews."""
    return uuid5(BREAK_GLASS_NAMESPACE, str(record_id))


@dataclass(frozen=True)
class BreakGlassHistory:
    """One person's break-glass accesses and reviews, as the store holds them now."""

    started: tuple[BreakGlassAccessStarted, ...]
    reviewed: frozenset[UUID]

    def open_until(self, user_id: str, now: datetime) -> datetime | None:
        """When this user's live break-glass access ends, if they have one."""
        return max(
            (s.expires_at for s in self.started if s.recorded_by.user_id == user_id and s.expires_at > now),
            default=None,
        )

    def access(self, access_id: UUID) -> BreakGlassAccessStarted | None:
        return next((s for s in self.started if s.access_id == access_id), None)


class _AccessAuditApplication(_CareRecordApplication):
    name = "AccessAudit"  # its own tables: access_audit_events


class AccessAuditStore(EventStore):
    application_class = _AccessAuditApplication


class AccessAudit:
    def __init__(
        self,
        store: AccessAuditStore,
        writer: GroupWriter,
        *,
        clock: Clock,
        after_append: Callable[[], object] | None = None,
    ) -> None:
        self._store = store
        self._writer = writer
        self._clock = clock
        self._after_append = after_append

    def record_access(
        self,
        actor: Actor,
        record_id: UUID | None,
        *,
        operation: str,
        purpose: str,
        granted: bool,
        version_shown: int | None = None,
        refusal_reason: str = "",
        via_break_glass: bool = False,
    ) -> RecordAccessed:
        check_storable(purpose, "purpose")
        access_id = uuid4()
        return self._append(
            RecordAccessed(
                **self._common(actor, record_id or NO_RECORD),
                access_id=access_id,
                operation=operation,
                purpose=purpose,
                granted=granted,
                version_shown=version_shown,
                refusal_reason=refusal_reason,
                via_break_glass=via_break_glass,
            )
        )

    def record_accesses(
        self, actor: Actor, shown: Sequence[tuple[UUID, int | None]], *, operation: str, purpose: str
    ) -> int:
        """Many granted reads at once (an oversight drill-down lists many people's decisions): one access
        record per person, so each appears in that person's access history, written in one transaction."""
        if not shown:
            return 0
        stored = []
        for record_id, version in shown:
            event = RecordAccessed(
                **self._common(actor, record_id),
                access_id=uuid4(),
                operation=operation,
                purpose=purpose,
                granted=True,
                version_shown=version,
            )
            stored += self._store.chain(LoadedRecord(event.access_id, [], 0, GENESIS), [event])
        self._writer.append(stored)
        if self._after_append is not None:
            self._after_append()
        return len(shown)

    def break_glass(self, record_id: UUID) -> BreakGlassHistory:
        """The person's break-glass accesses and reviews, read from the store now."""
        events = self._store.load(break_glass_stream(record_id)).events
        return BreakGlassHistory(
            started=tuple(e for e in events if isinstance(e, BreakGlassAccessStarted)),
            reviewed=frozenset(
                e.reviewed_access_id for e in events if isinstance(e, BreakGlassAccessReviewed)
            ),
        )

    def start_break_glass(
        self, actor: Actor, record_id: UUID, reason: str, lasts: timedelta
    ) -> BreakGlassAccessStarted:
        check_storable(reason, "reason")
        now = self._clock()
        started = BreakGlassAccessStarted(
            **self._common(actor, record_id), access_id=uuid4(), reason=reason, expires_at=now + lasts
        )
        return self._append_to_person(record_id, started)

    def review_break_glass(
        self, actor: Actor, record_id: UUID, reviewed_access_id: UUID, *, appropriate: bool, notes: str
    ) -> BreakGlassAccessReviewed:
        """An assurance team's finding on one break-glass access, decided from the store: the access must be
        one of this person's, and not yet reviewed."""
        check_storable(notes, "notes")
        history = self.break_glass(record_id)
        if history.access(reviewed_access_id) is None:
            raise DomainError(
                "there is no such break-glass access", field="access_id", rule="access-not-found"
            )
        if reviewed_access_id in history.reviewed:
            raise DomainError(
                "this access has been reviewed already", field="access_id", rule="already-reviewed"
            )
        reviewed = BreakGlassAccessReviewed(
            **self._common(actor, record_id),
            access_id=uuid4(),
            reviewed_access_id=reviewed_access_id,
            appropriate=appropriate,
            notes=notes,
        )
        return self._append_to_person(record_id, reviewed, unless_reviewed=reviewed_access_id)

    def record_search(self, actor: Actor, purpose: str, record_ids: tuple[UUID, ...]) -> PeopleSearched:
        check_storable(purpose, "purpose")
        return self._append(
            PeopleSearched(
                **self._common(actor, NO_RECORD),
                access_id=uuid4(),
                purpose=purpose,
                results=len(record_ids),
                record_ids=record_ids,
            )
        )

    def _common(self, actor: Actor, record_id: UUID) -> dict[str, Any]:
        check_storable_fields(actor, "actor")  # an unstorable character would stop the access log for good
        now = self._clock()
        return {
            "event_id": uuid4(),
            "record_id": record_id,
            "occurred_at": now,
            "recorded_at": now,
            "recorded_by": actor,
        }

    def _append_to_person(self, record_id: UUID, event: E, unless_reviewed: UUID | None = None) -> E:
        """Appends to the person's break-glass stream; another process appending at the same moment makes this
        one read the stream again and chain after it (a review is then refused if that one reviewed it)."""
        stream = break_glass_stream(record_id)
        for _ in range(20):
            loaded = self._store.load(stream)
            if unless_reviewed is not None and unless_reviewed in self.break_glass(record_id).reviewed:
                raise DomainError(
                    "this access has been reviewed already", field="access_id", rule="already-reviewed"
                )
            try:
                self._writer.append(self._store.chain(loaded, [event]))
            except VersionConflict:
                continue
            if self._after_append is not None:
                self._after_append()
            return event
        raise VersionConflict("the access audit is busy; try again", field="record_id")

    def _append(self, event: E) -> E:
        stream = getattr(event, "access_id")  # noqa: B009 - every access event has its own stream
        self._writer.append(self._store.chain(LoadedRecord(stream, [], 0, GENESIS), [event]))
        if self._after_append is not None:
            self._after_append()
        return event
