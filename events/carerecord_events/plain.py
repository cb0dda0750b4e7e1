"""Plain-English sentences for plans and for each kind of event, as every service caring for the person sees them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import Enum
from functools import singledispatch
from typing import Any

from carerecord_events.assurance import BoardFindingRecorded
from carerecord_events.base import CareRecordEvent
from carerecord_events.conversations import (
    AdvanceDecisionRecorded,
    CapacityAssessed,
    ConversationRecorded,
    RepresentativeRecorded,
)
from carerecord_events.corrections import ConcernRaised, CorrectionRecorded, EntryMarkedEnteredInError
from carerecord_events.people import (
    CareRelationshipConfirmed,
    CareRelationshipEnded,
    CareRelationshipReviewed,
    CareRelationshipStarted,
    PersonDied,
)
from carerecord_events.plans import (
    CPR_ONLY_STATEMENT,
    DecisionCommunicated,
    PlanReviewed,
    PlanRevoked,
    PlanTakenIn,
    RecommendationMade,
    SeniorEndorsementGiven,
)
from carerecord_events.roles import ROLES, Role
from carerecord_events.vocabulary import (
    AccessKind,
    AlertKind,
    AlertScope,
    BoardFinding,
    CapacityDecision,
    CarePlanningDocumentKind,
    CprRecommendation,
    EscalationLevel,
    FormType,
    InformationFormat,
    InvolvementRoute,
    LimitedTreatment,
    PlanConflict,
    PlanStatus,
    ReasonCategory,
    RelationshipBasis,
    RepresentativeKind,
    ReviewOutcome,
    Setting,
    TreatmentDecision,
)

FORM_NAMES = {
    FormType.RESPECT: "ReSPECT plan (Recommended Summary Plan for Emergency Care and Treatment)",
    FormType.TREATMENT_ESCALATION_PLAN: "treatment escalation plan",
    FormType.DNACPR: "DNACPR form (do not attempt cardiopulmonary resuscitation)",
}

REASON_NAMES = {
    ReasonCategory.WOULD_NOT_SUCCEED: "CPR would not succeed",
    ReasonCategory.NOT_IN_BEST_INTERESTS: "CPR would not be in the person's best interests",
    ReasonCategory.PERSONS_INFORMED_REFUSAL: "the person, informed, has refused CPR",
    ReasonCategory.VALID_ADVANCE_DECISION: "the person has a valid advance decision refusing CPR",
    ReasonCategory.PERSON_DECLINES: "the person declines CPR, or has a valid advance decision refusing it",
    ReasonCategory.CPR_RECOMMENDED: "CPR is recommended",
}

ESCALATION_LEVEL_NAMES = {
    EscalationLevel.FULL: "full escalation, intensive care included",
    EscalationLevel.WARD_BASED: "ward-based care, with the limits named",
    EscalationLevel.COMFORT: "comfort and end-of-life care",
}

LIMITED_TREATMENT_NAMES = {
    LimitedTreatment.INTENSIVE_CARE: "intensive care",
    LimitedTreatment.INTUBATION: "intubation and mechanical ventilation",
    LimitedTreatment.NON_INVASIVE_VENTILATION: "non-invasive ventilation (NIV)",
    LimitedTreatment.DIALYSIS: "dialysis",
    LimitedTreatment.HOSPITAL_ADMISSION: "admission to hospital",
    LimitedTreatment.INTRAVENOUS_ANTIBIOTICS: "intravenous antibiotics",
    LimitedTreatment.INTRAVENOUS_FLUIDS: "intravenous fluids",
    LimitedTreatment.BLOOD_TRANSFUSION: "blood transfusion",
    LimitedTreatment.OTHER: "another treatment",
}

DOCUMENT_KIND_NAMES = {
    CarePlanningDocumentKind.ADVANCE_DECISION: "advance decision to refuse treatment",
    CarePlanningDocumentKind.LASTING_POWER_OF_ATTORNEY: "lasting power of attorney",
    CarePlanningDocumentKind.ADVANCE_CARE_PLAN: "advance care plan",
    CarePlanningDocumentKind.CARER_EMERGENCY_PLAN: "carer's emergency plan",
    CarePlanningDocumentKind.OTHER: "other document",
}

WHAT_MATTERS_SCALE = ("living as long as possible matters most", "quality of life and comfort matters most")
CLINICAL_FOCUS_SCALE = ("prioritise extending life", "prioritise comfort")


def describe_scale(value: int | None, ends: tuple[str, str]) -> str:
    """A place on one of ReSPECT's scales in words: where it is between the two ends, as the form prints them."""
    if value is None:
        return "not recorded"
    return f"{value} on a scale from 0, \u201c{ends[0]}\u201d, to 10, \u201c{ends[1]}\u201d"


