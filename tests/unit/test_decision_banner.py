"""The plan page's banner, from the current plan document: one decision in its own words, its status, who decided
(the organisation by its register name) and the clinical focus; the hooks the document's later facts fill in."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any
from uuid import uuid4

from carerecord_events.plans import RespectSections
from carerecord_events.vocabulary import CprRecommendation, ReasonCategory
from carerecord_graphql.portal.views import PlanWarnings, person_page
from carerecord_projections.current_plan.document import document_of
from carerecord_projections.current_plan.queries import PlanRow
from tests.builders import NOW, Scenario, recommendation

TODAY = NOW.date()
NAMES = {"RXF": "Riverside General Hospital NHS Trust"}  # the builders' consultant works there


def _row(document: dict[str, Any]) -> PlanRow:
    return PlanRow(
        uuid4(), "9434765919", "Margaret", "Hale", date(1938, 4, 2), "NG1 1AA", False, 3, 3, document
    )


def _attempt() -> Any:
    return recommendation(
        cpr=CprRecommendation.ATTEMPT_CPR,
        reason_category=ReasonCategory.CPR_RECOMMENDED,
        reasoning="Wants CPR.",
    )


def test_a_dnacpr_decision_in_force_says_who_decided_with_the_organisations_name() -> None:
    scenario = Scenario().registered().given(recommendation())
    banner = person_page(_row(document_of(scenario.record)), TODAY, NAMES).banner
    assert (banner.kind, banner.words, banner.status) == ("dnacpr", "DO NOT ATTEMPT CPR", "in force")
    assert (
        banner.decided_by
        == "Dr Okafor, consultant, Riverside General Hospital NHS Trust (RXF), on 1 November 2026"
    )
    assert banner.form_note.startswith("Recorded on a ")


def test_no_plan_is_no_decision_recorded() -> None:
    banner = person_page(_row(document_of(Scenario().registered().record)), TODAY, NAMES).banner
    assert (banner.kind, banner.words) == ("none", "NO CPR DECISION RECORDED")


def test_plans_that_disagree_are_worked_out_unless_the_document_holds_the_conflict_fact() -> None:
    scenario = Scenario().registered().given(recommendation()).later(hours=1).given(_attempt())
    document = document_of(scenario.record)
    banner = person_page(_row(document), TODAY, NAMES).banner
    assert banner.status == "two plans disagree: see both"
    assert (banner.words, len(banner.other_plans)) == ("ATTEMPT CPR", 1), "the newest, and the other named"
    assert "says: DO NOT ATTEMPT CPR." in banner.other_plans[0]

    agreeing = document_of(
        Scenario().registered().given(recommendation()).later(hours=1).given(recommendation()).record
    )
    assert person_page(_row(agreeing), TODAY, NAMES).banner.status == "in force"
    assert [c["code"] for c in agreeing["plan_conflicts"]] == ["more-than-one-plan-in-force"]
    said = {"code": "cpr-recommendations-disagree", "description": "They disagree."}
    flagged = person_page(_row({**agreeing, "plan_conflicts": [said]}), TODAY, NAMES)
    assert flagged.banner.status == "two plans disagree: see both", "the document's own fact, when it has one"
    older = {key: value for key, value in document.items() if key != "plan_conflicts"}
    assert person_page(_row(older), TODAY, NAMES).banner.status == "two plans disagree: see both", (
        "a document made before conflicts were kept: worked out from its plans"
    )


def test_the_clinical_focus_is_shown_when_the_plan_records_one() -> None:
    focused = replace(_attempt(), respect=RespectSections(clinical_focus_scale=0))
    document = document_of(Scenario().registered().given(focused).record)
    focus = person_page(_row(document), TODAY, NAMES).banner.clinical_focus
    assert "prioritise extending life" in focus.casefold(), focus
    unrecorded = document_of(Scenario().registered().given(_attempt()).record)
    assert "not recorded" in person_page(_row(unrecorded), TODAY, NAMES).banner.clinical_focus


def test_a_plan_named_in_an_alert_and_an_open_concern_warn_in_the_banner_and_beside_the_plan() -> None:
    scenario = Scenario().registered().given(recommendation())
    document = document_of(scenario.record)
    (plan_id,) = document["plans"]
    warnings = PlanWarnings(
        concerns=[(plan_id, "1 December 2026")], alerts={plan_id: ["20 decisions alike."]}
    )
    page = person_page(_row(document), TODAY, NAMES, warnings)
    assert [w.title for w in page.banner.warnings] == [
        "This decision may be a blanket decision.",
        "A concern is open.",
    ]
    assert "20 decisions alike." in page.current_plans[0].warnings[0].text
