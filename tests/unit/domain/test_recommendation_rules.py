"""Given events, when a recommendation is made, then events or a named refusal."""

from datetime import date, timedelta
from uuid import uuid4

import pytest

from carerecord_events.base import Clinician, Participant
from carerecord_events.plans import PlanSuperseded, RecommendationMade
from carerecord_events.roles import Role
from carerecord_events.vocabulary import CprRecommendation, InvolvementRoute, PlanStatus, ReasonCategory
from carerecord_services import commands as c
from carerecord_services.errors import (
    ConflictsWithAdvanceDecision,
    ConsultationMissing,
    InvalidIdentifier,
    InvalidInput,
    InvolvementMissing,
    NotPermitted,
    PlanNotActive,
    RecommendationRefused,
    RecordClosed,
    TimeInFuture,
)
from tests.builders import (
    CARE_HOME_STAFF,
    CONSULTANT,
    GP,
    NOW,
    PARAMEDIC,
    REGISTRAR,
    Scenario,
    attorney,
    involved,
    lacks_capacity,
    recommendation,
)


def test_a_personal_recommendation_with_the_person_involved_is_accepted() -> None:
    events = Scenario().registered().when(recommendation())
    assert [type(event) for event in events] == [RecommendationMade]
    made = events[0]
    assert isinstance(made, RecommendationMade)
    assert made.cpr is CprRecommendation.DO_NOT_ATTEMPT_CPR
    assert made.cpr.value == "450476008"
    assert made.organisation == CONSULTANT.organisation
    assert made.needs_senior_endorsement is False  # a consultant is a senior responsible clinician
    assert made.reasoning_mentions_group_characteristics == ()


def test_a_recommendation_without_a_responsible_clinician_is_refused() -> None:
    with pytest.raises(RecommendationRefused) as refused:
        Scenario().registered().when(recommendation(responsible_clinician=None))
    assert refused.value.field == "responsible_clinician"


def test_a_responsible_clinician_with_a_malformed_registration_is_refused() -> None:
    wrong = Clinician(name="Dr Okafor", role=Role.CONSULTANT, registration="12AB")
    with pytest.raises(InvalidIdentifier) as refused:
        Scenario().registered().when(recommendation(responsible_clinician=wrong))
    assert refused.value.field == "responsible_clinician.registration"


def test_a_recommendation_without_reasoning_is_refused() -> None:
    with pytest.raises(RecommendationRefused) as refused:
        Scenario().registered().when(recommendation(reasoning="   "))
    assert refused.value.field == "reasoning"


def test_a_dnacpr_recommendation_resting_on_a_group_characteristic_is_refused() -> None:
    with pytest.raises(RecommendationRefused) as refused:
        Scenario().registered().when(
            recommendation(reasoning="Frail elderly care home resident with dementia.")
        )
    assert refused.value.rule == "reasoning-rests-on-group-characteristic"
    assert "dementia" in refused.value.message


def test_group_terms_among_personal_content_are_accepted_and_flagged_for_oversight() -> None:
    reasoning = (
        "Advanced dementia; three aspiration pneumonias since June, now unable to swallow safely, weight "
        "down 9 kg, pressure ulcers on both heels."
    )
    made = Scenario().registered().when(recommendation(reasoning=reasoning))[0]
    assert isinstance(made, RecommendationMade)
    assert made.reasoning_mentions_group_characteristics == ("dementia",)


def test_reason_category_must_match_the_cpr_recommendation() -> None:
    with pytest.raises(RecommendationRefused) as refused:
        Scenario().registered().when(recommendation(reason_category=ReasonCategory.CPR_RECOMMENDED))
    assert refused.value.field == "reason_category"


def test_no_involvement_and_no_reason_is_refused_tracey() -> None:
    involvement = involved(
        route=InvolvementRoute.D_NOT_INVOLVED_WITH_REASON, person_involved=False, consulted=()
    )
    with pytest.raises(InvolvementMissing) as refused:
        Scenario().registered().when(recommendation(involvement=involvement))
    assert refused.value.field == "involvement.reason_person_not_involved"


def test_distress_alone_is_not_a_reason_to_leave_the_person_out() -> None:
    involvement = involved(
        route=InvolvementRoute.D_NOT_INVOLVED_WITH_REASON,
        person_involved=False,
        reason_person_not_involved="Discussing CPR would be distressing for her.",
    )
    with pytest.raises(InvolvementMissing) as refused:
        Scenario().registered().when(recommendation(involvement=involvement))
    assert refused.value.rule == "distress-is-not-a-reason"


def test_harm_without_an_explanation_is_refused() -> None:
    involvement = involved(
        route=InvolvementRoute.D_NOT_INVOLVED_WITH_REASON,
        person_involved=False,
        reason_person_not_involved="Would cause harm.",
    )
    with pytest.raises(InvolvementMissing) as refused:
        Scenario().registered().when(recommendation(involvement=involvement))
    assert refused.value.rule == "harm-needs-explanation"


