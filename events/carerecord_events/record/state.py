"""The state of one person's record, as its facts make it: the one definition of a plan, a capacity assessment,
a representative, an advance decision, a care relationship, a death. The write side decides on it, the read
side's documents and snapshots select from it; `evolve` (in evolve.py) is the only thing that makes it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from uuid import UUID

from carerecord_events.conversations import (
    AdvanceDecisionRecorded,
    CapacityAssessed,
    ConversationRecorded,
    RepresentativeRecorded,
)
from carerecord_events.people import EqualityMonitoring
from carerecord_events.plans import (
    DecisionCommunicated,
    PlanReviewed,
    RecommendationMade,
    SeniorEndorsementGiven,
)
from carerecord_events.record import facts
from carerecord_events.vocabulary import (
    CapacityDecision,
    PlanConflict,
    PlanStatus,
    RelationshipBasis,
    Setting,
)


@dataclass(frozen=True)
class PlanState:
    """One recommendation for emergency care and CPR: as it was made (the fact itself, every field of it), and
    what has happened to it since."""

    made: RecommendationMade
    status: PlanStatus
    review_due: date | None
    lacked_capacity_for_cpr: bool = False
    """Whether the record held, when the plan was made, that the person lacked capacity for CPR."""
    endorsement: SeniorEndorsementGiven | None = None
    last_review: PlanReviewed | None = None
    """The latest review that kept the plan."""
    reviews: tuple[PlanReviewed, ...] = ()
    """Every review, in order (ReSPECT section 9, the DNACPR form's box 7), the one that revoked it included."""
    communications: tuple[DecisionCommunicated, ...] = ()
    ended_at: datetime | None = None
    taken_in_from: str = ""
    """Where the plan was taken in from, when another system sent it (empty: made on this record)."""

    @property
    def plan_id(self) -> UUID:
        return self.made.plan_id

    @property
    def made_by_event(self) -> UUID:
        return self.made.event_id

    @property
    def author_user_id(self) -> str:
        return self.made.recorded_by.user_id

    @property
    def endorsed(self) -> bool:
        return self.endorsement is not None

    @property
    def in_force(self) -> bool:
        return facts.in_force(self.status)

    def review_overdue(self, today: date) -> bool:
        return facts.review_overdue(self.status, self.review_due, today)

    @property
    def awaiting_senior_endorsement(self) -> bool:
        return facts.awaiting_senior_endorsement(
            self.status, self.made.needs_senior_endorsement, self.endorsed
        )

    @property
    def nobody_consulted_though_lacking_capacity(self) -> bool:
        return facts.nobody_consulted_though_lacking_capacity(
            self.lacked_capacity_for_cpr, self.made.involvement
        )


@dataclass(frozen=True)
class RepresentativeState:
    """A representative as recorded, and whether they still act."""

    recorded: RepresentativeRecorded
    active: bool = True

    @property
    def representative_id(self) -> UUID:
        return self.recorded.representative_id

    @property
    def name(self) -> str:
        return self.recorded.name

    @property
    def may_decide_about_cpr(self) -> bool:
        recorded = self.recorded
        return facts.may_decide_about_cpr(
            recorded.kind, self.active, recorded.lpa_registered, recorded.lpa_covers_life_sustaining_treatment
        )


@dataclass(frozen=True)
class AdvanceDecisionState:
    """An advance decision to refuse treatment as recorded, whether the person was 18 or over when they made it
    (None: the record has no date of birth), and whether it was withdrawn."""

    recorded: AdvanceDecisionRecorded
    withdrawn: bool = False
    made_by_an_adult: bool | None = None

    @property
    def advance_decision_id(self) -> UUID:
        return self.recorded.advance_decision_id

    @property
    def made_on(self) -> date:
        return self.recorded.made_on

    @property
    def reasons_not_valid_for_cpr(self) -> tuple[str, ...]:
        """Why it cannot refuse CPR or other life-sustaining treatment (Mental Capacity Act 2005, ss. 24-26): it
        must be made at 18 or over, with capacity, in writing, signed, witnessed, and say that it applies even if
        life is at risk. Empty when it meets every requirement."""
        adrt = self.recorded
        unmet = (
            (self.made_by_an_adult is False, "made before the age of 18"),
            (adrt.made_with_capacity is False, "made without capacity"),
            (not adrt.written, "not in writing"),
            (not adrt.signed, "not signed"),
            (not adrt.witnessed, "not witnessed"),
            (not adrt.states_applies_even_if_life_at_risk, "does not say it applies even if life is at risk"),
        )
        return tuple(reason for failed, reason in unmet if failed)

    @property
    def formally_valid_for_cpr(self) -> bool:
        return not self.reasons_not_valid_for_cpr


@dataclass(frozen=True)
class CarePeriod:
    """One organisation caring for the person, from when the relationship started until it ended (None: still
    caring), on the basis it stated. Kept so that access can be judged as it stood at an instant or over a
    period asked about, and so that relationships started without evidence can be reviewed."""

    organisation: str
    setting: Setting
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
class Death:
    on: date
    place: str
    was_preferred_place: bool | None


@dataclass(frozen=True)
class PersonRecord:
    record_id: UUID
    version: int = 0
    registered: bool = False
    date_of_birth: date | None = None
    preferred_name: str | None = None
    communication_needs: tuple[str, ...] = ()
    equality: EqualityMonitoring = field(default_factory=EqualityMonitoring)
    death: Death | None = None
    care_periods: tuple[CarePeriod, ...] = ()
    registered_by: str = ""
    """The organisation that registered the person: evidence that it knows them."""
    capacity: dict[CapacityDecision, CapacityAssessed] = field(
        default_factory=dict
    )  # the latest, per decision
    capacity_assessments: dict[UUID, bool] = field(default_factory=dict)
    representatives: dict[UUID, RepresentativeState] = field(default_factory=dict)
    advance_decisions: dict[UUID, AdvanceDecisionState] = field(default_factory=dict)
    conversations: tuple[ConversationRecorded, ...] = ()
    plans: dict[UUID, PlanState] = field(default_factory=dict)
    entries: dict[UUID, str] = field(default_factory=dict)
    entered_in_error: frozenset[UUID] = frozenset()
    open_concerns: frozenset[UUID] = frozenset()
    closed_concerns: frozenset[UUID] = frozenset()

    @property
    def died(self) -> bool:
        return self.death is not None

    @property
    def needs_accessible_information(self) -> bool:
        """A learning disability, dementia or a communication need recorded for the person."""
        return facts.needs_accessible_information(
            self.equality.learning_disability, self.equality.dementia, self.communication_needs
        )

    @property
    def caring_organisations(self) -> dict[str, Setting]:
        """The organisations caring now, each in the setting of its latest relationship."""
        return {p.organisation: p.setting for p in self.care_periods if p.ended_at is None}

    @property
    def lacks_capacity_for(self) -> dict[CapacityDecision, bool]:
        return {decision: not assessed.has_capacity for decision, assessed in self.capacity.items()}

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
        return [plan for plan in self.plans.values() if plan.in_force]

    def lacks_capacity_for_cpr(self, linked_assessment: UUID | None = None) -> bool:
        """Whether the latest assessment of a decision that covers the CPR recommendation (that one, or the plan
        as a whole) found the person lacking capacity, or the assessment a recommendation links to did."""
        latest = any(
            not assessed.has_capacity for decision, assessed in self.capacity.items() if decision.covers_cpr
        )
        linked = linked_assessment is not None and self.capacity_assessments.get(linked_assessment) is False
        return latest or linked

    def valid_cpr_refusal(self) -> AdvanceDecisionState | None:
        """An ADRT refusing CPR that is formally valid, not withdrawn, and not overridden by a later LPA."""
        for adrt in self.advance_decisions.values():
            if not (adrt.recorded.refuses_cpr and adrt.formally_valid_for_cpr and not adrt.withdrawn):
                continue
            later_attorney = any(
                rep.may_decide_about_cpr and rep.recorded.occurred_at.date() > adrt.recorded.made_on
                for rep in self.representatives.values()
            )
            if not later_attorney:
                return adrt
        return None

    @property
    def plan_conflicts(self) -> tuple[PlanConflict, ...]:
        """Why the plans in force cannot all be followed as they stand (see `facts.plan_conflicts`)."""
        return facts.plan_conflicts(
            [plan.made.cpr for plan in self.active_plans()], self.valid_cpr_refusal() is not None
        )
