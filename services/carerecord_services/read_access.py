"""Who may read whose record: decided from the record itself (its events, replayed now), never from a read model
that may lag. An organisation that ended its relationship, or a representative who was withdrawn, is refused from
the moment the change is acknowledged, whatever the read models' lag.

Every decision, granted or refused, is recorded in the access audit before anything is returned. What a refused
caller is told says only what they may know: never whether a record they may not read exists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from carerecord_events.access import NO_RECORD
from carerecord_events.base import Actor
from carerecord_events.record.state import PersonRecord
from carerecord_events.roles import ROLES, Role
from carerecord_services.audit import AccessAudit
from carerecord_services.policy import BOARD_ROLES, PERMISSIONS, Read

Clock = Callable[[], datetime]
BoardOrganisations = Callable[[str], frozenset[str]]
"""The ODS codes of the organisations in an integrated care board (from the organisation register)."""

UNSEEN = "there is no such record, or you may not see it"


@dataclass(frozen=True)
class Reader:
    """Who is asking: their actor, and for a person's or representative's token the record it acts for."""

    actor: Actor
    record_id: UUID | None = None
    representative_id: UUID | None = None


@dataclass(frozen=True)
class Period:
    """The instant (start == end) or period a read asks about."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class ReadDecision:
    granted: bool
    reason: str = ""
    """For the access audit: which rule refused (the caller hears `message`)."""
    message: str = ""
    via_break_glass: bool = False
    break_glass_until: datetime | None = None
    """When the reader's break-glass access ends, if that is what let them read."""


class ReadRefused(Exception):
    """A read was refused (and recorded). The message says only what the caller may know."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


ROLE_REFUSALS: dict[Read, tuple[str, str]] = {
    Read.SEARCH_PEOPLE: ("not an urgent-care role", "only urgent-care clinicians may search for people"),
    Read.REVIEW_RELATIONSHIPS: (
        "not a privacy officer or assurance role",
        "only privacy officers and assurance teams review care relationships",
    ),
    Read.INVESTIGATE: ("not an assurance role", "only assurance teams may investigate"),
    Read.SUBSCRIBE: (
        "not a role of a caring organisation",
        "only staff of an organisation caring for people may subscribe to their changes",
    ),
}
"""For the reads only some roles may ask for: the access audit's reason, and what the caller is told."""


def decide_read(
    record: PersonRecord | None,
    reader: Reader,
    record_id: UUID,
    period: Period,
    *,
    board: Callable[[], frozenset[str]],
    break_glass_until: Callable[[], datetime | None],
    now: datetime,
    unconfirmed_lasts: timedelta = timedelta(days=7),
) -> ReadDecision:
    """Whether `reader` may read the record `record_id` (None or unregistered: there is no such record) as it
    stood over `period`; staff by their relationship `now`. `board` and `break_glass_until` are asked only when
    the rule needs them; a relationship on an "other" basis lapses `unconfirmed_lasts` after it started unless
    the organisation's administrator confirmed it."""
    role = reader.actor.role
    if role is Role.PERSON:
        return _own(reader.record_id == record_id, record, "you may only see your own record")
    if role is Role.REPRESENTATIVE:
        if reader.record_id != record_id:
            return _refused("not the represented record", "you may only see the record you represent")
        wanted = reader.representative_id
        representative = record.representatives.get(wanted) if record and wanted else None
        active = representative is not None and representative.active
        return _own(active, record, "you are not recorded as this person's representative")
    if role in BOARD_ROLES:
        return _within_board(record, reader, period, board)
    if role is Role.SYSTEM:
        return _refused("the system role reads nothing", UNSEEN)
    exists = record is not None and record.registered
    caring = record is not None and record.cares_now(reader.actor.organisation, now, unconfirmed_lasts)
    if exists and caring:
        return ReadDecision(True)
    until = break_glass_until() if exists else None
    if until is not None:
        return ReadDecision(True, via_break_glass=True, break_glass_until=until)
    # the same words whether or not the record exists: a stranger learns nothing of which records exist
    label = ROLES[role].label
    return _refused(
        f"no care relationship with {reader.actor.organisation} ({label})" if exists else "no such record",
        f"{UNSEEN}: {reader.actor.organisation} has no care relationship recorded for it; "
        "in an emergency, use break glass",
    )


