"""Conflicting plans, worked out once (facts.plan_conflicts) over the plans in force and the advance decisions."""

from __future__ import annotations

from datetime import date

from carerecord_events.record.facts import plan_conflicts
from carerecord_events.vocabulary import CprRecommendation, PlanConflict, ReasonCategory
from carerecord_projections.current_plan.document import document_of
from carerecord_services import commands as c
from tests.builders import GP, Scenario, recommendation, register

CPR = CprRecommendation.ATTEMPT_CPR
NO_CPR = CprRecommendation.DO_NOT_ATTEMPT_CPR


def test_one_plan_and_no_refusal_conflicts_with_nothing() -> None:
    assert plan_conflicts([NO_CPR], valid_advance_decision_refuses_cpr=False) == ()
    assert plan_conflicts([], valid_advance_decision_refuses_cpr=True) == ()


def test_two_plans_that_agree_are_still_more_than_one_in_force() -> None:
    assert plan_conflicts([NO_CPR, NO_CPR], False) == (PlanConflict.MORE_THAN_ONE_IN_FORCE,)


def test_plans_that_disagree_about_cpr_are_flagged() -> None:
    assert plan_conflicts([NO_CPR, CPR.value], False) == (
        PlanConflict.MORE_THAN_ONE_IN_FORCE,
        PlanConflict.CPR_RECOMMENDATIONS_DISAGREE,
    )


def test_a_valid_refusal_beside_a_plan_recommending_cpr_is_flagged_but_not_beside_dnacpr() -> None:
    assert plan_conflicts([CPR], True) == (PlanConflict.CPR_RECOMMENDED_DESPITE_ADVANCE_DECISION,)
    assert plan_conflicts([NO_CPR], True) == ()


def _adrt(**changes: object) -> c.RecordAdvanceDecision:
    terms: dict[str, object] = dict(
        actor=GP,
        treatments_refused="CPR",
        refuses_cpr=True,
        made_on=date(2024, 5, 1),
        written=True,
        signed=True,
        witnessed=True,
        states_applies_even_if_life_at_risk=True,
    )
    return c.RecordAdvanceDecision(**{**terms, **changes})  # type: ignore[arg-type]


_ATTEMPT_CPR = recommendation(
    cpr=CPR, reason_category=ReasonCategory.CPR_RECOMMENDED, reasoning="Wants CPR attempted."
)


def test_on_the_record_a_valid_refusal_after_a_cpr_plan_conflicts_until_it_is_withdrawn() -> None:
    scenario = Scenario().given(register()).given(_ATTEMPT_CPR).given(_adrt())
    assert scenario.record.plan_conflicts == (PlanConflict.CPR_RECOMMENDED_DESPITE_ADVANCE_DECISION,)
    assert [c["code"] for c in document_of(scenario.record)["plan_conflicts"]] == [
        "cpr-recommended-despite-advance-decision"
    ]
    (adrt_id,) = scenario.record.advance_decisions
    scenario.given(
        c.WithdrawAdvanceDecision(actor=GP, advance_decision_id=adrt_id, reason="changed her mind")
    )
    assert scenario.record.plan_conflicts == ()


def test_an_advance_decision_that_is_not_valid_for_cpr_does_not_conflict() -> None:
    scenario = Scenario().given(register()).given(_ATTEMPT_CPR).given(_adrt(witnessed=False))
    assert scenario.record.plan_conflicts == ()
