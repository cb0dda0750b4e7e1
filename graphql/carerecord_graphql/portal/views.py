"""A person's record as the portal shows it: every coded value turned into plain words, and the review date
worked out against the day it is viewed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from carerecord_events.glossary import GLOSSARY, GlossaryEntry
from carerecord_events.record.facts import in_force
from carerecord_projections.current_plan.queries import PlanRow
from carerecord_projections.current_plan.view import (
    AdvanceDecisionView,
    PlanConflictView,
    PlanView,
    RepresentativeView,
    advance_decisions,
    plan_conflicts,
    plans_of,
    representatives,
)

REASONS = {
    "cpr-would-not-succeed": "CPR would not work: it would not restart the heart and breathing.",
    "not-in-best-interests": "The harms of CPR would outweigh any benefit for this person, so it is not in "
    "their best interests.",
    "persons-informed-refusal": "The person has been told what CPR involves and has decided not to have it.",
    "valid-advance-decision": "The person has a valid advance decision to refuse CPR.",
    "person-declines-or-valid-adrt": "The person does not want CPR, or has a valid advance decision to refuse it.",
    "cpr-recommended": "CPR is recommended.",
}

INVOLVEMENT_ROUTES = {
    "A": "The person has capacity to make this decision and was involved in making it.",
    "B": "The person lacks capacity for this decision. It was made in their best interests, with the people "
    "listed below.",
    "C": "The person is a child. The decision was made with them and those with parental responsibility.",
    "D": "The person was not involved in making this decision. The reason is recorded below.",
}

TREATMENT_DECISIONS = {
    "recommended": "recommended",
    "not-recommended": "not recommended",
    "not-wanted": "the person does not want this",
}

REPRESENTATIVE_KINDS = {
    "lpa-health-and-welfare": "attorney for health and welfare (lasting power of attorney)",
    "court-appointed-deputy": "deputy appointed by the Court of Protection",
    "imca": "independent mental capacity advocate (IMCA)",
    "family-or-friend": "family member or friend",
}

PLAN_STATUSES = {
    "active": "in force",
    "revoked": "revoked",
    "superseded": "replaced by a newer plan",
    "entered-in-error": "entered in error",
    "closed-after-death": "closed after the person died",
}

GLOSSARY_TERMS = ("CPR", "DNACPR", "ReSPECT", "ADRT", "LPA")


def long_date(value: date | datetime | str | None) -> str:
    """'1 March 2027' (the NHS style), or an empty string."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        value = value.date()
    return f"{value.day} {value:%B %Y}"


def nhs_number_display(value: str) -> str:
    return f"{value[:3]} {value[3:6]} {value[6:]}" if len(value) == 10 else value


@dataclass(frozen=True)
class PlanPage:
    view: PlanView
    status: str
    reason: str
    involvement_route: str
    other_treatments: list[tuple[str, str, str]]
    review: str

    @property
    def overdue(self) -> bool:
        return self.view.review_overdue


@dataclass(frozen=True)
class Caring:
    organisation: str
    setting: str
    since: str


@dataclass(frozen=True)
class PersonPage:
    record_id: str
    version: int
    name: str
    preferred_name: str
    nhs_number: str
    date_of_birth: str
    died: str
    communication_needs: list[str]
    what_matters: list[str]
    current_plans: list[PlanPage]
    earlier_plans: list[PlanPage]
    capacity: str
    representatives: list[tuple[RepresentativeView, str]]
    advance_decisions: list[AdvanceDecisionView]
    plan_conflicts: list[PlanConflictView]
    caring: list[Caring]
    glossary: list[GlossaryEntry]
    viewed_on: str


def person_page(row: PlanRow, today: date) -> PersonPage:
    document = row.document
    plans = [_plan_page(plan, today) for plan in plans_of(row, today)]
    plans.sort(key=lambda page: page.view.made_at, reverse=True)
    died = document.get("died")
    return PersonPage(
        record_id=str(row.record_id),
        version=row.version,
        name=f"{row.given_name} {row.family_name}",
        preferred_name=str(document.get("preferred_name") or ""),
        nhs_number=nhs_number_display(row.nhs_number),
        date_of_birth=long_date(row.date_of_birth),
        died=f"Died on {long_date(died['date'])}." if died else ("Has died." if row.died else ""),
        communication_needs=list(document.get("communication_needs", [])),
        what_matters=_what_matters(document, plans),
        current_plans=[page for page in plans if in_force(page.view.status)],
        earlier_plans=[page for page in plans if not in_force(page.view.status)],
        capacity=_capacity(document.get("capacity", {}).get("cpr")),
        representatives=[
            (each, REPRESENTATIVE_KINDS.get(each.kind, each.kind)) for each in representatives(row)
        ],
        advance_decisions=advance_decisions(row),
        plan_conflicts=plan_conflicts(document),
        caring=[
            Caring(organisation=ods, setting=value["setting_name"], since=long_date(value["since"]))
            for ods, value in document.get("caring", {}).items()
        ],
        glossary=[entry for entry in GLOSSARY if entry.term in GLOSSARY_TERMS],
        viewed_on=long_date(today),
    )


def _plan_page(view: PlanView, today: date) -> PlanPage:
    if view.review_due is None:
        review = "No review date was set" + (
            f": {view.reason_no_review_date}" if view.reason_no_review_date else "."
        )
    elif view.review_overdue:
        days = (today - view.review_due).days
        review = f"The review was due on {long_date(view.review_due)}: it is {days} {'day' if days == 1 else 'days'} overdue."
    else:
        review = f"Due for review by {long_date(view.review_due)}."
    return PlanPage(
        view=view,
        status=PLAN_STATUSES.get(view.status, view.status),
        reason=REASONS.get(view.reason_category, view.reason_category),
        involvement_route=INVOLVEMENT_ROUTES.get(view.involvement.route, ""),
        other_treatments=[
            (item.treatment, TREATMENT_DECISIONS.get(item.decision, item.decision), item.reason)
            for item in view.other_recommendations
        ],
        review=review,
    )


def _what_matters(document: dict[str, Any], plans: list[PlanPage]) -> list[str]:
    """What matters to the person, in their words, from the plans and conversations (newest first, once each)."""
    said = [page.view.what_matters for page in plans if in_force(page.view.status)]
    said += [each.get("what_matters", "") for each in reversed(document.get("conversations", []))]
    seen: list[str] = []
    for value in said:
        if value and value.strip() and value.strip() not in seen:
            seen.append(value.strip())
    return seen


def _capacity(assessed: dict[str, Any] | None) -> str:
    if assessed is None:
        return "No assessment of capacity for the CPR decision is recorded."
    when = long_date(assessed.get("assessed_at"))
    if assessed["has_capacity"]:
        return f"Has capacity to make the decision about CPR (assessed on {when})."
    return f"Lacks capacity to make the decision about CPR (assessed on {when}): {assessed.get('how_lacking') or ''}".rstrip(
        ": "
    )
