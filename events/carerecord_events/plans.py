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
    """The treatment, in words"""
    decision: TreatmentDecision
    """What the plan recommends about it"""
    reason: str = ""
    """Why, in the clinician's words"""


@dataclass(frozen=True, kw_only=True)
class Involvement:
    """Who was involved in making the recommendation (ReSPECT section 6), or why no one was."""

    route: InvolvementRoute
    """How the person, or those close to them, took part (ReSPECT section 6's A to D)"""
    person_involved: bool
    """Whether the person themselves took part in making the recommendation"""
    consulted: tuple[Participant, ...] = ()
    """Who was consulted: the person's representative, family or those close to them"""
    reason_person_not_involved: str = ""
    """Why the person did not take part, when they did not"""
    reason_no_one_consulted: str = ""
    """Why no one was consulted, when no one was"""
    discussion_record_location: str = ""
    """Where the discussions are recorded"""
    discussed_on: date | None = None
    """When the recommendation was discussed"""


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
    """The kind of document"""
    where_held: str
    """Where the document is held"""
    description: str = ""
    """What the document is, in words (its title, its date)"""


@dataclass(frozen=True, kw_only=True)
class ClinicianSignature:
    """One clinician's signature on the form (ReSPECT section 7): designation (grade, speciality), name,
    registration number on the register of their role, when they signed; one is the senior responsible
    clinician."""

    designation: str
    """The clinician's job title (such as consultant physician)"""
    name: str
    """The clinician's name"""
    role: Role
    """The clinician's role"""
    registration: str
    """The clinician's professional registration number (GMC, NMC or HCPC)"""
    signed_at: datetime
    """When they signed"""
    senior_responsible: bool = False
    """Whether they are the senior responsible clinician"""


@dataclass(frozen=True, kw_only=True)
class EmergencyContact:
    """An emergency contact, or someone involved in discussing the plan (ReSPECT section 8): a legal proxy or
    parent, family, the GP, the lead consultant. One is the primary contact."""

    name: str
    """The contact's name"""
    role: str
    """Their role, or relationship to the person"""
    telephone: str
    """Their telephone number"""
    other_details: str = ""
    """Anything else about reaching them"""
    primary: bool = False
    """Whether they are the first to call"""


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
    """Section 2: other care planning documents the person has, and where they are held"""
    legal_welfare_proxy: bool | None = None
    """Whether the person has a legal welfare proxy (an attorney, a deputy); None: not stated. Named in §8."""
    # 3. What matters to me in decisions about my treatment and care in an emergency
    what_matters_scale: int | None = None
    """The person's place from 0, "living as long as possible matters most", to 10, "quality of life and
    comfort matters most" (see SCALE_ENDS). Version 1 events' `priority_scale` is this scale."""
    most_value: str = ""
    """Section 3: what the person most values"""
    most_fear: str = ""
    """What the person most fears or wishes to avoid."""
    # 4. Clinical recommendations for emergency care and treatment
    clinical_focus_scale: int | None = None
    """The clinician's place from 0, "prioritise extending life", to 10, "prioritise comfort"."""
    cpr_for_a_child: bool = False
    """The CPR recommendation is made for a child (ReSPECT's child CPR box)."""
    # 5. Capacity for involvement in making this plan
    has_capacity_to_take_part: bool | None = None
    """Section 5: whether the person has capacity to take part in making the plan; none: not stated"""
    how_capacity_is_lacking: str = ""
    """Section 5: how capacity to take part is lacking, when it is"""
    # 7. Clinicians' signatures
    signatures: tuple[ClinicianSignature, ...] = ()
    """Section 7: the clinicians' signatures"""
    # 8. Emergency contacts and those involved in discussing this plan
    emergency_contacts: tuple[EmergencyContact, ...] = ()
    """Section 8: emergency contacts and those involved in discussing the plan"""


@dataclass(frozen=True, kw_only=True)
class TreatmentLimit:
    """A treatment a treatment escalation plan limits (not to be started), with any words the plan adds."""

    treatment: LimitedTreatment
    """The treatment not to be started"""
    detail: str = ""
    """Any words the plan adds about the limit (its name, when the treatment is "other")"""


@dataclass(frozen=True, kw_only=True)
class EscalationPlan:
    """What only a treatment escalation plan holds: how far treatment is to be escalated, the goals of treatment
    and the named limits. Its CPR decision is the plan's CPR recommendation."""

    level: EscalationLevel
    """How far treatment is to be escalated"""
    goals_of_treatment: str
    """The goals of treatment, in the clinician's words"""
    limits: tuple[TreatmentLimit, ...] = ()
    """The treatments not to be started"""


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
    """The field's label on the local form"""
    value: str
    """The field's value, as written"""


@dataclass(frozen=True, kw_only=True)
class LocalFormSource:
    """A plan taken in from a region's own form through its mapping: which form, and every field of it the
    canonical model has no place for, kept verbatim and shown with the plan."""

    form: str
    """The mapping's name (e.g. "nuh-tep")."""
    title: str
    """The local form's title"""
    kept: tuple[LocalField, ...] = ()
    """The local form's fields no part of the record holds, kept as written"""


@dataclass(frozen=True, kw_only=True)
class RecommendationContent:
    """What a recommendation says, as the clinician asks for it and as the record holds it: the form and its
    version, the CPR recommendation and its reasoning, who was involved, what matters to the person, other
    treatments, when it is to be reviewed, and what only its kind of form holds (`respect`, `escalation`,
    `dnacpr`: at most the one of its form). A field added here is asked for by `makeRecommendation` and kept by
    the fact."""

    form_type: FormType
    """The kind of form the plan is recorded on"""
    cpr: CprRecommendation
    """The CPR recommendation"""
    reason_category: ReasonCategory
    """Why CPR is or is not recommended, as the national form's reason"""
    reasoning: str
    """The clinician's reasoning, in their words"""
    involvement: Involvement
    """Who was involved in making the recommendation, or why no one was"""
    setting: Setting
    """The setting the recommendation was made in"""
    form_version: str = ""
    """The version of the form (ReSPECT: "3"); empty for plans made before the version was recorded."""
    other_recommendations: tuple[TreatmentRecommendation, ...] = ()
    """The plan's recommendations about other treatments"""
    what_matters: str = ""
    """What matters to the person, in their words"""
    review_due: date | None = None
    """When the plan is next to be reviewed"""
    reason_no_review_date: str = ""
    """Why the plan has no review date, when it has none"""
    capacity_assessment_id: UUID | None = None
    """The capacity assessment the recommendation relies on, when one"""
    supersedes_plan_id: UUID | None = None
    """The plan this one replaces, when one"""
    respect: RespectSections | None = None
    """What only a ReSPECT plan holds, when the form is ReSPECT"""
    escalation: EscalationPlan | None = None
    """What only a treatment escalation plan holds, when the form is one"""
    dnacpr: DnacprForm | None = None
    """What only a DNACPR form holds, when the form is one"""
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
    """What the review concluded"""
    involved: tuple[Participant, ...] = ()
    """Who took part in the review"""
    person_involved: bool = False
    """Whether the person themselves took part"""
    notes: str = ""
    """The review's notes, in the reviewer's words"""
    next_review_due: date | None = None
    """When the plan is next to be reviewed"""


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
