"""The access audit: every read of personal data, granted or refused, every break-glass access and review,
every search, every refused request and every disclosure to a provider feed.

A store of its own (tables accessaudit_events), so reading a record never changes the record's version. Every
event is chained into a stream that a deletion would break: one per person, one per organisation and day for
what concerns no one person (see audit_streams.py for which and why); appends go through a group writer, so
recording every read before the response is sent stays cheap.

Break glass grants access, so it is decided from the store, never from a read model that may lag: each person's
break-glass accesses and their reviews are one stream (`break_glass_stream`), read back before every decision.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID, uuid4

from carerecord_events import access as facts
from carerecord_events.access import NO_RECORD
from carerecord_events.base import Actor, CareRecordEvent
from carerecord_events.roles import Role
from carerecord_services.audit_streams import (
    ChainedAppender,
    back_off,
    break_glass_stream,
    urgent_care_sharing_stream,
)
from carerecord_services.break_glass import (
    BreakGlass,
    ReviewBreakGlass,
    access_started,
    check_reviewer,
    decide_break_glass,
    no_such_access,
)
from carerecord_services.errors import DomainError, VersionConflict
from carerecord_services.store import EventStore, _CareRecordApplication
from carerecord_services.text import check_storable, check_storable_fields
from carerecord_services.urgent_care import (
    GrantUrgentCareSharing,
    Register,
    UrgentCareSharing,
    WithdrawUrgentCareSharing,
    decide_grant,
    decide_withdrawal,
    sharing_from,
)
from carerecord_services.writer import GroupWriter

Clock = Callable[[], datetime]
E = TypeVar("E", bound=CareRecordEvent)

REFUSALS_RECORDER = "carerecord-api"  # refused requests are recorded by the API, not by whoever asked

__all__ = ["AccessAudit", "AccessAuditStore", "BreakGlassHistory", "break_glass_stream"]


@dataclass(frozen=True)
class BreakGlassHistory:
    """One person's break-glass accesses and reviews, as the store holds them now."""

    started: tuple[facts.BreakGlassAccessStarted, ...]
    reviewed: frozenset[UUID]

    def open_until(self, user_id: str, now: datetime) -> datetime | None:
        """When this user's live break-glass access ends, if they have one."""
        return max(
            (s.expires_at for s in self.started if s.recorded_by.user_id == user_id and s.expires_at > now),
            default=None,
        )

    def access(self, access_id: UUID) -> facts.BreakGlassAccessStarted | None:
        return next((s for s in self.started if s.access_id == access_id), None)


class _AccessAuditApplication(_CareRecordApplication):
    name = "AccessAudit"  # its own tables: accessaudit_events


