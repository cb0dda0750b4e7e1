"""How events change a person's timeline: every event is a row; a mark of an entry entered in error flags it."""

from __future__ import annotations

from functools import singledispatch

from carerecord_events.base import CareRecordEvent
from carerecord_events.corrections import CorrectionRecorded, EntryMarkedEnteredInError
from carerecord_events.plain import summarise
from carerecord_projections.batch import Batch

INSERT = """INSERT INTO person_timeline (record_id, version, position, event_id, event_type, label,
    summary, occurred_at, recorded_at, recorded_by_user, recorded_by_role, recorded_by_organisation,
    corrects_event_id) VALUES %s"""


def add_row(batch: Batch, version: int, position: int, event: CareRecordEvent) -> None:
    corrects = getattr(event, "corrects_event_id", None) or getattr(event, "entry_event_id", None)
    recorded_by = event.recorded_by
    batch.insert(
        INSERT,
        (
            *(event.record_id, version, position, event.event_id, event.TYPE, event.LABEL, summarise(event)),
            *(event.occurred_at, event.recorded_at),
            *(recorded_by.user_id, recorded_by.role.value, recorded_by.organisation, corrects),
        ),
    )


@singledispatch
def project(event: CareRecordEvent, batch: Batch) -> None:
    return  # its row says all the timeline holds of it


@project.register
def _(event: CorrectionRecorded, batch: Batch) -> None:
    return  # its row links the correction to what it corrects


@project.register
def _(event: EntryMarkedEnteredInError, batch: Batch) -> None:
    batch.execute(
        "UPDATE person_timeline SET entered_in_error = true WHERE event_id = %s RETURNING event_type",
        (event.entry_event_id,),
    )
