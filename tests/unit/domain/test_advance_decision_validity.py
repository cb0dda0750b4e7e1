"""An advance decision refuses CPR only when it meets every requirement of the Mental Capacity Act 2005: made at
18 or over, with capacity, in writing, signed, witnessed, and saying it applies even if life is at risk. Each
requirement it misses is named, and a recommendation to attempt CPR then stands."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from carerecord_events.codec import from_payload
from carerecord_events.conversations import AdvanceDecisionRecorded
from carerecord_events.plans import RecommendationMade
from carerecord_events.vocabulary import CprRecommendation, ReasonCategory
from carerecord_projections.current_plan.document import document_of
from carerecord_projections.current_plan.view import advance_decisions
from carerecord_services import commands as c
from carerecord_services.errors import ConflictsWithAdvanceDecision
from tests.builders import GP, Scenario, recommendation, register

VALID = dict(written=True, signed=True, witnessed=True, states_applies_even_if_life_at_risk=True)


def _adrt(made_on: date = date(2024, 5, 1), **changes: Any) -> c.RecordAdvanceDecision:
    return c.RecordAdvanceDecision(
        actor=GP, treatments_refused="CPR", refuses_cpr=True, made_on=made_on, **{**VALID, **changes}
    )


def _attempt_cpr() -> c.MakeRecommendation:
    return recommendation(
        cpr=CprRecommendation.ATTEMPT_CPR,
        reason_category=ReasonCategory.CPR_RECOMMENDED,
        reasoning="Wants CPR attempted.",
    )


def _reasons(scenario: Scenario) -> tuple[str, ...]:
    (adrt,) = scenario.record.advance_decisions.values()
    return adrt.reasons_not_valid_for_cpr


def test_an_advance_decision_made_before_the_age_of_18_does_not_refuse_cpr() -> None:
    scenario = (
        Scenario().given(register(date_of_birth=date(2008, 6, 1))).given(_adrt(made_on=date(2026, 5, 31)))
    )
    assert _reasons(scenario) == ("made before the age of 18",)
    assert scenario.record.valid_cpr_refusal() is None
    assert isinstance(scenario.when(_attempt_cpr())[0], RecommendationMade)


def test_one_made_on_the_18th_birthday_does() -> None:
    scenario = (
        Scenario().given(register(date_of_birth=date(2008, 6, 1))).given(_adrt(made_on=date(2026, 6, 1)))
    )
    assert _reasons(scenario) == ()
    with pytest.raises(ConflictsWithAdvanceDecision):
        scenario.when(_attempt_cpr())


def test_one_made_without_capacity_does_not_and_says_so_with_every_other_requirement_it_misses() -> None:
    scenario = Scenario().registered().given(_adrt(made_with_capacity=False, witnessed=False, signed=False))
    assert _reasons(scenario) == ("made without capacity", "not signed", "not witnessed")
    assert scenario.record.valid_cpr_refusal() is None


def test_capacity_not_recorded_is_presumed_as_the_act_presumes_it() -> None:
    scenario = Scenario().registered().given(_adrt(made_with_capacity=None))
    assert _reasons(scenario) == ()
    assert scenario.record.valid_cpr_refusal() is not None


def test_a_version_1_advance_decision_loads_with_capacity_not_recorded() -> None:
    payload = {
        "advance_decision_id": "dd62ec58-4c7a-4c05-bc0f-2aa763118777",
        "document_location": "",
        "event_id": "758371c9-2768-4de8-bf3a-95d85b68254b",
        "made_on": "2025-01-10",
        "occurred_at": "2026-11-01T12:00:00+00:00",
        "record_id": "1475a25e-ec38-4bd9-97c5-5e108f6fd6d0",
        "recorded_at": "2026-11-01T12:00:00+00:00",
        "recorded_by": {
            "organisation": "K81003",
            "role": "gp",
            "user_id": "dr-grey",
            "registration": "2345678",
        },
        "refuses_cpr": True,
        "treatments_refused": "CPR",
        **VALID,
    }
    event = from_payload("AdvanceDecisionRecorded", 1, payload)
    assert isinstance(event, AdvanceDecisionRecorded)
    assert event.made_with_capacity is None


def test_the_reasons_are_in_the_current_plan_and_its_view_not_only_in_fhir() -> None:
    scenario = Scenario().registered().given(_adrt(states_applies_even_if_life_at_risk=False))
    document = document_of(scenario.record)
    (shown,) = document["advance_decisions"].values()
    assert shown["reasons_not_valid_for_cpr"] == ["does not say it applies even if life is at risk"]

    class Row:  # the read model's row, as the API reads it
        pass

    row = Row()
    row.document = document  # type: ignore[attr-defined]
    (view,) = advance_decisions(row)  # type: ignore[arg-type]
    assert view.reasons_not_valid_for_cpr == ["does not say it applies even if life is at risk"]
    assert view.formally_valid_for_cpr is False
