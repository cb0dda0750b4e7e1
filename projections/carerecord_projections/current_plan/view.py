"""The current plan as the API shows it: plain dataclasses selected from the document (itself selected from the
record's state), with what follows from it worked out by the one function for each fact. GraphQL wraps these
types; it does not declare their fields again."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from carerecord_events.plain import CLINICAL_FOCUS_SCALE, WHAT_MATTERS_SCALE, describe_scale, label
from carerecord_events.record import facts
from carerecord_events.roles import ROLES, Role
from carerecord_events.vocabulary import (
    CarePlanningDocumentKind,
    CprRecommendation,
    EscalationLevel,
    FormType,
    InvolvementRoute,
    LimitedTreatment,
    PlanConflict,
    PlanStatus,
    ReasonCategory,
    RepresentativeKind,
    ReviewOutcome,
    Setting,
    TreatmentDecision,
)
from carerecord_projections.current_plan.queries import PlanRow


@dataclass(frozen=True)
class PersonInvolved:
    name: str
    role: str


@dataclass(frozen=True)
class ClinicianView:
    """A clinician, as the plan names them."""

    name: str
    role: str
    """Their professional role, in words as the form gives it (such as general practitioner)"""
    registration: str


@dataclass(frozen=True)
class InvolvementView:
    route: InvolvementRoute
    person_involved: bool
    consulted: list[PersonInvolved]
    reason_person_not_involved: str
    reason_no_one_consulted: str
    discussion_record_location: str = field(metadata={"description": "Where the discussions are recorded"})
    discussed_on: date | None


@dataclass(frozen=True)
class TreatmentRecommendationView:
    """What the plan recommends about one other treatment."""

    treatment: str
    decision: TreatmentDecision
    reason: str


@dataclass(frozen=True)
class CarePlanningDocumentView:
    """Another care planning document the person has, and where to find it (ReSPECT section 2)."""

    kind: CarePlanningDocumentKind
    where_held: str
    description: str

    @property
    def kind_name(self) -> str:
        return label(self.kind)


@dataclass(frozen=True)
class SignatureView:
    designation: str
    name: str
    role: str
    registration: str
    signed_at: datetime
    senior_responsible: bool


@dataclass(frozen=True)
class EmergencyContactView:
    name: str
    role: str = field(metadata={"description": "Their role, or relationship to the person"})
    telephone: str
    other_details: str
    primary: bool


@dataclass(frozen=True)
class RespectView:
    """ReSPECT's own sections (version 3); the rest of the form is the plan's common fields."""

    health_summary: str = field(metadata={"description": "Section 2: relevant diagnoses and circumstances"})
    other_documents: list[CarePlanningDocumentView]
    legal_welfare_proxy: bool | None = field(metadata={"description": "Section 2; null: not stated"})
    what_matters_scale: int | None = field(
        metadata={
            "description": "Section 3, the person's place: 0 living as long as possible matters most, 10 "
            "quality of life and comfort matters most"
        }
    )
    what_matters_scale_words: str
    """Section 3's scale in words"""
    most_value: str
    most_fear: str
    clinical_focus_scale: int | None = field(
        metadata={"description": "Section 4, the clinician's place: 0 prioritise extending life, 10 comfort"}
    )
    clinical_focus_words: str
    """Section 4's scale in words"""
    cpr_for_a_child: bool
    has_capacity_to_take_part: bool | None = field(metadata={"description": "Section 5; null: not stated"})
    how_capacity_is_lacking: str
    signatures: list[SignatureView] = field(metadata={"description": "Section 7"})
    emergency_contacts: list[EmergencyContactView] = field(metadata={"description": "Section 8"})


@dataclass(frozen=True)
class TreatmentLimitView:
    """A treatment a treatment escalation plan limits (not to be started)."""

    treatment: LimitedTreatment
    detail: str

    @property
    def treatment_name(self) -> str:
        return label(self.treatment)


@dataclass(frozen=True)
class EscalationView:
    """A treatment escalation plan's own part."""

    level: EscalationLevel
    goals_of_treatment: str
    limits: list[TreatmentLimitView]

    @property
    def level_name(self) -> str:
        return label(self.level)


