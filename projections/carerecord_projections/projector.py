"""Applies events to the read models, inside the caller's transaction (psycopg2 cursor).

Each event is applied at most once: a record's events carry consecutive versions, and an event whose version
is not newer than the last one applied for its record is a duplicate (a redelivery, a relay resend) and changes
nothing. A version further ahead than the next one means an event is missing: that stops the projection loudly.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import singledispatch
from typing import Any
from uuid import UUID

import psycopg2.extras

from carerecord_events.base import CareRecordEvent
from carerecord_events.codec import from_payload
from carerecord_events.conversations import (
    AdvanceDecisionRecorded,
    AdvanceDecisionWithdrawn,
    CapacityAssessed,
    ConversationRecorded,
    RepresentativeRecorded,
    RepresentativeWithdrawn,
)
from carerecord_events.corrections import (
    ConcernRaised,
    ConcernResolved,
    CorrectionRecorded,
    EntryMarkedEnteredInError,
)
from carerecord_events.people import (
    CareRelationshipConfirmed,
    CareRelationshipEnded,
    CareRelationshipReviewed,
    CareRelationshipStarted,
    NhsNumberIndexed,
    PersonDied,
    PersonRegistered,
    RequestRecorded,
)
from carerecord_events.plain import summarise
from carerecord_events.plans import (
    DecisionCommunicated,
    PlanReviewed,
    PlanRevoked,
    PlanSuperseded,
    RecommendationMade,
    SeniorEndorsementGiven,
)
from carerecord_events.record.state import PersonRecord
from carerecord_events.vocabulary import ReviewOutcome
from carerecord_projections.current_plan.batch import CurrentPlans


class ProjectionGap(Exception):
    """An event arrived whose predecessor on the same record was never applied."""


@dataclass(frozen=True)
class Positioned:
    """An event with its place in the store's notification log."""

    position: int
    event: CareRecordEvent


def decode(position: int, type_name: str, schema_version: int, payload: dict[str, Any]) -> Positioned:
    """Raises UnknownEventType for a type this carerecord does not know: a worker stops rather than skip it."""
    return Positioned(position, from_payload(type_name, schema_version, payload))


def apply(cursor: Any, version: int, item: Positioned) -> bool:
    """Applies one event unless it was applied before. Returns whether it changed the read models."""
    return apply_batch(cursor, [(version, item)]) == 1


def apply_batch(cursor: Any, items: list[tuple[int, Positioned]]) -> int:
    """Applies events in order inside the caller's transaction, with few round trips: versions and record
    states are read for the whole batch at once, each person's plan document is written once, timeline rows go
    in one insert. Returns how many events changed the read models."""
    batch = Batch(cursor)
    batch.load({item.event.record_id for _, item in items if not _outside_records(item.event)})
    applied = 0
    for version, item in items:
        event = item.event
        if _outside_records(event):
            continue  # index and idempotency streams are not a person's record; nothing reads them from here
        done = batch.versions.get(event.record_id, 0)
        if version <= done:
            continue
        if version != done + 1:
            raise ProjectionGap(f"record {event.record_id}: version {version} arrived after version {done}")
        batch.timeline_row(version, item)
        _project(event, batch, item.position)  # sees the record as it stood before the event
        batch.plans.apply(event)
        batch.versions[event.record_id] = version
        batch.touched[event.record_id] = (version, item.position)
        applied += 1
    batch.flush()
    return applied


def _outside_records(event: CareRecordEvent) -> bool:
    return isinstance(event, NhsNumberIndexed | RequestRecorded)


