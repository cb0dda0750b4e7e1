"""Output types: the current plan in plain language, the timeline, access records, mutation results."""

from __future__ import annotations

import base64
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import strawberry

from carerecord_projections.current_plan.queries import PlanRow


@strawberry.type(description="A named person and the role or relationship they took part in.")
class PersonInvolved:
    name: str
    role: str


@strawberry.type
class ClinicianView:
    name: str
    role: str
    registration: str


@strawberry.type(
    description="Who was involved in making the recommendation, or why no one was (ReSPECT section 6)."
)
class InvolvementView:
    route: str
    person_involved: bool
    consulted: list[PersonInvolved]
    reason_person_not_involved: str
    reason_no_one_consulted: str


@strawberry.type
class TreatmentRecommendationView:
    treatment: str
    decision: str
    reason: str


@strawberry.type(description="One recommendation for emergency care and CPR, in plain language.")
class PlanView:
    plan_id: UUID
    status: str
    form_type: str
    form_name: str
    cpr_code: str = strawberry.field(
        description="SNOMED CT: 450475007 for CPR, 450476008 not for attempted CPR"
    )
    cpr: str = strawberry.field(
        description="The CPR recommendation in plain words, including what it does not limit"
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
    review_overdue: bool = strawberry.field(description="Worked out when asked, against today's date")
    awaiting_senior_endorsement: bool
    endorsed_by: ClinicianView | None
    communicated_to: list[PersonInvolved]
    other_recommendations: list[TreatmentRecommendationView]
    reasoning_mentions_group_characteristics: list[str]


@strawberry.type
class CaringOrganisation:
    ods_code: str
    setting: str
    setting_name: str
    since: str


@strawberry.type
class RepresentativeView:
    representative_id: UUID
    kind: str
    name: str
    relationship: str
    may_decide_about_cpr: bool
    active: bool


@strawberry.type
class AdvanceDecisionView:
    advance_decision_id: UUID
    treatments_refused: str
    refuses_cpr: bool
    made_on: date
    formally_valid_for_cpr: bool
    withdrawn: bool


@strawberry.type
class TimelineEntry:
    version: int
    position: int
    event_id: UUID
    event_type: str
    label: str
    summary: str
    occurred_at: datetime
    recorded_at: datetime
    recorded_by_user: str
    recorded_by_role: str
    recorded_by_organisation: str
    corrects_event_id: UUID | None
    entered_in_error: bool


@strawberry.type
class TimelineEdge:
    cursor: str
    node: TimelineEntry


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class TimelineConnection:
    edges: list[TimelineEdge]
    page_info: PageInfo


@strawberry.type(
    description="One look at the record: who, in what role, from which organisation, why, and what they saw."
)
class AccessView:
    kind: str
    user_id: str
    role: str
    organisation: str
    operation: str
    purpose: str
    granted: bool
    version_shown: int | None
    refusal_reason: str
    via_break_glass: bool
    at: datetime
    expires_at: datetime | None
    access_id: UUID = strawberry.field(description="Ask accessShown with it (assurance) for what was shown")


def encode_cursor(version: int) -> str:
    return base64.urlsafe_b64encode(f"v:{version}".encode()).decode()


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        kind, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if kind != "v":
            raise ValueError
        return int(value)
    except (ValueError, UnicodeDecodeError):
        raise ValueError("that cursor is not one this API gave out") from None


def plan_view(plan_id: str, plan: dict[str, Any], today: date) -> PlanView:
    review_due = date.fromisoformat(plan["review_due"]) if plan.get("review_due") else None
    involvement = plan["involvement"]
    endorsed = plan.get("endorsed_by")
    return PlanView(
        plan_id=UUID(plan_id),
        status=plan["status"],
        form_type=plan["form_type"],
        form_name=plan["form_name"],
        cpr_code=plan["cpr_code"],
        cpr=plan["cpr"],
        reason_category=plan["reason_category"],
        reasoning=plan["reasoning"],
        what_matters=plan.get("what_matters", ""),
        involvement=InvolvementView(
            route=involvement["route"],
            person_involved=involvement["person_involved"],
            consulted=[PersonInvolved(name=p["name"], role=p["role"]) for p in involvement["consulted"]],
            reason_person_not_involved=involvement["reason_person_not_involved"],
            reason_no_one_consulted=involvement["reason_no_one_consulted"],
        ),
        responsible_clinician=ClinicianView(**plan["responsible_clinician"]),
        organisation=plan["organisation"],
        setting=plan["setting"],
        made_at=datetime.fromisoformat(plan["made_at"]),
        review_due=review_due,
        reason_no_review_date=plan.get("reason_no_review_date", ""),
        review_overdue=plan["status"] == "active" and review_due is not None and review_due < today,
        awaiting_senior_endorsement=plan["status"] == "active"
        and plan["needs_senior_endorsement"]
        and not endorsed,
        endorsed_by=ClinicianView(
            name=endorsed["name"], role=endorsed["role"], registration=endorsed["registration"]
        )
        if endorsed
        else None,
        communicated_to=[
            PersonInvolved(name=p["name"], role=p["role"]) for p in plan.get("communicated_to", [])
        ],
        other_recommendations=[
            TreatmentRecommendationView(**item) for item in plan.get("other_recommendations", [])
        ],
        reasoning_mentions_group_characteristics=plan.get("reasoning_mentions_group_characteristics", []),
    )


def representatives(row: PlanRow) -> list[RepresentativeView]:
    return [
        RepresentativeView(
            representative_id=UUID(key),
            kind=value["kind"],
            name=value["name"],
            relationship=value["relationship"],
            may_decide_about_cpr=bool(
                value["active"]
                and value["kind"] == "lpa-health-and-welfare"
                and value["lpa_registered"]
                and value["lpa_covers_life_sustaining_treatment"]
            ),
            active=value["active"],
        )
        for key, value in row.document.get("representatives", {}).items()
    ]


def advance_decisions(row: PlanRow) -> list[AdvanceDecisionView]:
    return [
        AdvanceDecisionView(
            advance_decision_id=UUID(key),
            treatments_refused=value["treatments_refused"],
            refuses_cpr=value["refuses_cpr"],
            made_on=date.fromisoformat(value["made_on"]),
            formally_valid_for_cpr=value["formally_valid_for_cpr"],
            withdrawn=value["withdrawn"],
        )
        for key, value in row.document.get("advance_decisions", {}).items()
    ]


@strawberry.type(description="The change was recorded.")
class RecordChanged:
    record_id: UUID
    version: int
    event_ids: list[UUID]
    replayed: bool = strawberry.field(description="True when this is the first answer to a retried request")


@strawberry.type(description="The record's rules refused the change; nothing was recorded.")
class Refused:
    rule: str
    field: str
    message: str


@strawberry.type(description="Someone else changed the record since you read it; reload and decide again.")
class VersionConflict:
    message: str
    current_version: int | None


@strawberry.type(description="You may not do this; nothing was recorded.")
class NotAllowedResult:
    message: str


@strawberry.type
class BreakGlassGranted:
    record_id: UUID
    expires_at: datetime


MutationResult = Annotated[
    RecordChanged | Refused | VersionConflict | NotAllowedResult, strawberry.union("MutationResult")
]
BreakGlassResult = Annotated[
    BreakGlassGranted | Refused | NotAllowedResult, strawberry.union("BreakGlassResult")
]
