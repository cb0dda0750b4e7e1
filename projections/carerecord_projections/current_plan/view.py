"""The current plan as the API shows it: plain dataclasses selected from the document (itself selected from the
record's state), with what follows from it worked out by the one function for each fact. GraphQL wraps these
types; it does not declare their fields again."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from carerecord_events.record import facts
from carerecord_projections.current_plan.queries import PlanRow


@dataclass(frozen=True)
class PersonInvolved:
    name: str
    role: str


@dataclass(frozen=True)
class ClinicianView:
    name: str
    role: str
    registration: str


@dataclass(frozen=True)
class InvolvementView:
    route: str
    person_involved: bool
    consulted: list[PersonInvolved]
    reason_person_not_involved: str
    reason_no_one_consulted: str


@dataclass(frozen=True)
class TreatmentRecommendationView:
    treatment: str
    decision: str
    reason: str


@dataclass(frozen=True)
class PlanView:
    plan_id: UUID
    status: str
    form_type: str
    form_name: str
    cpr_code: str = field(
        metadata={"description": "SNOMED CT: 450475007 for CPR, 450476008 not for attempted CPR"}
    )
    cpr: str = field(
        metadata={"description": "The CPR recommendation in plain words, including what it does not limit"}
    )
    reason_category: str
    reasoning: str
    what_matters: str
    involvement: InvolvementView
    responsible_clinician: ClinicianView
    organisation: str
    setting: str
    made_at: datetime
    review_due: date | None
    reason_no_review_date: str
    review_overdue: bool = field(metadata={"description": "Worked out when asked, against today's date"})
    awaiting_senior_endorsement: bool
    endorsed_by: ClinicianView | None
    communicated_to: list[PersonInvolved]
    other_recommendations: list[TreatmentRecommendationView]
    reasoning_mentions_group_characteristics: list[str]


@dataclass(frozen=True)
class CaringOrganisation:
    ods_code: str
    setting: str
    setting_name: str
    since: str


@dataclass(frozen=True)
class RepresentativeView:
    representative_id: UUID
    kind: str
    name: str
    relationship: str
    may_decide_about_cpr: bool
    active: bool


@dataclass(frozen=True)
class AdvanceDecisionView:
    advance_decision_id: UUID
    treatments_refused: str
    refuses_cpr: bool
    made_on: date
    formally_valid_for_cpr: bool
    reasons_not_valid_for_cpr: list[str] = field(
        metadata={
            "description": "Why it cannot refuse CPR or other life-sustaining treatment; empty if it can"
        }
    )
    withdrawn: bool


@dataclass(frozen=True)
class PlanConflictView:
    code: str = field(
        metadata={
            "description": "more-than-one-plan-in-force, cpr-recommendations-disagree or "
            "cpr-recommended-despite-advance-decision"
        }
    )
    description: str = field(metadata={"description": "What conflicts, and what to do, in plain words"})


def plan_conflicts(document: dict[str, Any]) -> list[PlanConflictView]:
    """Why the plans in force cannot all be followed as they stand, as the document carries it (worked out once,
    by `facts.plan_conflicts`, when the document was made)."""
    return [PlanConflictView(**_copied(c, "code", "description")) for c in document.get("plan_conflicts", [])]


def plans_of(row: PlanRow, today: date) -> list[PlanView]:
    return [plan_view(key, value, today) for key, value in row.document.get("plans", {}).items()]


def plan_view(plan_id: str, plan: dict[str, Any], today: date) -> PlanView:
    review_due = date.fromisoformat(plan["review_due"]) if plan.get("review_due") else None
    endorsed = plan.get("endorsed_by")
    return PlanView(
        plan_id=UUID(plan_id),
        **_copied(
            plan, "status", "form_type", "form_name", "cpr_code", "cpr", "reason_category", "reasoning"
        ),
        **_copied(plan, "organisation", "setting"),
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
            TreatmentRecommendationView(**_copied(item, "treatment", "decision", "reason"))
            for item in plan.get("other_recommendations", [])
        ],
        reasoning_mentions_group_characteristics=plan.get("reasoning_mentions_group_characteristics", []),
    )


def _copied(value: dict[str, Any], *names: str) -> dict[str, Any]:
    """The document's values that the view shows as they are, under the same names."""
    return {name: value[name] for name in names}


def _person(value: dict[str, Any]) -> PersonInvolved:
    return PersonInvolved(**_copied(value, "name", "role"))


def _clinician(value: dict[str, Any]) -> ClinicianView:
    return ClinicianView(**_copied(value, "name", "role", "registration"))


def _involvement(value: dict[str, Any]) -> InvolvementView:
    return InvolvementView(
        **_copied(value, "route", "person_involved", "reason_person_not_involved", "reason_no_one_consulted"),
        consulted=[_person(p) for p in value["consulted"]],
    )


def caring(row: PlanRow) -> list[CaringOrganisation]:
    return [
        CaringOrganisation(ods, **_copied(value, "setting", "setting_name", "since"))
        for ods, value in row.document.get("caring", {}).items()
    ]


def representatives(row: PlanRow) -> list[RepresentativeView]:
    return [
        RepresentativeView(
            representative_id=UUID(key),
            **_copied(value, "kind", "name", "relationship", "active"),
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