class Batch:
    """The state of one batch of projection work. Inserts are buffered and record states are held in memory;
    any other statement first flushes the buffers, so statements still run in event order."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor
        self.versions: dict[UUID, int] = {}
        self.plans = CurrentPlans()
        self.touched: dict[UUID, tuple[int, int]] = {}
        self._buffers: dict[str, list[tuple[Any, ...]]] = {}

    def execute(self, statement: str, parameters: Any = None) -> None:
        self.flush_inserts()
        self.cursor.execute(statement, parameters)

    def insert(self, statement: str, row: tuple[Any, ...]) -> None:
        """Buffers a row for `statement`, an INSERT ... VALUES %s."""
        self._buffers.setdefault(statement, []).append(row)

    def load(self, record_ids: set[UUID]) -> None:
        if not record_ids:
            return
        self.cursor.execute(
            "SELECT record_id, version, state FROM projected_records WHERE record_id = ANY(%s) FOR UPDATE",
            (list(record_ids),),
        )
        rows = self.cursor.fetchall()
        self.versions.update({record_id: version for record_id, version, _ in rows})
        self.plans.load(rows)

    def state(self, record_id: UUID) -> PersonRecord:
        """The record as it stood before the event being applied."""
        return self.plans.state(record_id)

    def timeline_row(self, version: int, item: Positioned) -> None:
        event = item.event
        corrects = getattr(event, "corrects_event_id", None) or getattr(event, "entry_event_id", None)
        self.insert(
            TIMELINE_INSERT,
            (
                event.record_id,
                version,
                item.position,
                event.event_id,
                event.TYPE,
                event.LABEL,
                summarise(event),
                event.occurred_at,
                event.recorded_at,
                event.recorded_by.user_id,
                event.recorded_by.role.value,
                event.recorded_by.organisation,
                corrects,
            ),
        )

    def flush_inserts(self) -> None:
        for statement, rows in self._buffers.items():
            psycopg2.extras.execute_values(self.cursor, statement, rows)
        self._buffers = {}

    def flush(self) -> None:
        self.flush_inserts()
        self.plans.flush(self.cursor, self.touched)
        rows = [
            (record_id, version, self.plans.encoded(record_id))
            for record_id, (version, _) in self.touched.items()
        ]
        if rows:
            psycopg2.extras.execute_values(
                self.cursor,
                """INSERT INTO projected_records (record_id, version, state) VALUES %s
                   ON CONFLICT (record_id) DO UPDATE SET version = EXCLUDED.version, state = EXCLUDED.state""",
                rows,
            )


TIMELINE_INSERT = """INSERT INTO person_timeline (record_id, version, position, event_id, event_type, label,
    summary, occurred_at, recorded_at, recorded_by_user, recorded_by_role, recorded_by_organisation,
    corrects_event_id) VALUES %s"""


@singledispatch
def _project(event: CareRecordEvent, cursor: Any, position: int) -> None:
    raise TypeError(f"the projector has no rule for {event.TYPE}")


def _current_plan_only(event: CareRecordEvent, cursor: Any, position: int) -> None:
    return  # the record's state holds it, and the current plan is selected from the state


for _kind in (
    PersonRegistered,
    CareRelationshipConfirmed,
    CareRelationshipReviewed,  # the list for review is the relationships_for_review projection's
    ConversationRecorded,
    CapacityAssessed,
    RepresentativeRecorded,
    RepresentativeWithdrawn,
    AdvanceDecisionRecorded,
    AdvanceDecisionWithdrawn,
    CorrectionRecorded,  # the timeline row links the correction to what it corrects
):
    _project.register(_kind, _current_plan_only)


@_project.register
def _(event: PersonDied, cursor: Any, position: int) -> None:
    cursor.execute(
        "UPDATE decision_facts SET status = 'closed-after-death', ended_at = %s WHERE record_id = %s AND status = 'active'",
        (event.occurred_at, event.record_id),
    )


@_project.register
def _(event: CareRelationshipStarted, cursor: Any, position: int) -> None:
    cursor.insert(
        """INSERT INTO care_relationships (record_id, organisation, setting, started_at, started_by_role)
           VALUES %s""",
        (
            event.record_id,
            event.organisation,
            event.setting.value,
            event.occurred_at,
            event.recorded_by.role.value,
        ),
    )


@_project.register
def _(event: CareRelationshipEnded, cursor: Any, position: int) -> None:
    cursor.execute(
        "UPDATE care_relationships SET ended_at = %s WHERE record_id = %s AND organisation = %s AND ended_at IS NULL",
        (event.occurred_at, event.record_id, event.organisation),
    )


@_project.register
def _(event: RecommendationMade, cursor: Any, position: int) -> None:
    lacked_capacity = cursor.state(event.record_id).lacks_capacity_for_cpr(event.capacity_assessment_id)
    involvement = event.involvement
    cursor.insert(
        """INSERT INTO decision_facts (plan_id, record_id, organisation, setting, form_type, cpr, reason_category,
               reasoning, reasoning_flags, made_at, recorded_at, author_user, author_role,
               responsible_clinician_registration, person_involved, reason_not_involved_given, consulted,
               lacked_capacity, reason_no_one_consulted_given, needs_endorsement, review_due, status)
           VALUES %s""",
        (
            event.plan_id,
            event.record_id,
            event.organisation,
            event.setting.value,
            event.form_type.value,
            event.cpr.value,
            event.reason_category.value,
            event.reasoning,
            list(event.reasoning_mentions_group_characteristics),
            event.occurred_at,
            event.recorded_at,
            event.recorded_by.user_id,
            event.recorded_by.role.value,
            event.responsible_clinician.registration,
            involvement.person_involved,
            bool(involvement.reason_person_not_involved.strip()),
            len(involvement.consulted),
            lacked_capacity,
            bool(involvement.reason_no_one_consulted.strip()),
            event.needs_senior_endorsement,
            event.review_due,
            "active",
        ),
    )


def _end_plan(
    cursor: Any, event: CareRecordEvent, plan_id: UUID, status: str, initiated: str | None = None
) -> None:
    cursor.execute(
        "UPDATE decision_facts SET status = %s, ended_at = %s, revocation_initiated = %s WHERE plan_id = %s",
        (status, event.occurred_at, initiated, plan_id),
    )


@_project.register
def _(event: SeniorEndorsementGiven, cursor: Any, position: int) -> None:
    cursor.execute(
        "UPDATE decision_facts SET endorsed_at = %s WHERE plan_id = %s", (event.occurred_at, event.plan_id)
    )


@_project.register
def _(event: PlanReviewed, cursor: Any, position: int) -> None:
    plan = cursor.state(event.record_id).plans.get(event.plan_id)
    cursor.insert(
        """INSERT INTO review_facts (review_event_id, plan_id, record_id, reviewed_at, was_due, outcome,
               person_involved, reviewer_organisation) VALUES %s""",
        (
            event.event_id,
            event.plan_id,
            event.record_id,
            event.occurred_at,
            plan.review_due if plan is not None else None,
            event.outcome.value,
            event.person_involved,
            event.recorded_by.organisation,
        ),
    )
    cursor.execute(
        """UPDATE decision_facts SET reviews = reviews + 1, last_reviewed_at = %s,
               review_due = CASE WHEN %s THEN review_due ELSE %s END
           WHERE plan_id = %s""",
        (event.occurred_at, event.outcome is ReviewOutcome.REVOKED, event.next_review_due, event.plan_id),
    )


@_project.register
def _(event: PlanRevoked, cursor: Any, position: int) -> None:
    _end_plan(cursor, event, event.plan_id, "revoked", event.initiated.value)


@_project.register
def _(event: PlanSuperseded, cursor: Any, position: int) -> None:
    _end_plan(cursor, event, event.plan_id, "superseded")


@_project.register
def _(event: DecisionCommunicated, cursor: Any, position: int) -> None:
    cursor.execute("UPDATE decision_facts SET communicated = true WHERE plan_id = %s", (event.plan_id,))


@_project.register
def _(event: EntryMarkedEnteredInError, cursor: Any, position: int) -> None:
    cursor.execute(
        "UPDATE person_timeline SET entered_in_error = true WHERE event_id = %s RETURNING event_type",
        (event.entry_event_id,),
    )
    for plan in cursor.state(event.record_id).plans.values():
        if plan.made_by_event == event.entry_event_id:
            _end_plan(cursor, event, plan.plan_id, "entered-in-error")
            return


@_project.register
def _(event: ConcernRaised, cursor: Any, position: int) -> None:
    cursor.insert(
        "INSERT INTO concern_facts (concern_id, record_id, plan_id, raised_by, raised_at) VALUES %s",
        (event.concern_id, event.record_id, event.plan_id, event.raised_by.value, event.occurred_at),
    )


@_project.register
def _(event: ConcernResolved, cursor: Any, position: int) -> None:
    cursor.execute(
        "UPDATE concern_facts SET resolved_at = %s WHERE concern_id = %s",
        (event.occurred_at, event.concern_id),
    )