def test_explained_psychological_harm_is_a_lawful_reason() -> None:
    involvement = involved(
        route=InvolvementRoute.D_NOT_INVOLVED_WITH_REASON,
        person_involved=False,
        reason_person_not_involved=(
            "Psychological harm: during the last discussion of dying she became acutely paranoid and pulled out "
            "her cannula; the liaison psychiatrist advises waiting until the delirium has settled."
        ),
    )
    made = Scenario().registered().when(recommendation(involvement=involvement))[0]
    assert isinstance(made, RecommendationMade)


def test_lacking_capacity_with_no_one_consulted_and_no_reason_is_refused_winspear() -> None:
    involvement = involved(
        route=InvolvementRoute.B_PERSON_LACKS_CAPACITY,
        person_involved=False,
        consulted=(),
        reason_person_not_involved="Lacks capacity: unable to retain information about CPR at all.",
    )
    with pytest.raises(ConsultationMissing) as refused:
        Scenario().registered().given(lacks_capacity()).when(recommendation(involvement=involvement))
    assert refused.value.field == "involvement.consulted"


def test_lacking_capacity_with_a_recorded_reason_for_consulting_no_one_is_accepted() -> None:
    involvement = involved(
        route=InvolvementRoute.B_PERSON_LACKS_CAPACITY,
        person_involved=False,
        consulted=(),
        reason_person_not_involved="Lacks capacity: unable to retain information about CPR at all.",
        reason_no_one_consulted="No family or friends; IMCA service contacted, urgent decision before IMCA available.",
    )
    events = Scenario().registered().given(lacks_capacity()).when(recommendation(involvement=involvement))
    assert isinstance(events[0], RecommendationMade)


def test_a_registered_attorney_for_life_sustaining_treatment_must_be_consulted() -> None:
    scenario = Scenario().registered().given(lacks_capacity(), attorney())
    family_only = involved(
        route=InvolvementRoute.B_PERSON_LACKS_CAPACITY,
        person_involved=False,
        reason_person_not_involved="Lacks capacity for this decision (assessment recorded today).",
        consulted=(Participant(name="Tom Hale", role="son"),),
    )
    with pytest.raises(ConsultationMissing) as refused:
        scenario.when(recommendation(involvement=family_only))
    assert refused.value.rule == "attorney-must-be-consulted"


def test_the_attorney_consulted_satisfies_the_rule() -> None:
    scenario = Scenario().registered().given(lacks_capacity(), attorney())
    attorney_id = next(iter(scenario.record.representatives))
    with_attorney = involved(
        route=InvolvementRoute.B_PERSON_LACKS_CAPACITY,
        person_involved=False,
        reason_person_not_involved="Lacks capacity for this decision (assessment recorded today).",
        consulted=(Participant(name="Ann Hale", role="attorney", representative_id=attorney_id),),
    )
    made = scenario.when(recommendation(involvement=with_attorney))[0]
    assert isinstance(made, RecommendationMade)
    assert made.involvement.consulted[0].representative_id == attorney_id


def test_an_unregistered_lpa_does_not_make_an_attorney_for_cpr() -> None:
    scenario = Scenario().registered().given(lacks_capacity(), attorney(lpa_registered=False))
    family_only = involved(
        route=InvolvementRoute.B_PERSON_LACKS_CAPACITY,
        person_involved=False,
        reason_person_not_involved="Lacks capacity for this decision (assessment recorded today).",
        consulted=(Participant(name="Tom Hale", role="son"),),
    )
    assert isinstance(scenario.when(recommendation(involvement=family_only))[0], RecommendationMade)


def test_recommending_cpr_against_a_valid_adrt_refusing_it_is_refused_naming_the_adrt() -> None:
    adrt = c.RecordAdvanceDecision(
        actor=GP,
        treatments_refused="CPR",
        refuses_cpr=True,
        made_on=date(2024, 5, 1),
        written=True,
        signed=True,
        witnessed=True,
        states_applies_even_if_life_at_risk=True,
    )
    scenario = Scenario().registered().given(adrt)
    adrt_id = next(iter(scenario.record.advance_decisions))
    attempt = recommendation(
        cpr=CprRecommendation.ATTEMPT_CPR,
        reason_category=ReasonCategory.CPR_RECOMMENDED,
        reasoning="Fit and well; wants everything done.",
    )
    with pytest.raises(ConflictsWithAdvanceDecision) as refused:
        scenario.when(attempt)
    assert str(adrt_id) in refused.value.message
    assert "2024-05-01" in refused.value.message


