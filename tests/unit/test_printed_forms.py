"""A plan as its paper form, from the current plan document: the national form's boxes in order, every box
printed (an empty one saying so), a plan no longer in force saying so at the top, and what the paper must say
about itself (when printed, by whom, the record's version and where to check it)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any
from uuid import uuid4

from carerecord_events.plans import RespectSections
from carerecord_events.vocabulary import FormType, RevocationInitiator
from carerecord_graphql.portal.print_forms import (
    DNACPR_HEADINGS,
    DNACPR_STATEMENT,
    NOT_RECORDED,
    RESPECT_HEADINGS,
    printed_form,
)
from carerecord_graphql.portal.printing import css_string, stylesheet_for
from carerecord_graphql.portal.views import PersonPage, person_page
from carerecord_projections.current_plan.document import document_of
from carerecord_projections.current_plan.queries import PlanRow
from carerecord_services import commands as c
from tests.builders import CONSULTANT, NOW, Scenario, recommendation
from tests.form_builders import dnacpr_form

PRINTED = datetime.fromisoformat("2026-12-02T14:05:00+00:00")
CHECK_AT = "https://record.example/portal/people/x"


def _page(scenario: Scenario) -> PersonPage:
    document: dict[str, Any] = document_of(scenario.record)
    row = PlanRow(
        uuid4(), "9434765919", "Margaret", "Hale", date(1938, 4, 2), "NG1 1AA", False, 7, 7, document
    )
    return person_page(row, NOW.date(), {"RXF": "Riverside General Hospital NHS Trust"})


def test_a_respect_plan_prints_all_nine_sections_in_order_even_those_left_empty() -> None:
    made = recommendation(respect=RespectSections(most_value="her garden"))
    page = _page(Scenario().registered().given(made))
    form = printed_form(page, page.current_plans[0], PRINTED, "Dr Grey, general practitioner", CHECK_AT)
    assert [box.heading for box in form.boxes] == list(RESPECT_HEADINGS)
    assert form.person == [], "ReSPECT's section 1 is the person's details"
    assert ("NHS number", ["943 476 5919"]) in [(r.label, r.values) for r in form.boxes[0].rows]
    assert form.boxes[7].rows[0].values == [NOT_RECORDED], "no emergency contacts: the box says so"
    assert "her garden" in [value for row in form.boxes[2].rows for value in row.values]
    assert (form.printed_at, form.version, form.check_at) == ("14:05 on 2 December 2026", 7, CHECK_AT)
    assert (form.decision_words, form.status, form.in_force) == ("DO NOT ATTEMPT CPR", "In force", True)


def test_a_revoked_plan_prints_saying_it_is_no_longer_in_force() -> None:
    scenario = Scenario().registered().given(recommendation())
    plan_id = scenario.plan_id()
    scenario.given(
        c.RevokePlan(
            actor=CONSULTANT,
            plan_id=plan_id,
            reason="Reviewed.",
            initiated=RevocationInitiator.PERSON_REQUEST,
        )
    )
    page = _page(scenario)
    form = printed_form(page, page.earlier_plans[0], PRINTED, "Dr Grey", CHECK_AT)
    assert not form.in_force and form.status.startswith("No longer in force: revoked on "), form.status


def test_a_dnacpr_form_prints_the_national_adult_forms_boxes_and_its_statement() -> None:
    made = recommendation(
        form_type=FormType.DNACPR,
        dnacpr=dnacpr_form(communication_with_person="Discussed at home; she agreed."),
    )
    page = _page(Scenario().registered().given(made))
    form = printed_form(page, page.current_plans[0], PRINTED, "Dr Grey", CHECK_AT)
    assert [box.heading for box in form.boxes] == list(DNACPR_HEADINGS)
    assert form.statement == DNACPR_STATEMENT
    assert [row.label for row in form.person][:4] == [
        "Full name",
        "Date of birth",
        "NHS number",
        "Date completed",
    ]
    assert form.boxes[2].rows[0].values == ["Discussed at home; she agreed."]
    assert form.boxes[4].rows[0].values == ["Sister Brown (ward sister)"]


def test_a_name_at_the_head_of_each_printed_page_cannot_end_the_stylesheet() -> None:
    page = _page(Scenario().registered().given(recommendation()))
    form = printed_form(page, page.current_plans[0], PRINTED, "Dr Grey", CHECK_AT)
    hostile = replace(form, person_name='Ann "O</style><script>x</script>')
    css = stylesheet_for(hostile)
    assert "</style" not in css and '"O' not in css
    assert css_string('O"<') == "O\\000022 \\00003c "
    assert 'content: "Margaret Hale\\00002c  NHS number 943 476 5919"' in stylesheet_for(form)
