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
from carerecord_events.record.state import (
    AdvanceDecisionState,
    CapacityState,
    CarePeriod,
    Conversation,
    Death,
    Endorsement,
    PersonRecord,
    PlanState,
    RepresentativeState,
    Review,
    Told,
)
from carerecord_events.vocabulary import PlanStatus, ReviewOutcome

_Item = TypeVar("_Item")


def evolve(record: PersonRecord, event: CareRecordEvent) -> PersonRecord:
    changed = _apply(event, record)
    entries = {**changed.entries, event.event_id: event.TYPE}
    return replace(changed, version=record.version + 1, entries=entries)


def replay(record_id: UUID, events: Iterable[CareRecordEvent]) -> PersonRecord:
    record = PersonRecord(record_id=record_id)
    for event in events:
        record = evolve(record, event)
    return record


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
    conversation = Conversation(
        at=event.occurred_at,
        participants=event.participants,
        person_took_part=event.person_took_part,
        communication_support=event.communication_support,
        what_matters=event.what_matters,
        information_given=event.information_given,
        information_format=event.information_format,
        views_expressed=event.views_expressed,
    )
    return replace(record, conversations=(*record.conversations, conversation))


@_apply.register
def _(event: conversations.CapacityAssessed, record: PersonRecord) -> PersonRecord:
    assessed = CapacityState(
        assessment_id=event.assessment_id,
        decision_text=event.decision_text,
        has_capacity=event.has_capacity,
        how_lacking=event.how_capacity_is_lacking,
        assessed_at=event.occurred_at,
        assessor=event.assessor_name,
    )
    return replace(
        record,
        capacity={**record.capacity, event.decision: assessed},
        capacity_assessments={**record.capacity_assessments, event.assessment_id: event.has_capacity},
    )


@_apply.register
def _(event: conversations.RepresentativeRecorded, record: PersonRecord) -> PersonRecord:
    representative = RepresentativeState(
        representative_id=event.representative_id,
        kind=event.kind,
        name=event.name,
        recorded_on=event.occurred_at.date(),
        lpa_registered=event.lpa_registered,
        lpa_covers_life_sustaining_treatment=event.lpa_covers_life_sustaining_treatment,
        relationship=event.relationship,
    )
    return replace(
        record, representatives={**record.representatives, event.representative_id: representative}
    )


@_apply.register
def _(event: conversations.RepresentativeWithdrawn, record: PersonRecord) -> PersonRecord:
    withdrawn = _changed(record.representatives, event.representative_id, active=False)
    return replace(record, representatives=withdrawn)


@_apply.register
def _(event: conversations.AdvanceDecisionRecorded, record: PersonRecord) -> PersonRecord:
    adrt = AdvanceDecisionState(
        advance_decision_id=event.advance_decision_id,
        refuses_cpr=event.refuses_cpr,
        made_on=event.made_on,
        formally_valid_for_cpr=event.written
        and event.signed
        and event.witnessed
        and event.states_applies_even_if_life_at_risk,
        treatments_refused=event.treatments_refused,
        document_location=event.document_location,
    )
    return replace(record, advance_decisions={**record.advance_decisions, event.advance_decision_id: adrt})


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
    return _with_plan(record, event.plan_id, endorsement=Endorsement(event.endorsed_by, event.occurred_at))


@_apply.register
def _(event: plans.PlanReviewed, record: PersonRecord) -> PersonRecord:
    if event.outcome is ReviewOutcome.REVOKED:  # its PlanRevoked, recorded with it, says when it ended
        return _with_plan(record, event.plan_id, status=PlanStatus.REVOKED)
    review = Review(event.occurred_at, event.reviewed_by.name, event.outcome)
    return _with_plan(record, event.plan_id, review_due=event.next_review_due, last_review=review)


@_apply.register
def _(event: plans.PlanRevoked, record: PersonRecord) -> PersonRecord:
    return _with_plan(record, event.plan_id, status=PlanStatus.REVOKED, ended_at=event.occurred_at)


@_apply.register
def _(event: plans.PlanSuperseded, record: PersonRecord) -> PersonRecord:
    return _with_plan(record, event.plan_id, status=PlanStatus.SUPERSEDED, ended_at=event.occurred_at)


@_apply.register
def _(event: plans.DecisionCommunicated, record: PersonRecord) -> PersonRecord:
    plan = record.plans.get(event.plan_id)
    if plan is None:
        return record
    told = tuple(Told(p.name, p.role, event.occurred_at) for p in event.told)
    return _with_plan(record, event.plan_id, communicated_to=(*plan.communicated_to, *told))


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
