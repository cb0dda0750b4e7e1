"""What each fact does to a record's state: the meaning of the facts, rebuilt by applying events in order.

Applying stored events never validates and never fails: history is what it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from functools import singledispatch
from typing import TypeVar
from uuid import UUID

from carerecord_events import conversations, corrections, people, plans
from carerecord_events.base import CareRecordEvent
from carerecord_events.record import facts
from carerecord_events.record.state import (
    AdvanceDecisionState,
    CarePeriod,
    Death,
    PersonRecord,
    PlanState,
    RepresentativeState,
)
from carerecord_events.vocabulary import PlanStatus, ReviewOutcome

_Item = TypeVar("_Item")

FOLD_VERSION = 1
"""The version of what applying events means (this module). Raise it with any change to how a fact changes the
state: states kept by the services (replay_memo.py) are keyed by it, and by the codec's upcasters, so none made
by an older fold is ever used again."""


def evolve(record: PersonRecord, event: CareRecordEvent) -> PersonRecord:
    changed = _apply(event, record)
    entries = {**changed.entries, event.event_id: event.TYPE}
    return replace(changed, version=record.version + 1, entries=entries)


def replay(record_id: UUID, events: Iterable[CareRecordEvent]) -> PersonRecord:
    record = PersonRecord(record_id=record_id)
    for event in events:
        record = evolve(record, event)
    return record


def facts_with_meaning() -> frozenset[type]:
    """The event types that change a record's state (any other is kept in history and changes nothing)."""
    return frozenset(kind for kind in _apply.registry if kind is not object)


@singledispatch
def _apply(event: CareRecordEvent, record: PersonRecord) -> PersonRecord:
    return record  # communications, corrections: kept in history, change no state


@_apply.register
def _(event: people.PersonRegistered, record: PersonRecord) -> PersonRecord:
    return replace(
        record,
        registered=True,
        date_of_birth=event.date_of_birth,
        registered_by=event.recorded_by.organisation,
        preferred_name=event.preferred_name,
        communication_needs=event.communication_needs,
        equality=event.equality,
    )


@_apply.register
def _(event: people.PersonDied, record: PersonRecord) -> PersonRecord:
    plans = {
        plan_id: replace(plan, status=PlanStatus.CLOSED_AFTER_DEATH) if plan.in_force else plan
        for plan_id, plan in record.plans.items()
    }
    death = Death(event.date_of_death, event.place_of_death, event.was_preferred_place)
    return replace(record, death=death, plans=plans)


@_apply.register
def _(event: people.CareRelationshipStarted, record: PersonRecord) -> PersonRecord:
    period = CarePeriod(
        event.organisation,
        event.setting,
        event.occurred_at,
        relationship_id=event.relationship_id,
        basis=event.basis,
        evidenced=event.evidenced,
        started_by=event.recorded_by.user_id,
    )
    return replace(record, care_periods=(*record.care_periods, period))


@_apply.register
def _(event: people.CareRelationshipEnded, record: PersonRecord) -> PersonRecord:
    periods = tuple(
        replace(period, ended_at=event.occurred_at)
        if period.organisation == event.organisation and period.ended_at is None
        else period
        for period in record.care_periods
    )
    return replace(record, care_periods=periods)


def _with_relationship(record: PersonRecord, relationship_id: UUID, **changes: bool) -> PersonRecord:
    periods = tuple(
        replace(p, **changes) if p.relationship_id == relationship_id else p  # type: ignore[arg-type]
        for p in record.care_periods
    )
    return replace(record, care_periods=periods)


@_apply.register
def _(event: people.CareRelationshipConfirmed, record: PersonRecord) -> PersonRecord:
    return _with_relationship(record, event.relationship_id, confirmed=True)


@_apply.register
def _(event: people.CareRelationshipReviewed, record: PersonRecord) -> PersonRecord:
    return _with_relationship(record, event.relationship_id, reviewed=True)


@_apply.register
def _(event: conversations.ConversationRecorded, record: PersonRecord) -> PersonRecord:
    return replace(record, conversations=(*record.conversations, event))


@_apply.register
def _(event: conversations.CapacityAssessed, record: PersonRecord) -> PersonRecord:
    return replace(
        record,
        capacity={**record.capacity, event.decision: event},
        capacity_assessments={**record.capacity_assessments, event.assessment_id: event.has_capacity},
    )


@_apply.register
def _(event: conversations.RepresentativeRecorded, record: PersonRecord) -> PersonRecord:
    representatives = {**record.representatives, event.representative_id: RepresentativeState(event)}
    return replace(record, representatives=representatives)


