"""A plan as it prints, for the paper copy that stays with the person: in the layout of its national form (ReSPECT
version 3's nine sections in order; the model adult DNACPR form's seven boxes; a treatment escalation plan's
usual parts, as there is no national form), with when it was printed, the record's version, and that the record
may have changed since. The rows are those the portal's plan sections already word (plan_sections.py), placed
in the form's boxes; rendered by templates/print_form.html."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from carerecord_events.vocabulary import CprRecommendation, FormType
from carerecord_graphql.portal.plan_sections import Row, Section, plan_sections
from carerecord_graphql.portal.views import (
    BANNER_WORDS,
    INVOLVEMENT_ROUTES,
    NO_DECISION,
    PersonPage,
    PlanPage,
    clock_time,
    long_date,
)

NOT_RECORDED = "Not recorded on this plan."

RESPECT_HEADINGS = (
    "1. This plan belongs to",
    "2. Shared understanding of my health and current condition",
    "3. What matters to me in decisions about my treatment and care in an emergency",
    "4. Clinical recommendations for emergency care and treatment",
    "5. Capacity for involvement in making this plan",
    "6. Involvement in making this plan",
    "7. Clinicians' signatures",
    "8. Emergency contacts and those involved in discussing this plan",
    "9. Form reviewed (e.g. for change of care setting) and remains relevant",
)
DNACPR_HEADINGS = (
    "1. Does the patient have capacity to make and communicate decisions about CPR?",
    "2. Summary of the main clinical problems and reasons why CPR would be inappropriate, unsuccessful or not "
    "in the patient's best interests",
    "3. Summary of communication with the patient (or welfare attorney)",
    "4. Summary of communication with the patient's relatives or friends",
    "5. Names of members of the multidisciplinary team contributing to this decision",
    "6. Healthcare professional recording this DNACPR decision",
    "7. Review and endorsement by the most senior health professional",
)
TEP_HEADINGS = (
    "1. Goals of treatment",
    "2. Escalation of treatment",
    "3. Treatments not to be started",
    "4. Cardiopulmonary resuscitation (CPR)",
    "5. Capacity",
    "6. Discussion with the patient and those close to them",
    "7. Completed and endorsed by",
    "8. Review",
)
TITLES = {
    FormType.RESPECT.value: "ReSPECT: Recommended Summary Plan for Emergency Care and Treatment",
    FormType.DNACPR.value: "Adult Do Not Attempt Cardiopulmonary Resuscitation (DNACPR)",
    FormType.TREATMENT_ESCALATION_PLAN.value: "Treatment escalation plan",
}
STATEMENTS = {
    FormType.RESPECT.value: "This plan comes from a conversation between the person and their healthcare "
    "professionals. It records recommendations to guide immediate decisions in an emergency when the person "
    "cannot make or express choices. It is not legally binding.",
    FormType.TREATMENT_ESCALATION_PLAN.value: "This plan records how far treatment is to be escalated if the "
    "patient's condition gets worse. All other appropriate treatment and care will be provided.",
}
DNACPR_STATEMENT = (
    "In the event of cardiac or respiratory arrest no attempts at cardiopulmonary resuscitation (CPR) will be "
    "made. All other appropriate treatment and care will be provided."
)


@dataclass(frozen=True)
class PrintedForm:
    """One plan as its paper form: the boxes in the form's order, and what the paper must say about itself."""

    kind: str  # the form type: the layout
    title: str
    statement: str
    decision_words: str  # "DO NOT ATTEMPT CPR", "ATTEMPT CPR" or "NO CPR DECISION RECORDED"
    decision_icon: str
    decision_kind: str
    status: str  # "In force", "Revoked on ...": a plan no longer in force says so at the top
    in_force: bool
    person: list[Row]  # the person's details, in the form's header
    boxes: list[Section]
    printed_at: str
    printed_by: str
    version: int
    check_at: str  # where to check the record as it is now
    person_name: str
    nhs_number: str