CAPACITY_DECISION_NAMES = {
    CapacityDecision.CPR_RECOMMENDATION: "the CPR recommendation",
    CapacityDecision.EMERGENCY_TREATMENT: "the emergency treatment recommendations",
    CapacityDecision.WHOLE_PLAN: "the plan as a whole",
    CapacityDecision.OTHER: "another decision",
}


def describe_capacity_decision(decision: CapacityDecision, text: str = "") -> str:
    """The decision assessed in words: its name, with the words the assessor used when they add anything."""
    name = CAPACITY_DECISION_NAMES[decision]
    if decision is CapacityDecision.OTHER and text:
        return text
    return f"{name} ({text})" if text and text.casefold() not in name.casefold() else name


SETTING_NAMES = {
    Setting.CARE_HOME: "care home",
    Setting.GP_PRACTICE: "GP practice",
    Setting.HOSPITAL: "hospital",
    Setting.HOSPICE: "hospice",
    Setting.AMBULANCE: "ambulance service",
    Setting.COMMUNITY: "community service",
    Setting.NHS_111: "NHS 111",
    Setting.OUT_OF_HOURS: "out-of-hours service",
    Setting.EMERGENCY_DEPARTMENT: "emergency department",
}


def describe_cpr(cpr: CprRecommendation) -> str:
    if cpr is CprRecommendation.ATTEMPT_CPR:
        return "Attempt CPR (cardiopulmonary resuscitation) if the heart and breathing stop."
    return f"Do not attempt CPR (cardiopulmonary resuscitation). {CPR_ONLY_STATEMENT}"


@singledispatch
def summarise(event: CareRecordEvent) -> str:
    return event.LABEL + "."


@summarise.register
def _(event: RecommendationMade) -> str:
    who = f"{event.responsible_clinician.name} ({ROLES[event.responsible_clinician.role].label})"
    return f"{FORM_NAMES[event.form_type].capitalize()} made by {who}: {describe_cpr(event.cpr)}"


@summarise.register
def _(event: SeniorEndorsementGiven) -> str:
    return f"Endorsed by {event.endorsed_by.name} ({ROLES[event.endorsed_by.role].label})."


@summarise.register
def _(event: PlanReviewed) -> str:
    return f"Reviewed by {event.reviewed_by.name}: {event.outcome.value}."


@summarise.register
def _(event: PlanRevoked) -> str:
    return f"Revoked ({event.initiated.value.replace('-', ' ')}): {event.reason}"


@summarise.register
def _(event: PlanTakenIn) -> str:
    return f"Taken in from {event.taken_in_from}."


@summarise.register
def _(event: DecisionCommunicated) -> str:
    return "Told: " + ", ".join(f"{person.name} ({person.role})" for person in event.told) + "."


@summarise.register
def _(event: ConversationRecorded) -> str:
    took_part = "took part" if event.person_took_part else "did not take part"
    said = f"Conversation recorded; the person {took_part}. What matters to them: {event.what_matters or 'not recorded'}."
    if event.formats_offered:
        said += (
            f" Information offered in {describe_formats(event.formats_offered, event.interpreter_language)}."
        )
    if event.reasonable_adjustments:
        said += f" Reasonable adjustments: {'; '.join(event.reasonable_adjustments)}."
    return said


INFORMATION_FORMAT_NAMES = {
    InformationFormat.EASY_READ: "easy read",
    InformationFormat.LARGE_PRINT: "large print",
    InformationFormat.BRITISH_SIGN_LANGUAGE: "British Sign Language",
    InformationFormat.INTERPRETER: "an interpreter",
    InformationFormat.BRAILLE: "braille",
    InformationFormat.AUDIO: "audio",
}