@pytest.mark.parametrize("missing", ["written", "signed", "witnessed", "states_applies_even_if_life_at_risk"])
def test_an_adrt_without_its_formalities_is_recorded_but_not_valid_for_cpr(missing: str) -> None:
    fields = dict(written=True, signed=True, witnessed=True, states_applies_even_if_life_at_risk=True)
    fields[missing] = False
    adrt = c.RecordAdvanceDecision(
        actor=GP, treatments_refused="CPR", refuses_cpr=True, made_on=date(2024, 5, 1), **fields
    )
    scenario = Scenario().registered().given(adrt)
    assert scenario.record.valid_cpr_refusal() is None
    attempt = recommendation(
        cpr=CprRecommendation.ATTEMPT_CPR,
        reason_category=ReasonCategory.CPR_RECOMMENDED,
        reasoning="Wants CPR attempted.",
    )
    assert isinstance(scenario.when(attempt)[0], RecommendationMade)


def test_a_withdrawn_adrt_no_longer_refuses_cpr() -> None:
    adrt = c.RecordAdvanceDecision(
        actor=GP,
        treatments_refused="CPR",
        refuses_cpr=True,
        made_on=date(2024, 5, 1),
        written=True,
        signed=True,
        witnessed=True,
        states_applies_even_if_life_at_risk=True,
    )
    scenario = Scenario().registered().given(adrt)
    adrt_id = next(iter(scenario.record.advance_decisions))
    scenario.given(
        c.WithdrawAdvanceDecision(
            actor=GP, advance_decision_id=adrt_id, reason="told her GP she changed her mind"
        )
    )
    assert scenario.record.valid_cpr_refusal() is None


def test_a_later_lpa_covering_life_sustaining_treatment_overrides_an_adrt() -> None:
    adrt = c.RecordAdvanceDecision(
        actor=GP,
        treatments_refused="CPR",
        refuses_cpr=True,
        made_on=date(2020, 5, 1),
        written=True,
        signed=True,
        witnessed=True,
        states_applies_even_if_life_at_risk=True,
    )
    scenario = Scenario().registered().given(adrt, attorney())
    assert scenario.record.valid_cpr_refusal() is None


def test_a_review_date_or_a_reason_for_none_is_required() -> None:
    with pytest.raises(InvalidInput) as refused:
        Scenario().registered().when(recommendation(review_due=None))
    assert refused.value.field == "review_due"
    made = (
        Scenario()
        .registered()
        .when(recommendation(review_due=None, reason_no_review_date="last days of life"))
    )
    assert isinstance(made[0], RecommendationMade)


def test_a_recommendation_by_a_junior_awaits_senior_endorsement() -> None:
    made = Scenario().registered().when(recommendation(actor=REGISTRAR))[0]
    assert isinstance(made, RecommendationMade)
    assert made.needs_senior_endorsement is True


@pytest.mark.parametrize("actor", [CARE_HOME_STAFF, PARAMEDIC])
def test_roles_that_may_not_make_recommendations_are_refused(actor: object) -> None:
    with pytest.raises(NotPermitted):
        Scenario().registered().when(recommendation(actor=actor))


def test_a_newer_plan_supersedes_the_active_one() -> None:
    scenario = Scenario().registered().given(recommendation())
    old_plan = scenario.plan_id()
    events = scenario.when(recommendation(supersedes_plan_id=old_plan))
    assert [type(event) for event in events] == [RecommendationMade, PlanSuperseded]
    assert scenario.record.plans[old_plan].status is PlanStatus.SUPERSEDED


def test_superseding_a_plan_that_is_not_active_is_refused() -> None:
    with pytest.raises(PlanNotActive):
        Scenario().registered().when(recommendation(supersedes_plan_id=uuid4()))


def test_plans_from_two_settings_may_both_be_active() -> None:
    from carerecord_events.vocabulary import Setting

    scenario = (
        Scenario().registered().given(recommendation(), recommendation(actor=GP, setting=Setting.GP_PRACTICE))
    )
    assert {plan.made.setting for plan in scenario.record.active_plans()} == {
        Setting.HOSPITAL,
        Setting.GP_PRACTICE,
    }


def test_a_time_more_than_five_minutes_in_the_future_is_refused() -> None:
    with pytest.raises(TimeInFuture) as refused:
        Scenario().registered().when(recommendation(occurred_at=NOW + timedelta(minutes=5, seconds=1)))
    assert refused.value.field == "occurred_at"


def test_a_time_a_few_minutes_ahead_is_a_clock_running_fast_and_is_accepted() -> None:
    made = Scenario().registered().when(recommendation(occurred_at=NOW + timedelta(minutes=4)))[0]
    assert isinstance(made, RecommendationMade)


def test_nothing_new_is_decided_after_the_person_has_died() -> None:
    scenario = (
        Scenario()
        .registered()
        .given(
            recommendation(),
            c.RecordDeath(
                actor=GP, date_of_death=date(2026, 10, 30), place_of_death="home", was_preferred_place=True
            ),
        )
    )
    assert scenario.record.active_plans() == []
    with pytest.raises(RecordClosed):
        scenario.when(recommendation())