def printed_form(
    person: PersonPage, plan: PlanPage, printed_at: datetime, printed_by: str, check_at: str
) -> PrintedForm:
    view = plan.view
    decision_kind, words, icon = BANNER_WORDS.get(view.cpr_code, NO_DECISION)
    in_force = plan in person.current_plans
    status = "In force" + (", review overdue" if plan.overdue else "")
    if not in_force:
        status = f"No longer in force: {plan.status}" + (f" on {plan.ended_on}" if plan.ended_on else "")
    boxes = {
        FormType.RESPECT.value: _respect,
        FormType.DNACPR.value: _dnacpr,
    }.get(view.form_type, _escalation)(person, plan)
    local = [s for s in plan_sections(view) if s.heading.startswith("Also on the ")]
    statement = STATEMENTS.get(view.form_type, "")
    if (
        view.form_type == FormType.DNACPR.value
        and view.cpr_code == CprRecommendation.DO_NOT_ATTEMPT_CPR.value
    ):
        statement = DNACPR_STATEMENT
    return PrintedForm(
        kind=view.form_type if view.form_type in TITLES else FormType.TREATMENT_ESCALATION_PLAN.value,
        title=TITLES.get(view.form_type, view.form_name),
        statement=statement,
        decision_words=words,
        decision_icon=icon,
        decision_kind=decision_kind,
        status=status,
        in_force=in_force,
        person=[] if view.form_type == FormType.RESPECT.value else _person(person, plan),
        boxes=[*boxes, *local],
        printed_at=clock_time(printed_at),
        printed_by=printed_by,
        version=person.version,
        check_at=check_at,
        person_name=person.name,
        nhs_number=person.nhs_number,
    )


def _person(person: PersonPage, plan: PlanPage) -> list[Row]:
    """The form's header (ReSPECT's section 1): who the plan belongs to, and when it was completed."""
    view = plan.view
    return _rows(
        ("Full name", person.name),
        ("Preferred name", person.preferred_name),
        ("Date of birth", person.date_of_birth),
        ("NHS number", person.nhs_number),
        ("Date completed", long_date(view.made_at)),
        ("Form", view.form_name + (f", version {view.form_version}" if view.form_version else "")),
    )


def _rows(*rows: tuple[str, list[str] | str]) -> list[Row]:
    made = [Row(label, [values] if isinstance(values, str) else values) for label, values in rows]
    return [row for row in made if any(value.strip() for value in row.values)]


def _box(heading: str, *rows: tuple[str, list[str] | str]) -> Section:
    """A box of the form: every box prints, an empty one saying so (as a blank box on paper would)."""
    return Section(heading, _rows(*rows) or [Row("", [NOT_RECORDED])])


def _sections(plan: PlanPage) -> dict[str, list[Row]]:
    """The portal's own wording of the plan's sections, by their number ("2") or name ("Reviews")."""
    found: dict[str, list[Row]] = {}
    for section in plan_sections(plan.view):
        key = section.heading.split(".")[0] if section.heading[:1].isdigit() else section.heading
        found[key] = section.rows
    return found


def _pairs(rows: list[Row]) -> list[tuple[str, list[str] | str]]:
    return [(row.label, row.values) for row in rows]


def _decision(plan: PlanPage) -> list[tuple[str, list[str] | str]]:
    return [
        ("CPR", plan.view.cpr_label),
        ("Why", plan.reason),
        ("The clinician's reasons", plan.view.reasoning),
    ]


def _other_treatments(plan: PlanPage) -> list[tuple[str, list[str] | str]]:
    return [
        (
            "Other treatments",
            [
                f"{treatment}: {decision}" + (f". {why}" if why else "")
                for treatment, decision, why in plan.other_treatments
            ],
        )
    ]


def _involvement(plan: PlanPage, sections: dict[str, list[Row]]) -> list[tuple[str, list[str] | str]]:
    involvement = plan.view.involvement
    route = INVOLVEMENT_ROUTES.get(involvement.route, "")
    return [
        ("Option", f"{involvement.route}. {route}" if route else involvement.route),
        ("The person took part", "Yes" if involvement.person_involved else "No"),
        ("Why the person was not involved", involvement.reason_person_not_involved),
        ("Those involved", [f"{each.name} ({each.role})" for each in involvement.consulted]),
        ("Why no one else was consulted", involvement.reason_no_one_consulted),
        *_pairs(sections.get("Discussions", [])),
    ]


def _clinician(plan: PlanPage) -> str:
    made = plan.view.responsible_clinician
    return (
        f"{made.name}, {made.role} (registration {made.registration}), {plan.organisation}, "
        f"on {long_date(plan.view.made_at)} at {plan.view.made_at:%H:%M}"
    )


