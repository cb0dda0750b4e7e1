"""What follows from a record's state, each worked out in one place: whether a plan is in force, is overdue
for review, awaits senior endorsement; whether a representative may decide about CPR.

Each takes the plain values it depends on, so that the write side's state and the read side's documents ask
the same question of the same function."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from carerecord_events.plans import Involvement
from carerecord_events.vocabulary import CprRecommendation, PlanConflict, PlanStatus, RepresentativeKind


def in_force(status: PlanStatus | str) -> bool:
    return status == PlanStatus.ACTIVE


def review_overdue(status: PlanStatus | str, review_due: date | None, today: date) -> bool:
    """Only a plan in force can be overdue; worked out when asked, never stored."""
    return in_force(status) and review_due is not None and review_due < today


def endorsement_outstanding(needs_endorsement: bool, endorsed: bool) -> bool:
    """A junior's recommendation not (yet) endorsed by a senior, whether or not it is still in force."""
    return needs_endorsement and not endorsed


def awaiting_senior_endorsement(status: PlanStatus | str, needs_endorsement: bool, endorsed: bool) -> bool:
    return in_force(status) and endorsement_outstanding(needs_endorsement, endorsed)


def may_decide_about_cpr(
    kind: RepresentativeKind | str,
    active: bool,
    lpa_registered: bool | None,
    lpa_covers_life_sustaining_treatment: bool | None,
) -> bool:
    """A welfare attorney counts for CPR only if the LPA is registered and covers life-sustaining treatment."""
    return (
        active
        and kind == RepresentativeKind.LPA_HEALTH_AND_WELFARE
        and bool(lpa_registered)
        and bool(lpa_covers_life_sustaining_treatment)
    )


def nobody_consulted_though_lacking_capacity(lacked_capacity: bool, involvement: Involvement) -> bool:
    """Accepted before the rule read coded assessments ("cardiopulmonary resuscitation" was not "cpr"): not
    refused after the fact, but flagged, and counted by the oversight figure for it."""
    return lacked_capacity and not involvement.consulted and not involvement.reason_no_one_consulted.strip()


def plan_conflicts(
    cpr_in_force: Collection[CprRecommendation | str], valid_advance_decision_refuses_cpr: bool
) -> tuple[PlanConflict, ...]:
    """Why the plans in force (their CPR recommendations, one a plan) cannot all be followed as they stand:
    more than one in force, some recommending CPR and some not, or CPR recommended beside a valid advance
    decision refusing it (the refusal binds: Mental Capacity Act 2005, s. 26). Empty when nothing conflicts."""
    recommended = {CprRecommendation(cpr) for cpr in cpr_in_force}
    found = (
        (len(cpr_in_force) > 1, PlanConflict.MORE_THAN_ONE_IN_FORCE),
        (len(recommended) > 1, PlanConflict.CPR_RECOMMENDATIONS_DISAGREE),
        (
            valid_advance_decision_refuses_cpr and CprRecommendation.ATTEMPT_CPR in recommended,
            PlanConflict.CPR_RECOMMENDED_DESPITE_ADVANCE_DECISION,
        ),
    )
    return tuple(conflict for conflicted, conflict in found if conflicted)


def needs_accessible_information(
    learning_disability: bool | None, dementia: bool | None, communication_needs: Collection[str]
) -> bool:
    """Whether the record says the person has a learning disability, dementia or a communication need: people
    whom information must reach in a form they can use (Equality Act 2010 s. 20; the Accessible Information
    Standard). None (not recorded) is not a yes."""
    return bool(learning_disability) or bool(dementia) or any(need.strip() for need in communication_needs)


def age_on(born: date, on: date) -> int:
    """Age in whole years on a day."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
