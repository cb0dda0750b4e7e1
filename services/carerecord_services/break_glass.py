"""Break glass: an urgent-care clinician opens a record without a care relationship, in an emergency, for a
limited time. Decided here, like every other change: decide(command, now) -> the events, or a named refusal.

Granted whether or not the id names a record: the answer must not tell a stranger which records exist (reads
of an id with no record are refused like any other record they may not see).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from carerecord_events.access import BreakGlassAccessStarted
from carerecord_events.base import Actor
from carerecord_services.errors import DomainError, NotPermitted
from carerecord_services.policy import PERMISSIONS, Read
from carerecord_services.text import check_storable, check_storable_fields


@dataclass(frozen=True)
class BreakGlass:
    """Open `record_id` now, for `lasts`, for the reason given."""

    actor: Actor
    record_id: UUID
    reason: str
    lasts: timedelta


@dataclass(frozen=True)
class ReviewBreakGlass:
    """An assurance team's finding on one break-glass access: appropriate or not, and why."""

    actor: Actor
    access_id: UUID
    appropriate: bool
    notes: str


def stated(text: str, words: int) -> bool:
    """Whether `text` says something: at least `words` words of three letters or more."""
    return len(re.findall(r"[A-Za-z]{3,}", text)) >= words


def decide_break_glass(command: BreakGlass, now: datetime) -> list[BreakGlassAccessStarted]:
    """The access started, or NotPermitted (a role that may not break glass) or a DomainError naming the rule."""
    if command.actor.role not in PERMISSIONS[Read.BREAK_GLASS]:
        raise NotPermitted("only urgent-care clinicians may use break glass")
    if not stated(command.reason, 4):
        raise DomainError("say why you need this record now", field="reason", rule="reason-required")
    return [access_started(command, now)]


def access_started(command: BreakGlass, now: datetime) -> BreakGlassAccessStarted:
    """The access as the audit records it, once decided (the storable checks only)."""
    check_storable(command.reason, "reason")
    check_storable_fields(
        command.actor, "actor"
    )  # an unstorable character would stop the access log for good
    return BreakGlassAccessStarted(
        event_id=uuid4(),
        record_id=command.record_id,
        occurred_at=now,
        recorded_at=now,
        recorded_by=command.actor,
        access_id=uuid4(),
        reason=command.reason,
        expires_at=now + command.lasts,
    )


def check_reviewer(command: ReviewBreakGlass) -> None:
    """Who may review, and that the notes say something: decided before anything is looked up."""
    if command.actor.role not in PERMISSIONS[Read.REVIEW_BREAK_GLASS]:
        raise NotPermitted("only assurance teams review break-glass accesses")
    if not stated(command.notes, 3):
        raise DomainError("say what the review found", field="notes", rule="notes-required")


def no_such_access() -> DomainError:
    return DomainError("there is no such break-glass access", field="access_id", rule="access-not-found")