def _endorsement(plan: PlanPage) -> str:
    view = plan.view
    if view.endorsed_by is not None:
        return (
            f"{view.endorsed_by.name}, {view.endorsed_by.role} (registration {view.endorsed_by.registration})"
        )
    return "Awaited" if view.awaiting_senior_endorsement else "Not needed: made by a senior clinician"


def _reviews(plan: PlanPage, sections: dict[str, list[Row]]) -> list[tuple[str, list[str] | str]]:
    return [*_pairs(sections.get("Reviews", [])), ("Next review", plan.review)]


def _respect(person: PersonPage, plan: PlanPage) -> list[Section]:
    sections = _sections(plan)
    one, *rest = RESPECT_HEADINGS
    return [
        _box(one, *_pairs(_person(person, plan))),
        _box(rest[0], *_pairs(sections.get("2", []))),
        _box(rest[1], *_pairs(sections.get("3", [])), ("In their words", plan.view.what_matters)),
        _box(rest[2], *_pairs(sections.get("4", [])), *_other_treatments(plan), *_decision(plan)),
        _box(rest[3], *_pairs(sections.get("5", [])), ("Capacity for the CPR decision", person.capacity)),
        _box(rest[4], *_involvement(plan, sections)),
        _box(
            rest[5],
            *_pairs(sections.get("7", [])),
            ("Responsible clinician", _clinician(plan)),
            ("Senior endorsement", _endorsement(plan)),
        ),
        _box(rest[6], *_pairs(sections.get("8", []))),
        _box(rest[7], *_reviews(plan, sections)),
    ]


def _dnacpr(person: PersonPage, plan: PlanPage) -> list[Section]:
    view = plan.view
    sections = _sections(plan)
    dnacpr = view.dnacpr
    attorneys = [
        f"{rep.name} ({rep.relationship}), {kind}"
        for rep, kind in person.representatives
        if rep.may_decide_about_cpr
    ]
    refusals = [
        f"Made on {long_date(each.made_on)}: refuses {each.treatments_refused}"
        for each in person.advance_decisions
        if each.refuses_cpr and each.formally_valid_for_cpr and not each.withdrawn
    ]
    return [
        _box(
            DNACPR_HEADINGS[0],
            ("Capacity", person.capacity),
            ("Advance decision refusing CPR", refusals or "None recorded"),
            ("Welfare attorney or deputy who may decide about CPR", attorneys or "None recorded"),
        ),
        _box(DNACPR_HEADINGS[1], *_decision(plan)),
        _box(
            DNACPR_HEADINGS[2],
            ("Communication", dnacpr.communication_with_person if dnacpr else ""),
            ("Why there was none", view.involvement.reason_person_not_involved),
        ),
        _box(
            DNACPR_HEADINGS[3],
            ("Communication", dnacpr.communication_with_relatives if dnacpr else ""),
            ("Consulted", [f"{each.name} ({each.role})" for each in view.involvement.consulted]),
            ("Why no one was consulted", view.involvement.reason_no_one_consulted),
        ),
        _box(
            DNACPR_HEADINGS[4],
            ("Team", [f"{m.name} ({m.role})" for m in dnacpr.team_members] if dnacpr else []),
        ),
        _box(DNACPR_HEADINGS[5], ("Recorded by", _clinician(plan))),
        _box(DNACPR_HEADINGS[6], ("Senior endorsement", _endorsement(plan)), *_reviews(plan, sections)),
    ]


def _escalation(person: PersonPage, plan: PlanPage) -> list[Section]:
    escalation = plan.view.escalation
    sections = _sections(plan)
    limits = next(
        (row.values for row in sections.get("Treatment escalation", []) if row.label == "Not to be started"),
        [],
    )
    return [
        _box(TEP_HEADINGS[0], ("Goals", escalation.goals_of_treatment if escalation else "")),
        _box(
            TEP_HEADINGS[1],
            (
                "Escalation",
                escalation.level_name[:1].upper() + escalation.level_name[1:] if escalation else "",
            ),
        ),
        _box(TEP_HEADINGS[2], ("Not to be started", limits), *_other_treatments(plan)),
        _box(TEP_HEADINGS[3], *_decision(plan)),
        _box(TEP_HEADINGS[4], ("Capacity", person.capacity)),
        _box(TEP_HEADINGS[5], *_involvement(plan, sections)),
        _box(TEP_HEADINGS[6], ("Completed by", _clinician(plan)), ("Senior endorsement", _endorsement(plan))),
        _box(TEP_HEADINGS[7], *_reviews(plan, sections)),
    ]