class AccessAuditStore(EventStore):
    application_class = _AccessAuditApplication

    def access_at(self, position: int, access_id: UUID) -> CareRecordEvent | None:
        """The access event stored at `position` (which the access log read model gives), provided it is the
        access asked about: the read model only says where to look, the store says what was recorded."""
        found = self.notifications(position, 1)
        if not found or found[0].id != position:
            return None
        event = self.mapper.to_chained_event(found[0]).decode()
        return event if getattr(event, "access_id", None) == access_id else None


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
        self._appender = ChainedAppender(store, writer)

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
    ) -> facts.RecordAccessed:
        check_storable(purpose, "purpose")
        access_id = uuid4()
        return self._append(
            facts.RecordAccessed(
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
        self._append_all(
            [
                facts.RecordAccessed(
                    **self._common(actor, record_id),
                    access_id=uuid4(),
                    operation=operation,
                    purpose=purpose,
                    granted=True,
                    version_shown=version,
                )
                for record_id, version in shown
            ]
        )
        return len(shown)

    def break_glass(self, record_id: UUID) -> BreakGlassHistory:
        """The person's break-glass accesses and reviews, read from the store now."""
        events = self._store.load(break_glass_stream(record_id)).events
        return BreakGlassHistory(
            started=tuple(e for e in events if isinstance(e, facts.BreakGlassAccessStarted)),
            reviewed=frozenset(
                e.reviewed_access_id for e in events if isinstance(e, facts.BreakGlassAccessReviewed)
            ),
        )

    def grant_break_glass(self, command: BreakGlass) -> facts.BreakGlassAccessStarted:
        """Decided by the rules (`decide_break_glass`), then recorded in the person's break-glass stream."""
        (started,) = decide_break_glass(command, self._clock())
        return self._append_to_person(command.record_id, started)

    def start_break_glass(
        self, actor: Actor, record_id: UUID, reason: str, lasts: timedelta
    ) -> facts.BreakGlassAccessStarted:
        """Records an access as started, without the rules' checks of role and reason: for a situation set up
        (a demonstration, a test); a caller's request is `grant_break_glass`."""
        started = access_started(BreakGlass(actor, record_id, reason, lasts), self._clock())
        return self._append_to_person(record_id, started)

    def review_break_glass_access(
        self, command: ReviewBreakGlass, whose: Callable[[UUID], UUID | None]
    ) -> facts.BreakGlassAccessReviewed:
        """A reviewer's request: the reviewer and their notes checked first, then the access, whose record
        `whose` says (a read model may: the store then decides whether it is one, and still unreviewed)."""
        check_reviewer(command)
        record_id = whose(command.access_id)
        if record_id is None:
            raise no_such_access()
        return self.review_break_glass(
            command.actor, record_id, command.access_id, appropriate=command.appropriate, notes=command.notes
        )

    def review_break_glass(
        self, actor: Actor, record_id: UUID, reviewed_access_id: UUID, *, appropriate: bool, notes: str
    ) -> facts.BreakGlassAccessReviewed:
        """An assurance team's finding on one break-glass access, decided from the store: the access must be
        one of this person's, and not yet reviewed."""
        check_storable(notes, "notes")
        history = self.break_glass(record_id)
        if history.access(reviewed_access_id) is None:
            raise no_such_access()
        if reviewed_access_id in history.reviewed:
            raise DomainError(
                "this access has been reviewed already", field="access_id", rule="already-reviewed"
            )
        reviewed = facts.BreakGlassAccessReviewed(
            **self._common(actor, record_id),
            access_id=uuid4(),
            reviewed_access_id=reviewed_access_id,
            appropriate=appropriate,
            notes=notes,
        )
        return self._append_to_person(record_id, reviewed, unless_reviewed=reviewed_access_id)

    def urgent_care_sharing(self) -> UrgentCareSharing:
        """The grants of the region's plans to urgent and emergency care services in force now, from the store."""
        return sharing_from(self._store.load(urgent_care_sharing_stream()).events)

    def grant_urgent_care_sharing(
        self, command: GrantUrgentCareSharing, register: Register
    ) -> facts.UrgentCareSharingGranted:
        """Decided from the grants in the store (`decide_grant`), then recorded in the region's sharing stream;
        another grant recorded at the same moment makes it decide again."""
        return self._decided_in_sharing_stream(
            lambda sharing: decide_grant(command, sharing, register, self._clock())
        )

    def withdraw_urgent_care_sharing(
        self, command: WithdrawUrgentCareSharing, register: Register
    ) -> facts.UrgentCareSharingWithdrawn:
        return self._decided_in_sharing_stream(
            lambda sharing: decide_withdrawal(command, sharing, register, self._clock())
        )

    def _decided_in_sharing_stream(self, decide: Callable[[UrgentCareSharing], E]) -> E:
        stream = urgent_care_sharing_stream()
        for attempt in range(20):
            loaded = self._store.load(stream)
            event = decide(sharing_from(loaded.events))
            try:
                self._writer.append(self._store.chain(loaded, [event]))
            except VersionConflict:
                back_off(attempt)
                continue
            if self._after_append is not None:
                self._after_append()
            return event
        raise VersionConflict("the access audit is busy; try again", field="organisation")

    def record_search(self, actor: Actor, purpose: str, record_ids: tuple[UUID, ...]) -> facts.PeopleSearched:
        check_storable(purpose, "purpose")
        return self._append(
            facts.PeopleSearched(
                **self._common(actor, NO_RECORD),
                access_id=uuid4(),
                purpose=purpose,
                results=len(record_ids),
                record_ids=record_ids,
            )
        )

    def record_refusal(
        self,
        *,
        kind: str,
        reason: str,
        operation: str | None,
        token_id: str | None = None,
        key_id: str | None = None,
        user_id: str | None = None,
        role: str | None = None,
        organisation: str | None = None,
        client_address: str | None = None,
    ) -> facts.RequestRefused:
        """A refused request (a bad token, or a good one asking what it may not). The API records it; who asked
        is known only as far as the token could be read (the caller keeps only what looks like an identifier),
        never by name. It joins the stream of the organisation asked for, or of "unknown"."""
        recorder = Actor(user_id=REFUSALS_RECORDER, role=Role.SYSTEM, organisation=organisation or "")
        return self._append(
            facts.RequestRefused(
                **self._common(recorder, NO_RECORD),
                access_id=uuid4(),
                kind=kind,
                reason=reason,
                operation=operation,
                token_id=token_id,
                key_id=key_id,
                user_id=user_id,
                role=role,
                organisation=organisation,
                client_address=client_address,
            )
        )

    def record_disclosures(self, disclosed: Sequence[tuple[str, UUID, UUID, int, str]]) -> int:
        """What the feeds sent: (organisation, record id, event id, store position, event type) each, in one
        transaction, each in its person's stream, recorded as by that organisation's feed."""
        if not disclosed:
            return 0
        self._append_all(
            [
                facts.FeedDisclosed(
                    **self._common(
                        Actor(user_id=f"feed.{organisation}", role=Role.SYSTEM, organisation=organisation),
                        record_id,
                    ),
                    access_id=uuid4(),
                    organisation=organisation,
                    disclosed_event_id=event_id,
                    position=position,
                    event_type=event_type,
                )
                for organisation, record_id, event_id, position, event_type in disclosed
            ]
        )
        return len(disclosed)

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
        for attempt in range(20):
            loaded = self._store.load(stream)
            if unless_reviewed is not None and unless_reviewed in self.break_glass(record_id).reviewed:
                raise DomainError(
                    "this access has been reviewed already", field="access_id", rule="already-reviewed"
                )
            try:
                self._writer.append(self._store.chain(loaded, [event]))
            except VersionConflict:
                back_off(attempt)
                continue
            if self._after_append is not None:
                self._after_append()
            return event
        raise VersionConflict("the access audit is busy; try again", field="record_id")

    def _append(self, event: E) -> E:
        self._append_all([event])
        return event

    def _append_all(self, events: Sequence[CareRecordEvent]) -> None:
        self._appender.append(events)
        if self._after_append is not None:
            self._after_append()