@dataclass(frozen=True)
class DnacprView:
    """A standalone DNACPR form's own part (the national adult form)."""

    communication_with_person: str
    communication_with_relatives: str
    team_members: list[PersonInvolved]


@dataclass(frozen=True)
class LocalFieldView:
    """A field of a local form, as the form labels it."""

    label: str
    value: str


@dataclass(frozen=True)
class LocalFormView:
    """A plan taken in from a local form: which form, and its fields the canonical plan has no place for."""

    form: str
    title: str
    kept: list[LocalFieldView] = field(metadata={"description": "Kept verbatim, as the form labels them"})


@dataclass(frozen=True)
class ReviewView:
    at: datetime
    """When the plan was reviewed"""
    by: ClinicianView
    """The reviewing clinician"""
    outcome: ReviewOutcome
    notes: str
    person_involved: bool
    next_review_due: date | None


@dataclass(frozen=True)
class PlanView:
    plan_id: UUID
    """The plan's id"""
    record_id: UUID
    """The record that holds the plan"""
    status: PlanStatus
    """Where the plan stands: in force, or why it no longer is"""
    form_type: FormType
    cpr: CprRecommendation = field(
        metadata={"description": "The CPR recommendation (its words, with what it does not limit: cprLabel)"}
    )
    reason_category: ReasonCategory
    reasoning: str
    what_matters: str
    involvement: InvolvementView
    responsible_clinician: ClinicianView
    """The clinician responsible for the recommendation"""
    organisation: str
    """The organisation the recommendation was made in, by its ODS code"""
    setting: Setting
    made_at: datetime
    """When the recommendation was made"""
    review_due: date | None
    reason_no_review_date: str
    review_overdue: bool = field(metadata={"description": "Worked out when asked, against today's date"})
    awaiting_senior_endorsement: bool
    """Whether it still awaits a senior clinician's endorsement"""
    endorsed_by: ClinicianView | None
    """The senior clinician who endorsed it, once endorsed"""
    communicated_to: list[PersonInvolved]
    """Who has been told of the decision"""
    other_recommendations: list[TreatmentRecommendationView]
    reasoning_mentions_group_characteristics: list[str]
    """The group characteristics (age, a disability, a care home...) the reasoning mentions: a possible
    blanket decision to look into"""
    form_version: str = field(
        metadata={"description": "The form's version (ReSPECT: 3); empty: not recorded"}
    )
    respect: RespectView | None
    escalation: EscalationView | None
    dnacpr: DnacprView | None
    reviews: list[ReviewView]
    """The plan's reviews"""
    local_form: LocalFormView | None
    """The local form the plan was taken in from, when one"""
    taken_in_from: str = field(
        default="",
        metadata={
            "description": "Where the plan was taken in from (a FHIR Bundle, a migration); empty: made here"
        },
    )

    @property
    def cpr_code(self) -> str:
        """SNOMED CT: 450475007 for CPR, 450476008 not for attempted CPR"""
        return self.cpr.value

    @property
    def form_name(self) -> str:
        return label(self.form_type)

    @property
    def cpr_label(self) -> str:
        return label(self.cpr)


@dataclass(frozen=True)
class CaringOrganisation:
    """An organisation caring for the person now."""

    ods_code: str
    """The organisation's ODS code"""
    setting: Setting
    """The kind of service it cares for the person in"""
    since: str
    """Since when it has cared for the person"""


@dataclass(frozen=True)
class RepresentativeView:
    """Someone who speaks for the person."""

    representative_id: UUID
    """The representative's id"""
    kind: RepresentativeKind
    name: str
    relationship: str
    may_decide_about_cpr: bool
    """Whether they may decide about CPR for the person: an active health and welfare attorney whose lasting
    power of attorney is registered and covers life-sustaining treatment"""
    active: bool
    """Whether they still act for the person (not withdrawn)"""