def _own(allowed: bool, record: PersonRecord | None, message: str) -> ReadDecision:
    if not allowed:
        return _refused(message, message)
    if record is None or not record.registered:
        return _refused("no such record", UNSEEN)
    return ReadDecision(True)


def _within_board(
    record: PersonRecord | None, reader: Reader, period: Period, board: Callable[[], frozenset[str]]
) -> ReadDecision:
    """An assurance team reads the people cared for by one of its board's organisations over the period asked
    about (now, for a current read), so that it can still investigate a person who has died or moved away."""
    periods = record.care_periods if record is not None and record.registered else ()
    members = board() if periods else frozenset()
    if any(p.organisation in members and p.overlaps(period.start, period.end) for p in periods):
        return ReadDecision(True)
    code = reader.actor.organisation
    return _refused(
        f"not cared for within board {code} over the period asked about" if periods else "no such record",
        f"{UNSEEN}: no organisation of the integrated care board {code} cared for this person at the time "
        "asked about",
    )


def _refused(reason: str, message: str) -> ReadDecision:
    return ReadDecision(False, reason=reason, message=message)


class ReadAccess:
    """Decides a read from the record in the store and records the decision in the access audit."""

    def __init__(
        self,
        load: Callable[[UUID], PersonRecord | None],
        audit: AccessAudit,
        boards: BoardOrganisations,
        clock: Clock,
        unconfirmed_lasts: timedelta = timedelta(days=7),
    ) -> None:
        self._load = load
        self._audit = audit
        self._boards = boards
        self._clock = clock
        self._unconfirmed_lasts = unconfirmed_lasts

    def board(self, code: str) -> frozenset[str]:
        """The organisations of an integrated care board."""
        return self._boards(code)

    def decide(self, reader: Reader, record_id: UUID | None, period: Period | None = None) -> ReadDecision:
        """The decision alone, recorded by nobody (a subscription filters each push with it). `record_id` None:
        no record was found for the identifier given, which is refused in the same words as any other."""
        record = self._load(record_id) if record_id is not None else None
        return self.decide_on(record, reader, record_id, period)

    def decide_on(
        self,
        record: PersonRecord | None,
        reader: Reader,
        record_id: UUID | None,
        period: Period | None = None,
    ) -> ReadDecision:
        """As `decide`, on the record a use case has already loaded (None: there is none), so that a command
        replays the record once."""
        now = self._clock()
        record_id = record_id or NO_RECORD
        return decide_read(
            record,
            reader,
            record_id,
            period or Period(now, now),
            board=lambda: self._boards(reader.actor.organisation),
            break_glass_until=lambda: self._audit.break_glass(record_id).open_until(
                reader.actor.user_id, now
            ),
            now=now,
            unconfirmed_lasts=self._unconfirmed_lasts,
        )

    def require_role(
        self, actor: Actor, asked: Read, record_id: UUID | None, *, operation: str, purpose: str
    ) -> None:
        """A read only some roles may ask for (`PERMISSIONS`): any other role is refused before anything is
        looked up, the refusal recorded and raised as ReadRefused."""
        if actor.role in PERMISSIONS[asked]:
            return
        reason, message = ROLE_REFUSALS[asked]
        self._audit.record_access(
            actor, record_id, operation=operation, purpose=purpose, granted=False, refusal_reason=reason
        )
        raise ReadRefused(message)

    def authorise(
        self,
        reader: Reader,
        record_id: UUID | None,
        *,
        operation: str,
        purpose: str,
        period: Period | None = None,
    ) -> ReadDecision:
        """A granted decision (the caller then records what it showed with `shown`); a refusal is recorded here
        and raised as ReadRefused. `record_id` None: no record was found for the identifier given."""
        decision = self.decide(reader, record_id, period)
        if not decision.granted:
            self._audit.record_access(
                reader.actor,
                record_id,
                operation=operation,
                purpose=purpose,
                granted=False,
                refusal_reason=decision.reason,
            )
            raise ReadRefused(decision.message)
        return decision

    def shown(
        self,
        reader: Reader,
        record_id: UUID,
        decision: ReadDecision,
        *,
        operation: str,
        purpose: str,
        version_shown: int | None,
    ) -> None:
        self._audit.record_access(
            reader.actor,
            record_id,
            operation=operation,
            purpose=purpose,
            granted=True,
            version_shown=version_shown,
            via_break_glass=decision.via_break_glass,
        )
