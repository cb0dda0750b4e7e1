"""Recommendations (the plan) and everything that happens to them: endorsement, review, revocation,
supersession and communication."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from carerecord_events.base import CareRecordEvent, Clinician, Participant, event_type
from carerecord_events.vocabulary import (
    CprRecommendation,
    FormType,
    InvolvementRoute,
    ReasonCategory,
    ReviewOutcome,
    RevocationInitiator,
    Setting,
    TreatmentDecision,
)

CPR_ONLY_STATEMENT = (
    "This recommendation is about cardiopulmonary resuscitation (CPR) only. "
    "It does not limit any other treatment or care."
)


@dataclass(frozen=True, kw_only=True)
class TreatmentRecommendation:
    """One treatment escalation recommendation, e.g. hospital admission, intensive care, non-invasive ventilation."""

    treatment: str
    decision: TreatmentDecision
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class Involvement:
    """Who was involved in making the recommendation (ReSPECT section 6), or why no one was."""

    route: InvolvementRoute
    person_involved: bool
    consulted: tuple[Participant, ...] = ()
    reason_person_not_involved: str = ""
    reason_no_one_consulted: str = ""
    discussion_record_location: str = ""


@dataclass(frozen=True, kw_only=True)
class RecommendationContent:
    """What a recommendation says, as the clinician asks for it and as the record holds it: the form, the CPR
    recommendation and its reasoning, who was involved, what matters to the person, other treatments, and when
    it is to be reviewed. A field added here is asked for by `makeRecommendation` and kept by the fact."""

    form_type: FormType
    cpr: CprRecommendation
    reason_category: ReasonCategory
    reasoning: str
    involvement: Involvement
    setting: Setting
    other_recommendations: tuple[TreatmentRecommendation, ...] = ()
    what_matters: str = ""
    priority_scale: int | None = None
    review_due: date | None = None
    reason_no_review_date: str = ""
    capacity_assessment_id: UUID | None = None
    supersedes_plan_id: UUID | None = None


@event_type(
    "RecommendationMade",
    version=1,
    label="Recommendation for emergency care and CPR made",
    easy_read="A doctor or nurse wrote down what should happen in an emergency, including about CPR.",
)
@dataclass(frozen=True, kw_only=True)
class RecommendationMade(RecommendationContent, CareRecordEvent):
    plan_id: UUID
    responsible_clinician: Clinician
    organisation: str
    needs_senior_endorsement: bool = True
    reasoning_mentions_group_characteristics: tuple[str, ...] = ()


@event_type(
    "SeniorEndorsementGiven",
    version=1,
    label="Recommendation endorsed by the senior responsible clinician",
    easy_read="A senior doctor checked the plan and agreed with it.",
)
@dataclass(frozen=True, kw_only=True)
class SeniorEndorsementGiven(CareRecordEvent):
    plan_id: UUID
    endorsed_by: Clinician


@dataclass(frozen=True, kw_only=True)
class ReviewFindings:
    """What a review of a recommendation found, who took part, and when it is next due."""

    outcome: ReviewOutcome
    involved: tuple[Participant, ...] = ()
    person_involved: bool = False
    notes: str = ""
    next_review_due: date | None = None


@event_type(
    "PlanReviewed",
    version=1,
    label="Recommendation reviewed",
    easy_read="Someone looked at the plan again to check it is still right.",
)
@dataclass(frozen=True, kw_only=True)
class PlanReviewed(ReviewFindings, CareRecordEvent):
    plan_id: UUID
    reviewed_by: Clinician


@event_type(
    "PlanRevoked",
    version=1,
    label="Recommendation revoked",
    easy_read="The plan was cancelled. It no longer applies.",
)
@dataclass(frozen=True, kw_only=True)
class PlanRevoked(CareRecordEvent):
    plan_id: UUID
    reason: str
    initiated: RevocationInitiator


@event_type(
    "PlanSuperseded",
    version=1,
    label="Recommendation replaced by a newer one",
    easy_read="A new plan replaced the old one.",
)
@dataclass(frozen=True, kw_only=True)
class PlanSuperseded(CareRecordEvent):
    plan_id: UUID
    superseded_by_plan_id: UUID


@event_type(
    "DecisionCommunicated",
    version=1,
    label="Recommendation communicated",
    easy_read="The person, or people close to them, were told about the plan.",
)
@dataclass(frozen=True, kw_only=True)
class DecisionCommunicated(CareRecordEvent):
    plan_id: UUID
    told: tuple[Participant, ...]
    how: str = ""


@event_type(
    "PlanTakenIn",
    version=1,
    label="Recommendation taken in from another system",
    easy_read="The plan was written in another computer system and copied into the shared care record.",
)
@dataclass(frozen=True, kw_only=True)
class PlanTakenIn(CareRecordEvent):
    """The recommendation recorded with it (in the same transaction) came from another system: where from, and
    the identifier the sending system gave it (a FHIR Bundle's identifier, `system|value`), so that a plan can
    be traced back to the document it was taken in from."""

    plan_id: UUID
    taken_in_from: str
    source_identifier: str
