"""A person's record as the portal shows it: every coded value turned into plain words, and the review date
worked out against the day it is viewed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from carerecord_events.glossary import GLOSSARY, GlossaryEntry
from carerecord_events.record.facts import in_force
from carerecord_events.vocabulary import CprRecommendation, FormType
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
    organisation: Organisation
    ended_on: str = ""
    warnings: list[Caution] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"plan-{self.view.plan_id}"

    @property
    def overdue(self) -> bool:
        return self.view.review_overdue


@dataclass(frozen=True)
class Organisation:
    """An organisation as a reader knows it: its name from the register, its ODS code as secondary text."""

    code: str
    name: str  # empty when the register does not hold the code

    def __str__(self) -> str:
        return f"{self.name} ({self.code})" if self.name else self.code


@dataclass(frozen=True)
class Caring:
    organisation: Organisation
    setting: str
    since: str


@dataclass(frozen=True)
class Caution:
    """Something a reader must know before acting on a plan, shown where the plan is."""

    title: str
    text: str


@dataclass(frozen=True)
class Banner:
    """The decision about CPR as a paramedic must read it at a glance: one of three kinds, each with its own
    words, icon and colour (never the colour alone), its status, who decided and the clinical focus."""

    kind: str  # "dnacpr", "attempt-cpr" or "none": the banner's style
    words: str  # "DO NOT ATTEMPT CPR", "ATTEMPT CPR" or "NO CPR DECISION RECORDED"
    icon: str
    status: str  # "in force", "in force, review overdue", "revoked on ...", "two plans disagree: see both"
    status_detail: str = ""
    decided_by: str = ""
    clinical_focus: str = ""
    form_note: str = ""  # the form's name: small print about the plan, never the heading
    plan_anchor: str = ""
    other_plans: list[str] = field(default_factory=list)
    warnings: list[Caution] = field(default_factory=list)


BANNER_WORDS = {
    CprRecommendation.DO_NOT_ATTEMPT_CPR.value: ("dnacpr", "DO NOT ATTEMPT CPR", "\u2715"),  # ✕
    CprRecommendation.ATTEMPT_CPR.value: ("attempt-cpr", "ATTEMPT CPR", "\u2665"),  # ♥
}
NO_DECISION = ("none", "NO CPR DECISION RECORDED", "?")
LONDON_NAME = "Europe/London"


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
    banner: Banner
    record_warnings: list[Caution]
    break_glass_until: str = ""  # when the reader's emergency access ends, if that is how they read it


@dataclass(frozen=True)
class PlanWarnings:
    """What the page must warn about, gathered by the caller: open concerns (plan id, or None for the record as a
    whole, with when they were raised) and the blanket-decision alerts naming a plan (their explanations)."""

    concerns: list[tuple[str | None, str]] = field(default_factory=list)
    alerts: dict[str, list[str]] = field(default_factory=dict)


def person_page(
    row: PlanRow,
    today: date,
    names: Mapping[str, str] | None = None,
    warnings: PlanWarnings | None = None,
    break_glass_until: datetime | None = None,
) -> PersonPage:
    document = row.document
    names = names or {}
    warnings = warnings or PlanWarnings()
    plans = [
        _plan_page(plan, today, document["plans"][str(plan.plan_id)], names, warnings)
        for plan in plans_of(row, today)
    ]
    plans.sort(key=lambda page: page.view.made_at, reverse=True)
    current = [page for page in plans if in_force(page.view.status)]
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
        current_plans=current,
        earlier_plans=[page for page in plans if not in_force(page.view.status)],
        capacity=_capacity(document.get("capacity", {}).get("cpr")),
        representatives=[
            (each, REPRESENTATIVE_KINDS.get(each.kind, each.kind)) for each in representatives(row)
        ],
        advance_decisions=advance_decisions(row),
        plan_conflicts=plan_conflicts(document),
        caring=[
            Caring(
                organisation=organisation(ods, names),
                setting=value["setting_name"],
                since=long_date(value["since"]),
            )
            for ods, value in document.get("caring", {}).items()
        ],
        glossary=[entry for entry in GLOSSARY if entry.term in GLOSSARY_TERMS],
        viewed_on=long_date(today),
        banner=banner(current, plans, document),
        record_warnings=[
            _concern_warning(raised) for plan_id, raised in warnings.concerns if plan_id is None
        ],
        break_glass_until=clock_time(break_glass_until) if break_glass_until else "",
    )


def organisation(code: str, names: Mapping[str, str]) -> Organisation:
    return Organisation(code, names.get(code, ""))


def clock_time(value: datetime) -> str:
    """'03:12 on 2 December 2026' in UK time (UTC where the time zone database is missing)."""
    try:
        value = value.astimezone(ZoneInfo(LONDON_NAME))
    except ZoneInfoNotFoundError:
        value = value.astimezone(ZoneInfo("UTC")) if value.tzinfo else value
    return f"{value:%H:%M} on {long_date(value)}"


def banner(current: list[PlanPage], plans: list[PlanPage], document: dict[str, Any]) -> Banner:
    """The one banner at the top of the page: the plan in force (the newest, when more than one is), what it
    says and its status; with none in force, that there is none, and what became of the last one."""
    if not current:
        last = plans[0] if plans else None
        kind, words, icon = NO_DECISION
        if last is None:
            return Banner(kind, words, icon, status="no plan is recorded for this person")
        return Banner(
            kind,
            words,
            icon,
            status=f"{last.status} on {last.ended_on}" if last.ended_on else last.status,
            status_detail=f"The last plan, made on {long_date(last.view.made_at)}, said: "
            f"{BANNER_WORDS.get(last.view.cpr_code, NO_DECISION)[1].lower()}. It is no longer in force.",
            plan_anchor=last.anchor,
        )
    shown = current[0]
    kind, words, icon = BANNER_WORDS.get(shown.view.cpr_code, NO_DECISION)
    others = current[1:]
    # the current plan's conflicts (facts.plan_conflicts); a document made before they were kept: worked out here
    if "plan_conflicts" in document:
        codes = {conflict["code"] for conflict in document["plan_conflicts"]}
    else:
        codes = (
            {"cpr-recommendations-disagree"}
            if any(o.view.cpr_code != shown.view.cpr_code for o in others)
            else set()
        )
    disagree = bool(codes & {"cpr-recommendations-disagree", "cpr-recommended-despite-advance-decision"})
    if "cpr-recommendations-disagree" in codes:
        status = "two plans disagree: see both"
    elif "cpr-recommended-despite-advance-decision" in codes:
        status = "an advance decision refuses CPR: see it below"
    elif shown.overdue:
        status = "in force, review overdue"
    else:
        status = "in force"
    clinician = shown.view.responsible_clinician
    return Banner(
        kind,
        words,
        icon,
        status=status,
        status_detail=shown.review if shown.overdue and not disagree else "",
        decided_by=f"{clinician.name}, {clinician.role}, {shown.organisation}, "
        f"on {long_date(shown.view.made_at)}",
        clinical_focus=_clinical_focus(shown),
        form_note=f"Recorded on a {shown.view.form_name}, made on {long_date(shown.view.made_at)}.",
        plan_anchor=shown.anchor,
        other_plans=[
            f"Another plan in force, made on {long_date(other.view.made_at)} by "
            f"{other.view.responsible_clinician.name}, {other.organisation}, says: "
            f"{BANNER_WORDS.get(other.view.cpr_code, NO_DECISION)[1]}."
            for other in others
        ],
        warnings=[warning for page in current for warning in page.warnings],
    )


def _clinical_focus(shown: PlanPage) -> str:
    """ReSPECT section 4's focus (the clinician's place on the scale), when the plan records one."""
    respect = shown.view.respect
    if respect is not None and respect.clinical_focus_scale is not None:
        return respect.clinical_focus_words
    if shown.view.form_type == FormType.DNACPR.value:
        return ""
    return "not recorded on this plan (ReSPECT section 4)."


def _concern_warning(raised: str) -> Caution:
    return Caution(
        "A concern is open.",
        f"Someone raised a concern on {raised} and it has not yet been resolved. Read the plan with care "
        "and check it with the team that made it.",
    )


def _plan_page(
    view: PlanView,
    today: date,
    plan: dict[str, Any],
    names: Mapping[str, str],
    warnings: PlanWarnings,
) -> PlanPage:
    if view.review_due is None:
        review = "No review date was set" + (
            f": {view.reason_no_review_date}" if view.reason_no_review_date else "."
        )
    elif view.review_overdue:
        days = (today - view.review_due).days
        review = f"The review was due on {long_date(view.review_due)}: it is {days} {'day' if days == 1 else 'days'} overdue."
    else:
        review = f"Due for review by {long_date(view.review_due)}."
    plan_id = str(view.plan_id)
    found = [
        Caution(
            "This decision may be a blanket decision.",
            f"Oversight flagged it with others: {explanation} Check that it was made for this person alone.",
        )
        for explanation in warnings.alerts.get(plan_id, [])
    ]
    found += [_concern_warning(raised) for about, raised in warnings.concerns if about == plan_id]
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
        organisation=organisation(view.organisation, names),
        ended_on=long_date(plan.get("ended_at")),
        warnings=found,
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