def describe_formats(formats: Iterable[InformationFormat], interpreter_language: str = "") -> str:
    """The accessible formats offered, in words: "easy read, an interpreter (Polish)"."""
    named = [
        f"{INFORMATION_FORMAT_NAMES[kind]} ({interpreter_language})"
        if kind is InformationFormat.INTERPRETER and interpreter_language
        else INFORMATION_FORMAT_NAMES[kind]
        for kind in formats
    ]
    return ", ".join(named)


@summarise.register
def _(event: CapacityAssessed) -> str:
    outcome = "has capacity" if event.has_capacity else "lacks capacity"
    decision = describe_capacity_decision(event.decision, event.decision_text)
    return f"Capacity assessed for the decision about {decision}: {outcome}."


@summarise.register
def _(event: RepresentativeRecorded) -> str:
    return f"{event.name} recorded as {event.kind.value.replace('-', ' ')}."


@summarise.register
def _(event: AdvanceDecisionRecorded) -> str:
    what = "refuses CPR" if event.refuses_cpr else f"refuses {event.treatments_refused}"
    return f"Advance decision to refuse treatment made on {event.made_on.isoformat()} recorded: {what}."


BASIS_NAMES = {
    RelationshipBasis.REGISTERED_WITH_PRACTICE: "registered with the practice",
    RelationshipBasis.REFERRAL_RECEIVED: "referral received",
    RelationshipBasis.ADMITTED: "admitted",
    RelationshipBasis.RESIDENT_OF_CARE_HOME: "resident of the care home",
    RelationshipBasis.UNDER_THE_CARE_OF_SERVICE: "under the care of the service",
    RelationshipBasis.OTHER: "other",
    RelationshipBasis.NOT_RECORDED: "basis not recorded",
}


@summarise.register
def _(event: CareRelationshipStarted) -> str:
    basis = BASIS_NAMES[event.basis]
    if event.basis_detail:
        basis += f": {event.basis_detail}"
    if event.referred_by:
        basis += f" from {event.referred_by}"
    return f"{event.organisation} ({SETTING_NAMES[event.setting]}) started caring for the person ({basis})."


@summarise.register
def _(event: CareRelationshipConfirmed) -> str:
    return f"{event.organisation}'s administrator confirmed its care relationship."


@summarise.register
def _(event: CareRelationshipReviewed) -> str:
    finding = "appropriate" if event.appropriate else "not appropriate"
    return f"A privacy officer reviewed {event.organisation}'s care relationship: {finding}."


@summarise.register
def _(event: CareRelationshipEnded) -> str:
    return f"{event.organisation} stopped caring for the person: {event.reason}"


@summarise.register
def _(event: PersonDied) -> str:
    return f"Died on {event.date_of_death.isoformat()} ({event.place_of_death})."


@summarise.register
def _(event: EntryMarkedEnteredInError) -> str:
    return f"An entry was marked as entered in error: {event.reason}"


@summarise.register
def _(event: CorrectionRecorded) -> str:
    return f"Correction: {event.correction}"


@summarise.register
def _(event: ConcernRaised) -> str:
    return f"Concern raised by the {event.raised_by.value}: {event.summary}"


ALERT_KIND_NAMES = {
    AlertKind.CLUSTER_IN_ORGANISATION: "many decisions in one organisation in a short time",
    AlertKind.CLUSTER_BY_AUTHOR: "many decisions recorded by one person in a short time",
    AlertKind.NEAR_IDENTICAL_REASONING: "near-identical reasoning for different people",
    AlertKind.GROUP_CHARACTERISTIC: "reasoning that rests on a group, not the person",
}

ALERT_SCOPE_NAMES = {
    AlertScope.ORGANISATION: "in one organisation's decisions",
    AlertScope.AUTHOR: "in one person's decisions",
}

ACCESS_KIND_NAMES = {
    AccessKind.READ: "read the record",
    AccessKind.BREAK_GLASS: "broke the glass (emergency access)",
    AccessKind.BREAK_GLASS_REVIEW: "reviewed a break-glass access",
    AccessKind.SEARCH: "found the person by a search",
}

BOARD_FINDING_NAMES = {
    BoardFinding.REVIEWED_AND_INDIVIDUAL: "looked into: an individual decision",
    BoardFinding.BLANKET_RAISED_WITH_PROVIDER: "a blanket decision, raised with the provider",
    BoardFinding.REFERRED_TO_SAFEGUARDING: "referred to safeguarding",
}