@dataclass(frozen=True)
class AdvanceDecisionView:
    """An advance decision to refuse treatment, and whether it can refuse CPR."""

    advance_decision_id: UUID
    """The advance decision's id"""
    treatments_refused: str
    refuses_cpr: bool
    made_on: date
    formally_valid_for_cpr: bool
    """Whether it meets the formal requirements to refuse CPR (written, signed, witnessed, stating it applies
    even if life is at risk)"""
    reasons_not_valid_for_cpr: list[str] = field(
        metadata={
            "description": "Why it cannot refuse CPR or other life-sustaining treatment; empty if it can"
        }
    )
    withdrawn: bool
    """Whether the person has withdrawn it"""


@dataclass(frozen=True)
class PlanConflictView:
    code: PlanConflict = field(
        metadata={"description": "What conflicts, and what to do (its words: codeLabel)"}
    )

    @property
    def description(self) -> str:
        """What conflicts, and what to do, in plain words"""
        return label(self.code)


def plan_conflicts(document: dict[str, Any]) -> list[PlanConflictView]:
    """Why the plans in force cannot all be followed as they stand, as the document carries it (worked out once,
    by `facts.plan_conflicts`, when the document was made)."""
    return [PlanConflictView(code=PlanConflict(c["code"])) for c in document.get("plan_conflicts", [])]


def plans_of(row: PlanRow, today: date) -> list[PlanView]:
    plans = row.document.get("plans", {}).items()
    return [plan_view(row.record_id, key, value, today) for key, value in plans]


def plan_view(record_id: UUID, plan_id: str, plan: dict[str, Any], today: date) -> PlanView:
    review_due = date.fromisoformat(plan["review_due"]) if plan.get("review_due") else None
    endorsed = plan.get("endorsed_by")
    return PlanView(
        plan_id=UUID(plan_id),
        record_id=record_id,
        status=PlanStatus(plan["status"]),
        form_type=FormType(plan["form_type"]),
        cpr=CprRecommendation(plan["cpr_code"]),
        reason_category=ReasonCategory(plan["reason_category"]),
        reasoning=plan["reasoning"],
        organisation=plan["organisation"],
        setting=Setting(plan["setting"]),
        what_matters=plan.get("what_matters", ""),
        involvement=_involvement(plan["involvement"]),
        responsible_clinician=_clinician(plan["responsible_clinician"]),
        made_at=datetime.fromisoformat(plan["made_at"]),
        review_due=review_due,
        reason_no_review_date=plan.get("reason_no_review_date", ""),
        review_overdue=facts.review_overdue(plan["status"], review_due, today),
        awaiting_senior_endorsement=facts.awaiting_senior_endorsement(
            plan["status"], plan["needs_senior_endorsement"], bool(endorsed)
        ),
        endorsed_by=_clinician(endorsed) if endorsed else None,
        communicated_to=[_person(p) for p in plan.get("communicated_to", [])],
        other_recommendations=[
            TreatmentRecommendationView(
                treatment=item["treatment"],
                decision=TreatmentDecision(item["decision"]),
                reason=item["reason"],
            )
            for item in plan.get("other_recommendations", [])
        ],
        reasoning_mentions_group_characteristics=plan.get("reasoning_mentions_group_characteristics", []),
        form_version=plan.get("form_version", ""),
        respect=_respect(plan["respect"]) if plan.get("respect") else None,
        escalation=_escalation(plan["escalation"]) if plan.get("escalation") else None,
        dnacpr=_dnacpr(plan["dnacpr"]) if plan.get("dnacpr") else None,
        reviews=[_review(review) for review in plan.get("reviews", [])],
        local_form=_local_form(plan["local_form"]) if plan.get("local_form") else None,
        taken_in_from=plan.get("taken_in_from", ""),
    )


def _local_form(value: dict[str, Any]) -> LocalFormView:
    return LocalFormView(
        **_copied(value, "form", "title"),
        kept=[LocalFieldView(**_copied(each, "label", "value")) for each in value["kept"]],
    )


