"""The decision state of one person's record: only what the rules need, rebuilt by applying events in order.

Applying stored events never validates and never fails: history is what it is.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import singledispatch
from uuid import UUID

from carerecord_events.base import CareRecordEvent
from carerecord_events.conversations import (
    AdvanceDecisionRecorded,
    AdvanceDecisionWithdrawn,
    CapacityAssessed,
    RepresentativeRecorded,
    RepresentativeWithdrawn,
)
from carerecord_events.corrections import ConcernRaised, ConcernResolved, EntryMarkedEnteredInError
from carerecord_events.people import (
    CareRelationshipConfirmed,
    CareRelationshipEnded,
    CareRelationshipReviewed,
    CareRelationshipStarted,
    PersonDied,
    PersonRegistered,
)
from carerecord_events.plans import (
    PlanReviewed,
    PlanRevoked,
    PlanSuperseded,
    RecommendationMade,
    SeniorEndorsementGiven,
)
from carerecord_events.vocabulary import (
    CapacityDecision,
    CprRecommendation,
    RelationshipBasis,
    RepresentativeKind,
    ReviewOutcome,
    Setting,
)


class PlanStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"
    ENTERED_IN_ERROR = "entered-in-error"
    CLOSED_AFTER_DEATH = "closed-after-death"


@dataclass(frozen=True)
class PlanState:
    plan_id: UUID
    made_by_event: UUID
    author_user_id: str
    cpr: CprRecommendation
    organisation: str
    setting: Setting
    status: PlanStatus
    needs_endorsement: bool
    endorsed: bool = False
    review_due: date | None = None


@dataclass(frozen=True)
class RepresentativeState:
    representative_id: UUID
    kind: RepresentativeKind
    name: str
    recorded_on: date
    lpa_registered: bool | None
    lpa_covers_life_sustaining_treatment: bool | None
    active: bool = True

    @property
    def may_decide_about_cpr(self) -> bool:
        """A welfare attorney counts for CPR only if the LPA is registered and covers life-sustaining treatment."""
        return (
            self.active
            and self.kind is RepresentativeKind.LPA_HEALTH_AND_WELFARE
            and bool(self.lpa_registered)
            and bool(self.lpa_covers_life_sustaining_treatment)
        )


@dataclass(frozen=True)
class AdvanceDecisionState:
    advance_decision_id: UUID
    refuses_cpr: bool
    made_on: date
    formally_valid_for_cpr: bool
    withdrawn: bool = False


@dataclass(frozen=True)
class CarePeriod:
    """One organisation caring for the person, from when the relationship started until it ended (None: still
    caring), on the basis it stated. Kept so that access can be judged as it stood at an instant or over a
    period asked about, and so that relationships started without evidence can be reviewed."""

    organisation: str
    started_at: datetime
    ended_at: datetime | None = None
    relationship_id: UUID | None = None
    basis: RelationshipBasis = RelationshipBasis.NOT_RECORDED
    evidenced: bool = False
    started_by: str = ""
    confirmed: bool = False
    reviewed: bool = False

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.started_at <= end and (self.ended_at is None or self.ended_at >= start)

    def lapsed(self, now: datetime, unconfirmed_lasts: timedelta) -> bool:
        """A relationship on an "other" basis ends after `unconfirmed_lasts` unless its organisation's
        administrator confirmed it."""
        return (
            self.basis is RelationshipBasis.OTHER
            and not self.confirmed
            and now >= self.started_at + unconfirmed_lasts
        )


@dataclass(frozen=True)
class PersonRecord:
    record_id: UUID
    version: int = 0
    registered: bool = False
    date_of_birth: date | None = None
    died: bool = False
    caring_organisations: dict[str, Setting] = field(default_factory=dict)
    care_periods: tuple[CarePeriod, ...] = ()
    registered_by: str = ""
    """The organisation that registered the person: evidence that it knows them."""
    lacks_capacity_for: dict[CapacityDecision, bool] = field(default_factory=dict)  # the latest, per decision
    capacity_assessments: dict[UUID, bool] = field(default_factory=dict)
    representatives: dict[UUID, RepresentativeState] = field(default_factory=dict)
    advance_decisions: dict[UUID, AdvanceDecisionState] = field(default_factory=dict)
    plans: dict[UUID, PlanState] = field(default_factory=dict)
    entries: dict[UUID, str] = field(default_factory=dict)
    entered_in_error: frozenset[UUID] = frozenset()
    open_concerns: frozenset[UUID] = frozenset()
    closed_concerns: frozenset[UUID] = frozenset()

    def cares_now(self, organisation: str, now: datetime, unconfirmed_lasts: timedelta) -> bool:
        """Whether the organisation cares for the person now: a relationship started and not ended, nor lapsed
        for want of confirmation."""
        return any(
            p.organisation == organisation and p.ended_at is None and not p.lapsed(now, unconfirmed_lasts)
            for p in self.care_periods
        )

    def relationship(self, relationship_id: UUID) -> CarePeriod | None:
        return next((p for p in self.care_periods if p.relationship_id == relationship_id), None)

    def has_known(self, organisation: str) -> bool:
        """Evidence the record already holds that the organisation knows the person: it registered them, or
        cared for them before."""
        return self.registered_by == organisation or any(
            p.organisation == organisation for p in self.care_periods
        )

    def active_plans(self) -> list[PlanState]:
        return [plan for plan in self.plans.values() if plan.status is PlanStatus.ACTIVE]

    def lacks_capacity_for_cpr(self, linked_assessment: UUID | None = None) -> bool:
        """Whether the latest assessment of a decision that covers the CPR recommendation (that one, or the plan
        as a whole) found the person lacking capacity, or the assessment a recommendation links to did."""
        latest = any(lacks for decision, lacks in self.lacks_capacity_for.items() if decision.covers_cpr)
        linked = linked_assessment is not None and self.capacity_assessments.get(linked_assessment) is False
        return latest or linked

    def valid_cpr_refusal(self) -> AdvanceDecisionState | None:
        """An ADRT refusing CPR that is formally valid, not withdrawn, and not overridden by a later LPA."""
        for adrt in self.advance_decisions.values():
            if not (adrt.refuses_cpr and adrt.formally_valid_for_cpr and not adrt.withdrawn):
                continue
            later_attorney = any(
                rep.may_decide_about_cpr and rep.recorded_on > adrt.made_on
                for rep in self.representatives.values()
            )
            if not later_attorney:
                return adrt
        return None


def evolve(record: PersonRecord, event: CareRecordEvent) -> PersonRecord:
    changed = _apply(event, record)
    entries = {**changed.entries, event.event_id: event.TYPE}
    return replace(changed, version=record.version + 1, entries=entries)


def replay(record_id: UUID, events: list[CareRecordEvent]) -> PersonRecord:
    record = PersonRecord(record_id=record_id)
    for event in events:
        record = evolve(record, event)
    return record


@singledispatch
def _apply(event: CareRecordEvent, record: PersonRecord) -> PersonRecord:
    return record  # conversations, communications, corrections: kept in history, change no decision state


@_apply.register
def _(event: PersonRegistered, record: PersonRecord) -> PersonRecord:
    return replace(
        record,
        registered=True,
        date_of_birth=event.date_of_birth,
        registered_by=event.recorded_by.organisation,
    )


@_apply.register
def _(event: PersonDied, record: PersonRecord) -> PersonRecord:
    plans = {
        plan_id: replace(plan, status=PlanStatus.CLOSED_AFTER_DEATH)
        if plan.status is PlanStatus.ACTIVE
        else plan
        for plan_id, plan in record.plans.items()
    }
    return replace(record, died=True, plans=plans)


@_apply.register
def _(event: CareRelationshipStarted, record: PersonRecord) -> PersonRecord:
    period = CarePeriod(
        event.organisation,
        event.occurred_at,
        relationship_id=event.relationship_id,
        basis=event.basis,
        evidenced=event.evidenced,
        started_by=event.recorded_by.user_id,
    )
    return replace(
        record,
        caring_organisations={**record.caring_organisations, event.organisation: event.setting},
        care_periods=(*record.care_periods, period),
    )


@_apply.register
def _(event: CareRelationshipEnded, record: PersonRecord) -> PersonRecord:
    remaining = {
        ods: setting for ods, setting in record.caring_organisations.items() if ods != event.organisation
    }
    periods = tuple(
        replace(period, ended_at=event.occurred_at)
        if period.organisation == event.organisation and period.ended_at is None
        else period
        for period in record.care_periods
    )
    return replace(record, caring_organisations=remaining, care_periods=periods)


def _with_relationship(record: PersonRecord, relationship_id: UUID, **changes: bool) -> PersonRecord:
    periods = tuple(
        replace(p, **changes) if p.relationship_id == relationship_id else p  # type: ignore[arg-type]
        for p in record.care_periods
    )
    return replace(record, care_periods=periods)


@_apply.register
def _(event: CareRelationshipConfirmed, record: PersonRecord) -> PersonRecord:
    return _with_relationship(record, event.relationship_id, confirmed=True)


@_apply.register
def _(event: CareRelationshipReviewed, record: PersonRecord) -> PersonRecord:
    return _with_relationship(record, event.relationship_id, reviewed=True)


@_apply.register
def _(event: CapacityAssessed, record: PersonRecord) -> PersonRecord:
    return replace(
        record,
        lacks_capacity_for={**record.lacks_capacity_for, event.decision: not event.has_capacity},
        capacity_assessments={**record.capacity_assessments, event.assessment_id: event.has_capacity},
    )


@_apply.register
def _(event: RepresentativeRecorded, record: PersonRecord) -> PersonRecord:
    representative = RepresentativeState(
        representative_id=event.representative_id,
        kind=event.kind,
        name=event.name,
        recorded_on=event.occurred_at.date(),
        lpa_registered=event.lpa_registered,
        lpa_covers_life_sustaining_treatment=event.lpa_covers_life_sustaining_treatment,
    )
    return replace(
        record, representatives={**record.representatives, event.representative_id: representative}
    )


@_apply.register
def _(event: RepresentativeWithdrawn, record: PersonRecord) -> PersonRecord:
    current = record.representatives.get(event.representative_id)
    if current is None:
        return record
    withdrawn = replace(current, active=False)
    return replace(record, representatives={**record.representatives, event.representative_id: withdrawn})


@_apply.register
def _(event: AdvanceDecisionRecorded, record: PersonRecord) -> PersonRecord:
    adrt = AdvanceDecisionState(
        advance_decision_id=event.advance_decision_id,
        refuses_cpr=event.refuses_cpr,
        made_on=event.made_on,
        formally_valid_for_cpr=event.written
        and event.signed
        and event.witnessed
        and event.states_applies_even_if_life_at_risk,
    )
    return replace(record, advance_decisions={**record.advance_decisions, event.advance_decision_id: adrt})


@_apply.register
def _(event: AdvanceDecisionWithdrawn, record: PersonRecord) -> PersonRecord:
    current = record.advance_decisions.get(event.advance_decision_id)
    if current is None:
        return record
    withdrawn = replace(current, withdrawn=True)
    return replace(
        record, advance_decisions={**record.advance_decisions, event.advance_decision_id: withdrawn}
    )


@_apply.register
def _(event: RecommendationMade, record: PersonRecord) -> PersonRecord:
    plan = PlanState(
        plan_id=event.plan_id,
        made_by_event=event.event_id,
        author_user_id=event.recorded_by.user_id,
        cpr=event.cpr,
        organisation=event.organisation,
        setting=event.setting,
        status=PlanStatus.ACTIVE,
        needs_endorsement=event.needs_senior_endorsement,
        review_due=event.review_due,
    )
    return replace(record, plans={**record.plans, event.plan_id: plan})


def _with_plan(record: PersonRecord, plan_id: UUID, **changes: object) -> PersonRecord:
    plan = record.plans.get(plan_id)
    if plan is None:
        return record
    return replace(record, plans={**record.plans, plan_id: replace(plan, **changes)})  # type: ignore[arg-type]


@_apply.register
def _(event: SeniorEndorsementGiven, record: PersonRecord) -> PersonRecord:
    return _with_plan(record, event.plan_id, endorsed=True)


@_apply.register
def _(event: PlanReviewed, record: PersonRecord) -> PersonRecord:
    if event.outcome is ReviewOutcome.REVOKED:
        return _with_plan(record, event.plan_id, status=PlanStatus.REVOKED)
    return _with_plan(record, event.plan_id, review_due=event.next_review_due)


@_apply.register
def _(event: PlanRevoked, record: PersonRecord) -> PersonRecord:
    return _with_plan(record, event.plan_id, status=PlanStatus.REVOKED)


@_apply.register
def _(event: PlanSuperseded, record: PersonRecord) -> PersonRecord:
    return _with_plan(record, event.plan_id, status=PlanStatus.SUPERSEDED)


@_apply.register
def _(event: EntryMarkedEnteredInError, record: PersonRecord) -> PersonRecord:
    marked = replace(record, entered_in_error=record.entered_in_error | {event.entry_event_id})
    for plan in record.plans.values():
        if plan.made_by_event == event.entry_event_id:
            return _with_plan(marked, plan.plan_id, status=PlanStatus.ENTERED_IN_ERROR)
    return marked


@_apply.register
def _(event: ConcernRaised, record: PersonRecord) -> PersonRecord:
    return replace(record, open_concerns=record.open_concerns | {event.concern_id})


@_apply.register
def _(event: ConcernResolved, record: PersonRecord) -> PersonRecord:
    return replace(
        record,
        open_concerns=record.open_concerns - {event.concern_id},
        closed_concerns=record.closed_concerns | {event.concern_id},
    )


class ReplayMemo:
    """Replayed states of recent records, kept every `every` versions, so that the record as it stood at any
    version is replayed from the nearest earlier state instead of from the start. States are immutable and a
    record's history only grows, so a kept state stays true. Only for prefixes of a record's history (the
    record as it stood after its first N events), never for a selection of its events."""

    def __init__(self, every: int = 100, max_records: int = 2000) -> None:
        self._every = every
        self._max_records = max_records
        self._states: OrderedDict[UUID, dict[int, PersonRecord]] = OrderedDict()
        self._lock = threading.Lock()

    def replay(self, record_id: UUID, events: Sequence[CareRecordEvent]) -> PersonRecord:
        with self._lock:
            kept = self._states.setdefault(record_id, {})
            self._states.move_to_end(record_id)
            while len(self._states) > self._max_records:
                self._states.popitem(last=False)
            start = max((version for version in kept if version <= len(events)), default=0)
            record = kept[start] if start else PersonRecord(record_id=record_id)
        made: dict[int, PersonRecord] = {}
        for version in range(start, len(events)):
            record = evolve(record, events[version])
            if (version + 1) % self._every == 0:
                made[version + 1] = record
        if made:
            with self._lock:
                self._states.setdefault(record_id, {}).update(made)
        return record