@summarise.register
def _(event: BoardFindingRecorded) -> str:
    notes = f" {event.notes}" if event.notes else ""
    return f"The integrated care board looked into a decision: {BOARD_FINDING_NAMES[event.finding]}.{notes}"


PLAN_CONFLICT_NAMES = {
    PlanConflict.MORE_THAN_ONE_IN_FORCE: "More than one plan is in force: check which one applies and read each.",
    PlanConflict.CPR_RECOMMENDATIONS_DISAGREE: (
        "The plans in force disagree about CPR: one recommends attempting CPR and another does not."
    ),
    PlanConflict.CPR_RECOMMENDED_DESPITE_ADVANCE_DECISION: (
        "A plan in force recommends attempting CPR, but a valid advance decision to refuse treatment refuses CPR:"
        " the advance decision must be followed."
    ),
}


PLAN_STATUS_NAMES = {
    PlanStatus.ACTIVE: "in force",
    PlanStatus.REVOKED: "revoked",
    PlanStatus.SUPERSEDED: "replaced by a newer plan",
    PlanStatus.ENTERED_IN_ERROR: "entered in error",
    PlanStatus.CLOSED_AFTER_DEATH: "closed after the person died",
}

REVIEW_OUTCOME_NAMES = {
    ReviewOutcome.CONFIRMED: "the plan stands as it is",
    ReviewOutcome.CHANGED: "the plan is to change",
    ReviewOutcome.REVOKED: "the plan is no longer in force",
}

INVOLVEMENT_ROUTE_NAMES = {
    InvolvementRoute.A_PERSON_WITH_CAPACITY: "the person has capacity and took part",
    InvolvementRoute.B_PERSON_LACKS_CAPACITY: "the person lacks capacity; those close to them were consulted",
    InvolvementRoute.C_CHILD: "a child or young person, with those with parental responsibility",
    InvolvementRoute.D_NOT_INVOLVED_WITH_REASON: "made without involving the person or those close to them",
}

REPRESENTATIVE_KIND_NAMES = {
    RepresentativeKind.LPA_HEALTH_AND_WELFARE: "attorney for health and welfare",
    RepresentativeKind.COURT_APPOINTED_DEPUTY: "deputy appointed by the Court of Protection",
    RepresentativeKind.IMCA: "independent mental capacity advocate",
    RepresentativeKind.FAMILY_OR_FRIEND: "family or friend",
}

TREATMENT_DECISION_NAMES = {
    TreatmentDecision.RECOMMENDED: "recommended",
    TreatmentDecision.NOT_RECOMMENDED: "not recommended",
    TreatmentDecision.NOT_WANTED: "not wanted by the person",
}

LABELS: Mapping[type[Enum], Mapping[Any, str]] = {
    FormType: FORM_NAMES,
    ReasonCategory: REASON_NAMES,
    EscalationLevel: ESCALATION_LEVEL_NAMES,
    LimitedTreatment: LIMITED_TREATMENT_NAMES,
    CarePlanningDocumentKind: DOCUMENT_KIND_NAMES,
    CapacityDecision: CAPACITY_DECISION_NAMES,
    Setting: SETTING_NAMES,
    InformationFormat: INFORMATION_FORMAT_NAMES,
    RelationshipBasis: BASIS_NAMES,
    BoardFinding: BOARD_FINDING_NAMES,
    AccessKind: ACCESS_KIND_NAMES,
    AlertKind: ALERT_KIND_NAMES,
    AlertScope: ALERT_SCOPE_NAMES,
    PlanConflict: PLAN_CONFLICT_NAMES,
    CprRecommendation: {cpr: describe_cpr(cpr) for cpr in CprRecommendation},
    TreatmentDecision: TREATMENT_DECISION_NAMES,
    PlanStatus: PLAN_STATUS_NAMES,
    ReviewOutcome: REVIEW_OUTCOME_NAMES,
    InvolvementRoute: INVOLVEMENT_ROUTE_NAMES,
    RepresentativeKind: REPRESENTATIVE_KIND_NAMES,
    Role: {role: definition.label for role, definition in ROLES.items()},
}
"""Every coded value's words, by its vocabulary: what a reader sees beside the code (an API's `...Label`)."""


def label(value: Enum) -> str:
    """The plain-English words for a coded value (KeyError for a vocabulary without words: add its table)."""
    return LABELS[type(value)][value]
