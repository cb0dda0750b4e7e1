"""Conflicting plans, worked out once (facts.plan_conflicts) over the plans in force and the advance decisions."""

from __future__ import annotations

from carerecord_events.record.facts import plan_conflicts
from carerecord_events.vocabulary import CprRecommendation, PlanConflict

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
