"""Corrections and concerns. Nothing is edited in place: a mistake is marked, a correction points at it."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from carerecord_events.base import CareRecordEvent, event_type
from carerecord_events.vocabulary import ConcernRaisedBy


@event_type(
    "EntryMarkedEnteredInError",
    version=1,
    label="Entry marked as entered in error",
    easy_read="Something was written on the wrong record or by mistake. It no longer counts.",
)
@dataclass(frozen=True, kw_only=True)
class EntryMarkedEnteredInError(CareRecordEvent):
    """Different from a revocation: the entry should never have been there (wrong person, wrong form)."""

    entry_event_id: UUID
    reason: str


@event_type(
    "CorrectionRecorded",
    version=1,
    label="Correction recorded",
    easy_read="A mistake in the record was put right. The old entry is still kept.",
)
@dataclass(frozen=True, kw_only=True)
class CorrectionRecorded(CareRecordEvent):
    corrects_event_id: UUID
    correction: str


@event_type(
    "ConcernRaised",
    version=1,
    label="Concern raised about a decision",
    easy_read="Someone said they were worried about a decision.",
)
@dataclass(frozen=True, kw_only=True)
class ConcernRaised(CareRecordEvent):
    concern_id: UUID
    raised_by: ConcernRaisedBy
    summary: str
    plan_id: UUID | None = None


@event_type(
    "ConcernResolved",
    version=1,
    label="Concern resolved",
    easy_read="The worry about a decision was looked into and answered.",
)
@dataclass(frozen=True, kw_only=True)
class ConcernResolved(CareRecordEvent):
    concern_id: UUID
    resolution: str
