"""Recommendations (the plan) and everything that happens to them: endorsement, review, revocation,
supersession and communication."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from carerecord_events.base import CareRecordEvent, Clinician, Participant, event_type
from carerecord_events.roles import Role
from carerecord_events.vocabulary import (
    CarePlanningDocumentKind,
    CprRecommendation,
    EscalationLevel,
    FormType,
    InvolvementRoute,
    LimitedTreatment,
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
    discussed_on: date | None = None


SCALE_ENDS = (0, 10)
"""ReSPECT's two scales (sections 3 and 4) are both held as a place from 0 to 10, read from the left-hand end
of the form as printed: 0 is "living as long as possible matters most" (section 3) and "prioritise extending
life" (section 4), 10 is "quality of life and comfort matters most" and "prioritise comfort" (the Nottinghamshire
ReSPECT questionnaire scores section 3 from 0 to 10; that it counts from the left is read off the printed form,
not confirmed with its authors)."""


@dataclass(frozen=True, kw_only=True)
class CarePlanningDocument:
    """Another care planning document the person has, and where to find it (ReSPECT section 2)."""

    kind: CarePlanningDocumentKind
    where_held: str
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class ClinicianSignature:
    """One clinician's signature on the form (ReSPECT section 7): designation (grade, speciality), name,
    registration number on the register of their role, when they signed; one is the senior responsible
    clinician."""

    designation: str
    name: str
    role: Role
    registration: str
    signed_at: datetime
    senior_responsible: bool = False


@dataclass(frozen=True, kw_only=True)
class EmergencyContact:
    """An emergency contact, or someone involved in discussing the plan (ReSPECT section 8): a legal proxy or
    parent, family, the GP, the lead consultant. One is the primary contact."""

    name: str
    role: str
    telephone: str
    other_details: str = ""
    primary: bool = False


@dataclass(frozen=True, kw_only=True)
class RespectSections:
    """What only a ReSPECT plan (version 3) holds, section by section. The rest of the form is the plan's common
    content: section 1 is the person's record and the date the plan was made; section 4's interventions are the
    other recommendations and its CPR box the CPR recommendation and reasoning; section 6 is the involvement;
    section 9 the plan's reviews."""

    # 2. Shared understanding of my health and current condition
    health_summary: str = ""
    """Relevant diagnoses, communication needs, personal circumstances."""
    other_documents: tuple[CarePlanningDocument, ...] = ()
    legal_welfare_proxy: bool | None = None
    """Whether the person has a legal welfare proxy (an attorney, a deputy); None: not stated. Named in §8."""
    # 3. What matters to me in decisions about my treatment and care in an emergency
    what_matters_scale: int | None = None
    """The person's place from 0, "living as long as possible matters most", to 10, "quality of life and
    comfort matters most" (see SCALE_ENDS). Version 1 events' `priority_scale` is this scale."""
    most_value: str = ""
    most_fear: str = ""
    """What the person most fears or wishes to avoid."""
    # 4. Clinical recommendations for emergency care and treatment
    clinical_focus_scale: int | None = None
    """The clinician's place from 0, "prioritise extending life", to 10, "prioritise comfort"."""
    cpr_for_a_child: bool = False
    """The CPR recommendation is made for a child (ReSPECT's child CPR box)."""
    # 5. Capacity for involvement in making this plan
    has_capacity_to_take_part: bool | None = None
    how_capacity_is_lacking: str = ""
    # 7. Clinicians' signatures
    signatures: tuple[ClinicianSignature, ...] = ()
    # 8. Emergency contacts and those involved in discussing this plan
    emergency_contacts: tuple[EmergencyContact, ...] = ()


@dataclass(frozen=True, kw_only=True)
class TreatmentLimit:
    """A treatment a treatment escalation plan limits (not to be started), with any words the plan adds."""

    treatment: LimitedTreatment
    detail: str = ""


@dataclass(frozen=True, kw_only=True)
class EscalationPlan:
    """What only a treatment escalation plan holds: how far treatment is to be escalated, the goals of treatment
    and the named limits. Its CPR decision is the plan's CPR recommendation."""

    level: EscalationLevel
    goals_of_treatment: str
    limits: tuple[TreatmentLimit, ...] = ()


@dataclass(frozen=True, kw_only=True)
class DnacprForm:
    """What only a standalone DNACPR form (the national adult form) holds. Its other boxes are the plan's common
    content: capacity (box 1) the record's assessments, the reason and clinical problems (box 2) the reason
    category and reasoning, why the person or those close to them were not spoken with (boxes 3, 4) the
    involvement's reasons, the completing clinician (box 6) the responsible clinician, the senior endorsement and
    review (box 7) the plan's endorsement and reviews."""

    communication_with_person: str = ""
    """A summary of the communication with the person (or their attorney) about the decision."""
    communication_with_relatives: str = ""
    """A summary of the communication with relatives, friends, representatives or an IMCA."""
    team_members: tuple[Participant, ...] = ()
    """The members of the healthcare team involved in the decision."""


@dataclass(frozen=True, kw_only=True)
class LocalField:
    """One field of a local form, as the form labels it and as it was filled in."""

    label: str
    value: str


@dataclass(frozen=True, kw_only=True)
class LocalFormSource:
    """A plan taken in from a region's own form through its mapping: which form, and every field of it the
    canonical model has no place for, kept verbatim and shown with the plan."""

    form: str
    """The mapping's name (e.g. "nuh-tep")."""
    title: str
    kept: tuple[LocalField, ...] = ()


@dataclass(frozen=True, kw_only=True)
class RecommendationContent:
    """What a recommendation says, as the clinician asks for it and as the record holds it: the form and its
    version, the CPR recommendation and its reasoning, who was involved, what matters to the person, other
    treatments, when it is to be reviewed, and what only its kind of form holds (`respect`, `escalation`,
    `dnacpr`: at most the one of its form). A field added here is asked for by `makeRecommendation` and kept by
    the fact."""

    form_type: FormType
    cpr: CprRecommendation
    reason_category: ReasonCategory
    reasoning: str
    involvement: Involvement
    setting: Setting
    form_version: str = ""
    """The version of the form (ReSPECT: "3"); empty for plans made before the version was recorded."""
    other_recommendations: tuple[TreatmentRecommendation, ...] = ()
    what_matters: str = ""
    review_due: date | None = None
    reason_no_review_date: str = ""
    capacity_assessment_id: UUID | None = None
    supersedes_plan_id: UUID | None = None
    respect: RespectSections | None = None
    escalation: EscalationPlan | None = None
    dnacpr: DnacprForm | None = None
    local_form: LocalFormSource | None = None


@event_type(
    "RecommendationMade",
    version=2,
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
