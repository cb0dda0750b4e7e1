"""Commands: what someone asks the record to do, in the imperative. Each is decided by the rules in
`decisions.py` (the rules, by family, in `rules/`) and, if accepted, becomes one or more events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from carerecord_events.base import Actor, Clinician, Participant
from carerecord_events.people import EqualityMonitoring
from carerecord_events.plans import Involvement, TreatmentRecommendation
from carerecord_events.vocabulary import (
    CapacityDecision,
    ConcernRaisedBy,
    CprRecommendation,
    FormType,
    ReasonCategory,
    RelationshipBasis,
    RepresentativeKind,
    ReviewOutcome,
    RevocationInitiator,
    Setting,
)


@dataclass(frozen=True, kw_only=True)
class Command:
    actor: Actor
    occurred_at: datetime | None = None  # when it happened, if earlier than now (a late entry)


@dataclass(frozen=True, kw_only=True)
class RegisterPerson(Command):
    nhs_number: str
    given_name: str
    family_name: str
    date_of_birth: date
    preferred_name: str | None = None
    address: str | None = None
    postcode: str | None = None
    communication_needs: tuple[str, ...] = ()
    equality: EqualityMonitoring = field(default_factory=EqualityMonitoring)


@dataclass(frozen=True, kw_only=True)
class RecordDeath(Command):
    date_of_death: date
    place_of_death: str
    was_preferred_place: bool | None = None


@dataclass(frozen=True, kw_only=True)
class StartCareRelationship(Command):
    """Starts caring for the person, stating the basis of the relationship (with text when it is "other", and
    the referring organisation when a referral was received). Without evidence the record already holds, the
    relationship is listed for a privacy officer's review; on an "other" basis it also ends after a set time
    unless the organisation's administrator confirms it."""

    organisation: str
    setting: Setting
    basis: RelationshipBasis
    basis_detail: str = ""
    referred_by: str | None = None


@dataclass(frozen=True, kw_only=True)
class ConfirmCareRelationship(Command):
    """The organisation's administrator confirms a relationship started on an "other" basis, so it does not end."""

    organisation: str
    relationship_id: UUID


@dataclass(frozen=True, kw_only=True)
class ReviewCareRelationship(Command):
    """A privacy officer's finding on a relationship started without evidence: appropriate or not, and why."""

    relationship_id: UUID
    appropriate: bool
    notes: str


@dataclass(frozen=True, kw_only=True)
class EndCareRelationship(Command):
    organisation: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class RecordConversation(Command):
    participants: tuple[Participant, ...]
    person_took_part: bool
    communication_support: tuple[str, ...] = ()
    what_matters: str = ""
    information_given: str = ""
    information_format: str = ""
    views_expressed: str = ""


@dataclass(frozen=True, kw_only=True)
class AssessCapacity(Command):
    """Records a capacity assessment for one coded decision; decision_text names an OTHER decision in words."""

    decision: CapacityDecision
    has_capacity: bool
    decision_text: str = ""
    how_capacity_is_lacking: str = ""
    assessor_name: str = ""


@dataclass(frozen=True, kw_only=True)
class RecordRepresentative(Command):
    kind: RepresentativeKind
    name: str
    relationship: str = ""
    contact: str = ""
    lpa_registered: bool | None = None
    lpa_covers_life_sustaining_treatment: bool | None = None


@dataclass(frozen=True, kw_only=True)
class WithdrawRepresentative(Command):
    representative_id: UUID
    reason: str


@dataclass(frozen=True, kw_only=True)
class RecordAdvanceDecision(Command):
    treatments_refused: str
    refuses_cpr: bool
    made_on: date
    written: bool
    signed: bool
    witnessed: bool
    states_applies_even_if_life_at_risk: bool
    document_location: str = ""


@dataclass(frozen=True, kw_only=True)
class WithdrawAdvanceDecision(Command):
    advance_decision_id: UUID
    reason: str


@dataclass(frozen=True, kw_only=True)
class MakeRecommendation(Command):
    form_type: FormType
    cpr: CprRecommendation
    reason_category: ReasonCategory
    reasoning: str
    involvement: Involvement
    responsible_clinician: Clinician | None
    setting: Setting
    other_recommendations: tuple[TreatmentRecommendation, ...] = ()
    what_matters: str = ""
    priority_scale: int | None = None
    review_due: date | None = None
    reason_no_review_date: str = ""
    capacity_assessment_id: UUID | None = None
    supersedes_plan_id: UUID | None = None


@dataclass(frozen=True, kw_only=True)
class EndorsePlan(Command):
    plan_id: UUID
    endorser_name: str


@dataclass(frozen=True, kw_only=True)
class ReviewPlan(Command):
    plan_id: UUID
    outcome: ReviewOutcome
    reviewer_name: str
    involved: tuple[Participant, ...] = ()
    person_involved: bool = False
    notes: str = ""
    next_review_due: date | None = None


@dataclass(frozen=True, kw_only=True)
class RevokePlan(Command):
    plan_id: UUID
    reason: str
    initiated: RevocationInitiator


@dataclass(frozen=True, kw_only=True)
class CommunicateDecision(Command):
    plan_id: UUID
    told: tuple[Participant, ...]
    how: str = ""


@dataclass(frozen=True, kw_only=True)
class MarkEnteredInError(Command):
    entry_event_id: UUID
    reason: str


@dataclass(frozen=True, kw_only=True)
class RecordCorrection(Command):
    corrects_event_id: UUID
    correction: str


@dataclass(frozen=True, kw_only=True)
class RaiseConcern(Command):
    raised_by: ConcernRaisedBy
    summary: str
    plan_id: UUID | None = None


@dataclass(frozen=True, kw_only=True)
class ResolveConcern(Command):
    concern_id: UUID
    resolution: str
