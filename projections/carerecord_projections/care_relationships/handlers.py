"""How events change who cares for each person."""

from __future__ import annotations

from functools import singledispatch

from carerecord_events.base import CareRecordEvent
from carerecord_events.people import CareRelationshipEnded, CareRelationshipStarted
from carerecord_projections.batch import Batch


@singledispatch
def project(event: CareRecordEvent, batch: Batch) -> None:
    return  # not about who cares for the person


@project.register
def _(event: CareRelationshipStarted, batch: Batch) -> None:
    batch.insert(
        """INSERT INTO care_relationships (record_id, organisation, setting, started_at, started_by_role, basis)
           VALUES %s""",
        (
            event.record_id,
            event.organisation,
            event.setting.value,
            event.occurred_at,
            event.recorded_by.role.value,
            event.basis.value,
        ),
    )


@project.register
def _(event: CareRelationshipEnded, batch: Batch) -> None:
    batch.execute(
        "UPDATE care_relationships SET ended_at = %s WHERE record_id = %s AND organisation = %s AND ended_at IS NULL",
        (event.occurred_at, event.record_id, event.organisation),
    )