@_apply.register
def _(event: conversations.RepresentativeWithdrawn, record: PersonRecord) -> PersonRecord:
    withdrawn = _changed(record.representatives, event.representative_id, active=False)
    return replace(record, representatives=withdrawn)


@_apply.register
def _(event: conversations.AdvanceDecisionRecorded, record: PersonRecord) -> PersonRecord:
    adult = None if record.date_of_birth is None else facts.age_on(record.date_of_birth, event.made_on) >= 18
    adrt = AdvanceDecisionState(event, made_by_an_adult=adult)
    advance_decisions = {**record.advance_decisions, event.advance_decision_id: adrt}
    return replace(record, advance_decisions=advance_decisions)


@_apply.register
def _(event: conversations.AdvanceDecisionWithdrawn, record: PersonRecord) -> PersonRecord:
    withdrawn = _changed(record.advance_decisions, event.advance_decision_id, withdrawn=True)
    return replace(record, advance_decisions=withdrawn)


def _changed(items: dict[UUID, _Item], key: UUID, **changes: object) -> dict[UUID, _Item]:
    """`items` with the one under `key` changed; unchanged if there is none (history is what it is)."""
    if key not in items:
        return items
    return {**items, key: replace(items[key], **changes)}  # type: ignore[type-var]


@_apply.register
def _(event: plans.RecommendationMade, record: PersonRecord) -> PersonRecord:
    plan = PlanState(
        made=event,
        status=PlanStatus.ACTIVE,
        review_due=event.review_due,
        lacked_capacity_for_cpr=record.lacks_capacity_for_cpr(event.capacity_assessment_id),
    )
    return replace(record, plans={**record.plans, event.plan_id: plan})


def _with_plan(record: PersonRecord, plan_id: UUID, **changes: object) -> PersonRecord:
    return replace(record, plans=_changed(record.plans, plan_id, **changes))


@_apply.register
def _(event: plans.SeniorEndorsementGiven, record: PersonRecord) -> PersonRecord:
    return _with_plan(record, event.plan_id, endorsement=event)


@_apply.register
def _(event: plans.PlanReviewed, record: PersonRecord) -> PersonRecord:
    plan = record.plans.get(event.plan_id)
    if plan is None:
        return record
    reviews = (*plan.reviews, event)
    if event.outcome is ReviewOutcome.REVOKED:  # its PlanRevoked, recorded with it, says when it ended
        return _with_plan(record, event.plan_id, status=PlanStatus.REVOKED, reviews=reviews)
    return _with_plan(
        record, event.plan_id, review_due=event.next_review_due, last_review=event, reviews=reviews
    )


@_apply.register
def _(event: plans.PlanRevoked, record: PersonRecord) -> PersonRecord:
    return _with_plan(record, event.plan_id, status=PlanStatus.REVOKED, ended_at=event.occurred_at)


@_apply.register
def _(event: plans.PlanSuperseded, record: PersonRecord) -> PersonRecord:
    return _with_plan(record, event.plan_id, status=PlanStatus.SUPERSEDED, ended_at=event.occurred_at)


@_apply.register
def _(event: plans.PlanTakenIn, record: PersonRecord) -> PersonRecord:
    return _with_plan(record, event.plan_id, taken_in_from=event.taken_in_from)


@_apply.register
def _(event: plans.DecisionCommunicated, record: PersonRecord) -> PersonRecord:
    plan = record.plans.get(event.plan_id)
    if plan is None:
        return record
    return _with_plan(record, event.plan_id, communications=(*plan.communications, event))


@_apply.register
def _(event: corrections.EntryMarkedEnteredInError, record: PersonRecord) -> PersonRecord:
    marked = replace(record, entered_in_error=record.entered_in_error | {event.entry_event_id})
    for plan in record.plans.values():
        if plan.made_by_event == event.entry_event_id:
            return _with_plan(
                marked, plan.plan_id, status=PlanStatus.ENTERED_IN_ERROR, ended_at=event.occurred_at
            )
    return marked


@_apply.register
def _(event: corrections.ConcernRaised, record: PersonRecord) -> PersonRecord:
    return replace(record, open_concerns=record.open_concerns | {event.concern_id})


@_apply.register
def _(event: corrections.ConcernResolved, record: PersonRecord) -> PersonRecord:
    return replace(
        record,
        open_concerns=record.open_concerns - {event.concern_id},
        closed_concerns=record.closed_concerns | {event.concern_id},
    )