def _respect(value: dict[str, Any]) -> RespectView:
    return RespectView(
        **_copied(value, "health_summary", "legal_welfare_proxy", "what_matters_scale", "most_value"),
        **_copied(value, "most_fear", "clinical_focus_scale", "cpr_for_a_child"),
        **_copied(value, "has_capacity_to_take_part", "how_capacity_is_lacking"),
        other_documents=[
            CarePlanningDocumentView(
                kind=CarePlanningDocumentKind(each["kind"]),
                **_copied(each, "where_held", "description"),
            )
            for each in value["other_documents"]
        ],
        what_matters_scale_words=describe_scale(value["what_matters_scale"], WHAT_MATTERS_SCALE),
        clinical_focus_words=describe_scale(value["clinical_focus_scale"], CLINICAL_FOCUS_SCALE),
        signatures=[
            SignatureView(
                **_copied(each, "designation", "name", "registration", "senior_responsible"),
                role=ROLES[Role(each["role"])].label,
                signed_at=datetime.fromisoformat(each["signed_at"]),
            )
            for each in value["signatures"]
        ],
        emergency_contacts=[
            EmergencyContactView(**_copied(each, "name", "role", "telephone", "other_details", "primary"))
            for each in value["emergency_contacts"]
        ],
    )


def _escalation(value: dict[str, Any]) -> EscalationView:
    return EscalationView(
        level=EscalationLevel(value["level"]),
        goals_of_treatment=value["goals_of_treatment"],
        limits=[
            TreatmentLimitView(
                treatment=LimitedTreatment(each["treatment"]),
                detail=each["detail"],
            )
            for each in value["limits"]
        ],
    )


def _dnacpr(value: dict[str, Any]) -> DnacprView:
    return DnacprView(
        **_copied(value, "communication_with_person", "communication_with_relatives"),
        team_members=[_person(each) for each in value["team_members"]],
    )


def _review(value: dict[str, Any]) -> ReviewView:
    due = value.get("next_review_due")
    return ReviewView(
        at=datetime.fromisoformat(value["at"]),
        by=_clinician(value["by"]),
        outcome=ReviewOutcome(value["outcome"]),
        **_copied(value, "notes", "person_involved"),
        next_review_due=date.fromisoformat(due) if due else None,
    )


def _copied(value: dict[str, Any], *names: str) -> dict[str, Any]:
    """The document's values that the view shows as they are, under the same names."""
    return {name: value[name] for name in names}


def _person(value: dict[str, Any]) -> PersonInvolved:
    return PersonInvolved(**_copied(value, "name", "role"))


def _clinician(value: dict[str, Any]) -> ClinicianView:
    return ClinicianView(**_copied(value, "name", "role", "registration"))


def _involvement(value: dict[str, Any]) -> InvolvementView:
    discussed_on = value.get("discussed_on")
    return InvolvementView(
        route=InvolvementRoute(value["route"]),
        **_copied(value, "person_involved", "reason_person_not_involved", "reason_no_one_consulted"),
        consulted=[_person(p) for p in value["consulted"]],
        discussion_record_location=value.get("discussion_record_location", ""),
        discussed_on=date.fromisoformat(discussed_on) if discussed_on else None,
    )


def caring(row: PlanRow) -> list[CaringOrganisation]:
    return [
        CaringOrganisation(ods, setting=Setting(value["setting"]), since=value["since"])
        for ods, value in row.document.get("caring", {}).items()
    ]


def representatives(row: PlanRow) -> list[RepresentativeView]:
    return [
        RepresentativeView(
            representative_id=UUID(key),
            kind=RepresentativeKind(value["kind"]),
            **_copied(value, "name", "relationship", "active"),
            may_decide_about_cpr=facts.may_decide_about_cpr(
                value["kind"],
                value["active"],
                value["lpa_registered"],
                value["lpa_covers_life_sustaining_treatment"],
            ),
        )
        for key, value in row.document.get("representatives", {}).items()
    ]


def advance_decisions(row: PlanRow) -> list[AdvanceDecisionView]:
    return [
        AdvanceDecisionView(
            advance_decision_id=UUID(key),
            **_copied(value, "treatments_refused", "refuses_cpr", "formally_valid_for_cpr", "withdrawn"),
            made_on=date.fromisoformat(value["made_on"]),
            reasons_not_valid_for_cpr=value.get("reasons_not_valid_for_cpr", []),
        )
        for key, value in row.document.get("advance_decisions", {}).items()
    ]
