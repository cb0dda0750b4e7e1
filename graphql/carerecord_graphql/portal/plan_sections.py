"""The plan's detail below its decision, as a list of sections in plain words: the sections of a ReSPECT plan,
a treatment escalation plan's level, goals and limits, a DNACPR form's communication and team, and, for every
form, where the discussions are recorded and each review. Rendered by templates/plan_sections.html."""

from __future__ import annotations

from dataclasses import dataclass

from carerecord_graphql.portal.views import long_date
from carerecord_projections.current_plan.view import DnacprView, EscalationView, PlanView, RespectView

REVIEW_OUTCOMES = {
    "confirmed": "the plan still applies",
    "changed": "the plan was changed",
    "revoked": "revoked",
}


@dataclass(frozen=True)
class Row:
    label: str
    values: list[str]


@dataclass(frozen=True)
class Section:
    heading: str
    rows: list[Row]


def plan_sections(plan: PlanView) -> list[Section]:
    sections = [_about(plan)]
    if plan.respect is not None:
        sections += _respect(plan.respect)
    if plan.escalation is not None:
        sections.append(_escalation(plan.escalation))
    if plan.dnacpr is not None:
        sections.append(_dnacpr(plan, plan.dnacpr))
    if plan.local_form is not None:
        sections.append(
            Section(
                f"Also on the {plan.local_form.title}",
                _rows(*((each.label, each.value) for each in plan.local_form.kept)),
            )
        )
    sections.append(_discussions(plan))
    sections.append(_reviews(plan))
    return [section for section in sections if section.rows]


def _rows(*rows: tuple[str, list[str] | str]) -> list[Row]:
    """The rows that hold something (a value of "" or [] is left out)."""
    made = [Row(label, [values] if isinstance(values, str) else values) for label, values in rows]
    return [row for row in made if any(value.strip() for value in row.values)]


def _yes_no(value: bool | None, yes: str, no: str) -> str:
    return "" if value is None else (yes if value else no)


def _about(plan: PlanView) -> Section:
    return Section("About this form", _rows(("Version of the form", plan.form_version)))


def _respect(respect: RespectView) -> list[Section]:
    documents = [
        f"{each.kind_name[:1].upper()}{each.kind_name[1:]}"
        + (f" ({each.description})" if each.description else "")
        + f": kept {each.where_held}"
        for each in respect.other_documents
    ]
    capacity = _yes_no(
        respect.has_capacity_to_take_part,
        "Has capacity to take part in making this plan.",
        f"Lacks capacity to take part in making this plan: {respect.how_capacity_is_lacking}",
    )
    signatures = [
        f"{each.name}, {each.designation} ({each.role}, registration {each.registration}), signed "
        f"{long_date(each.signed_at)} at {each.signed_at:%H:%M}"
        + (": senior responsible clinician" if each.senior_responsible else "")
        for each in respect.signatures
    ]
    contacts = [
        f"{each.name} ({each.role}): {each.telephone}"
        + (f", {each.other_details}" if each.other_details else "")
        + (". Primary contact" if each.primary else "")
        for each in respect.emergency_contacts
    ]
    scale_set = respect.what_matters_scale is not None
    focus_set = respect.clinical_focus_scale is not None
    return [
        Section(
            "2. Shared understanding of their health and current condition",
            _rows(
                ("Summary", respect.health_summary),
                ("Other care planning documents", documents),
                (
                    "Legal welfare proxy",
                    _yes_no(respect.legal_welfare_proxy, "Yes (named in section 8)", "None"),
                ),
            ),
        ),
        Section(
            "3. What matters to them",
            _rows(
                ("Their place on the scale", respect.what_matters_scale_words if scale_set else ""),
                ("What they most value", respect.most_value),
                ("What they most fear or wish to avoid", respect.most_fear),
            ),
        ),
        Section(
            "4. Clinical recommendations",
            _rows(
                ("The clinician's place on the scale", respect.clinical_focus_words if focus_set else ""),
                ("CPR", "The CPR recommendation is for a child." if respect.cpr_for_a_child else ""),
            ),
        ),
        Section("5. Capacity for involvement in making this plan", _rows(("Capacity", capacity))),
        Section("7. Clinicians' signatures", _rows(("Signed by", signatures))),
        Section("8. Emergency contacts and those involved", _rows(("Contacts", contacts))),
    ]


def _escalation(escalation: EscalationView) -> Section:
    limits = [
        f"{each.treatment_name[:1].upper()}{each.treatment_name[1:]}"
        + (f": {each.detail}" if each.detail else "")
        for each in escalation.limits
    ]
    return Section(
        "Treatment escalation",
        _rows(
            ("Escalation", escalation.level_name[:1].upper() + escalation.level_name[1:]),
            ("Goals of treatment", escalation.goals_of_treatment),
            ("Not to be started", limits),
        ),
    )


def _dnacpr(plan: PlanView, dnacpr: DnacprView) -> Section:
    completed = plan.responsible_clinician
    if plan.endorsed_by is not None:
        endorsed = (
            f"{plan.endorsed_by.name}, {plan.endorsed_by.role} (registration {plan.endorsed_by.registration})"
        )
    else:
        endorsed = (
            "awaited" if plan.awaiting_senior_endorsement else "not needed: completed by a senior clinician"
        )
    return Section(
        "DNACPR form",
        _rows(
            ("Completed by", f"{completed.name}, {completed.role} (registration {completed.registration})"),
            ("Senior endorsement", endorsed),
            ("Communication with the person", dnacpr.communication_with_person),
            ("Communication with relatives, representatives or an IMCA", dnacpr.communication_with_relatives),
            (
                "Healthcare team members involved",
                [f"{each.name} ({each.role})" for each in dnacpr.team_members],
            ),
        ),
    )


def _discussions(plan: PlanView) -> Section:
    involvement = plan.involvement
    return Section(
        "Discussions",
        _rows(
            ("Discussed on", long_date(involvement.discussed_on)),
            ("Where the discussions are recorded", involvement.discussion_record_location),
        ),
    )


def _reviews(plan: PlanView) -> Section:
    reviews = [
        f"{long_date(each.at)}, by {each.by.name} ({each.by.role}): "
        f"{REVIEW_OUTCOMES.get(each.outcome, each.outcome)}"
        + (f". {each.notes}" if each.notes else "")
        + (f". Next review by {long_date(each.next_review_due)}" if each.next_review_due else "")
        for each in plan.reviews
    ]
    return Section("Reviews", _rows(("Reviewed", reviews)))
