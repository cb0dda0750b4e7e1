"""The mapping in is the view's mapping reversed: every field the view writes is read back, one reader per
field, and what cannot be read is named by its element."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from carerecord_events.roles import Role
from carerecord_events.vocabulary import (
    CprRecommendation,
    FormType,
    InvolvementRoute,
    ReasonCategory,
    Setting,
    TreatmentDecision,
)
from carerecord_projections.fhir_in import PLAN_FIELDS, BundleRefused, read_bundle
from tests.fhir_bundles import bundle_for

NHS_NUMBER = "9434765919"


def entry(bundle: dict[str, Any], kind: str) -> tuple[int, dict[str, Any]]:
    return next(
        (i, e["resource"]) for i, e in enumerate(bundle["entry"]) if e["resource"]["resourceType"] == kind
    )


def test_a_respect_plan_from_the_view_is_read_back_field_by_field() -> None:
    inbound = read_bundle(bundle_for(NHS_NUMBER, reason_no_review_date=""))
    assert inbound.person.nhs_number == NHS_NUMBER and inbound.person.family_name == "Matrix"
    [plan] = inbound.plans
    content = plan.content
    assert content.form_type is FormType.RESPECT
    assert content.cpr is CprRecommendation.DO_NOT_ATTEMPT_CPR
    assert content.reason_category is ReasonCategory.WOULD_NOT_SUCCEED
    assert content.involvement.route is InvolvementRoute.A_PERSON_WITH_CAPACITY
    assert [(p.name, p.role) for p in content.involvement.consulted] == [("Ann Hale", "daughter")]
    assert content.setting is Setting.GP_PRACTICE
    assert content.what_matters == "being at home with her cat"
    assert [(t.treatment, t.decision, t.reason) for t in content.other_recommendations] == [
        ("hospital admission", TreatmentDecision.NOT_WANTED, "wants to stay at home"),
        ("antibiotics by mouth", TreatmentDecision.RECOMMENDED, ""),
    ]
    assert str(content.review_due) == "2027-03-01"
    assert plan.responsible_clinician.role is Role.GP and plan.responsible_clinician.registration == "2345678"
    assert plan.made_at is not None and plan.made_at.isoformat() == "2026-10-01T09:30:00.123456+00:00"
    assert plan.organisation == "K81003"
    assert set(PLAN_FIELDS) <= set(plan.elements), "every field read names the element it came from"


@pytest.mark.parametrize(
    ("form", "cpr", "reason"),
    [
        ("tep", "450475007", "cpr-recommended"),
        ("dnacpr", "450476008", "not-in-best-interests"),
    ],
)
def test_a_treatment_escalation_plan_and_a_dnacpr_form_keep_their_form_and_cpr_decision(
    form: str, cpr: str, reason: str
) -> None:
    names = {
        "tep": "treatment escalation plan",
        "dnacpr": "DNACPR form (do not attempt cardiopulmonary resuscitation)",
    }
    [plan] = read_bundle(
        bundle_for(NHS_NUMBER, form_type=form, form_name=names[form], cpr_code=cpr, reason_category=reason)
    ).plans
    assert plan.content.form_type is FormType(form)
    assert plan.content.cpr is CprRecommendation(cpr)
    assert plan.content.reason_category is ReasonCategory(reason)


def test_what_cannot_be_read_is_refused_naming_every_element_and_never_the_values() -> None:
    bundle = bundle_for(NHS_NUMBER)
    index, care_plan = entry(bundle, "CarePlan")
    care_plan["author"]["display"] = "Dr Grey"
    del bundle["identifier"]
    with pytest.raises(BundleRefused) as refused:
        read_bundle(bundle)
    expressions = {issue.expression for issue in refused.value.issues}
    assert expressions == {"Bundle.identifier", f"Bundle.entry[{index}].resource.author.display"}
    assert "Dr Grey" not in str(refused.value)


def test_an_ended_plan_and_an_advance_decision_are_named_as_not_taken_in() -> None:
    bundle = bundle_for(NHS_NUMBER)
    ended = copy.deepcopy(bundle)
    _, care_plan = entry(ended, "CarePlan")
    care_plan["status"] = "revoked"
    inbound = read_bundle(ended)
    assert inbound.plans == ()
    assert [issue.rule for issue in inbound.not_taken_in] == ["plan-not-in-force"]


def test_a_flag_without_its_care_plan_is_not_a_decision() -> None:
    bundle = bundle_for(NHS_NUMBER)
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] != "CarePlan"]
    with pytest.raises(BundleRefused) as refused:
        read_bundle(bundle)
    assert [issue.rule for issue in refused.value.issues] == ["cpr-status-without-plan"]


def test_the_plans_setting_is_read_from_the_plan_details_and_else_from_the_organisation_that_made_it() -> (
    None
):
    bundle = bundle_for(NHS_NUMBER)
    _, care_plan = entry(bundle, "CarePlan")
    [details] = care_plan["extension"]
    [setting] = [part for part in details["extension"] if part["url"] == "setting"]
    setting["valueCode"] = "hospital"
    assert read_bundle(bundle).plans[0].content.setting is Setting.HOSPITAL
    details["extension"].remove(setting)
    [plan] = read_bundle(bundle).plans
    assert plan.content.setting is Setting.GP_PRACTICE, (
        "the Organization's type, as a system without it sends"
    )
    assert plan.elements["setting"].endswith(".type[0].text")
