"""The rules of putting the record right: entries marked in error, corrections, and concerns raised and
resolved."""

from __future__ import annotations

from carerecord_events import assurance
from carerecord_events import corrections as facts
from carerecord_events.base import CareRecordEvent
from carerecord_events.people import PersonRegistered
from carerecord_events.record.state import PersonRecord
from carerecord_services import commands as c
from carerecord_services.errors import EntryNotFound, InvalidInput
from carerecord_services.policy import Action
from carerecord_services.rules.common import Stamp, content, permit, require_text, rule


@rule
def _(command: c.MarkEnteredInError, record: PersonRecord, stamp: Stamp) -> list[CareRecordEvent]:
    permit(command.actor, Action.MARK_ENTERED_IN_ERROR, stamp.context.policy)
    entry_type = record.entries.get(command.entry_event_id)
    if entry_type is None:
        raise EntryNotFound("there is no such entry on this record", field="entry_event_id")
    if entry_type in (PersonRegistered.TYPE, facts.EntryMarkedEnteredInError.TYPE):
        raise InvalidInput(
            f"a {entry_type} entry cannot be marked as entered in error", field="entry_event_id"
        )
    if command.entry_event_id in record.entered_in_error:
        raise InvalidInput("this entry is already marked as entered in error", field="entry_event_id")
    require_text(command.reason, "reason", "the reason the entry was in error")
    return [
        stamp(facts.EntryMarkedEnteredInError, entry_event_id=command.entry_event_id, reason=command.reason)
    ]


@rule
def _(command: c.RecordCorrection, record: PersonRecord, stamp: Stamp) -> list[CareRecordEvent]:
    permit(command.actor, Action.RECORD_CORRECTION, stamp.context.policy)
    if command.corrects_event_id not in record.entries:
        raise EntryNotFound("the correction points at no entry on this record", field="corrects_event_id")
    require_text(command.correction, "correction", "the correction")
    return [
        stamp(
            facts.CorrectionRecorded,
            corrects_event_id=command.corrects_event_id,
            correction=command.correction,
        )
    ]


@rule
def _(command: c.RaiseConcern, record: PersonRecord, stamp: Stamp) -> list[CareRecordEvent]:
    permit(command.actor, Action.RAISE_CONCERN, stamp.context.policy)
    if command.plan_id is not None and command.plan_id not in record.plans:
        raise EntryNotFound("there is no such plan on this record", field="plan_id")
    require_text(command.summary, "summary", "what the concern is")
    return [
        stamp(
            facts.ConcernRaised,
            concern_id=stamp.context.new_id(),
            raised_by=command.raised_by,
            summary=command.summary,
            plan_id=command.plan_id,
        )
    ]


@rule
def _(command: c.ResolveConcern, record: PersonRecord, stamp: Stamp) -> list[CareRecordEvent]:
    permit(command.actor, Action.RESOLVE_CONCERN, stamp.context.policy)
    if command.concern_id not in record.open_concerns:
        raise EntryNotFound("there is no such open concern", field="concern_id")
    require_text(command.resolution, "resolution", "how the concern was resolved")
    return [stamp(facts.ConcernResolved, concern_id=command.concern_id, resolution=command.resolution)]


@rule
def _(command: c.RecordBoardFinding, record: PersonRecord, stamp: Stamp) -> list[CareRecordEvent]:
    permit(command.actor, Action.RECORD_BOARD_FINDING, stamp.context.policy)
    if command.plan_id not in record.plans:
        raise EntryNotFound("there is no such plan on this record", field="plan_id")
    return [stamp(assurance.BoardFindingRecorded, **content(command, assurance.BoardFindingContent))]
