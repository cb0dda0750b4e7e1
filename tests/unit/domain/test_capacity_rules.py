"""Capacity is assessed for a coded decision, so the Winspear rule reads the code, not the assessor's wording."""

import json
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from carerecord_events.codec import from_payload, to_payload
from carerecord_events.conversations import CapacityAssessed
from carerecord_events.plans import RecommendationMade
from carerecord_events.vocabulary import CapacityDecision, InvolvementRoute
from carerecord_services import commands as c
from carerecord_services.errors import ConsultationMissing, InvalidInput
from tests.builders import CONSULTANT, Scenario, involved, lacks_capacity, recommendation

FIXTURES = Path(__file__).resolve().parents[3] / "events" / "carerecord_events" / "fixtures"

# Not involved (with a lawful reason), and nobody consulted: lawful only if the person has capacity.
NOBODY_CONSULTED = involved(
    route=InvolvementRoute.D_NOT_INVOLVED_WITH_REASON,
    person_involved=False,
    consulted=(),
    reason_person_not_involved=(
        "Unconscious on admission after a cardiac arrest at home; ventilated on the intensive care unit and "
        "not expected to wake before the decision is needed."
    ),
)


def stored_v1_assessment(scenario: Scenario, decision: str) -> CapacityAssessed:
    """A version 1 CapacityAssessed as stored before the decision was coded, loaded (and upcast) as the store
    loads it."""
    document = json.loads((FIXTURES / "CapacityAssessed.v1.json").read_text())
    payload: dict[str, Any] = document["payload"]
    payload.update(
        record_id=str(scenario.record.record_id),
        event_id=str(uuid4()),
        decision=decision,
        has_capacity=False,
        how_capacity_is_lacking="cannot weigh what CPR involves",
    )
    event = from_payload("CapacityAssessed", 1, payload)
    assert isinstance(event, CapacityAssessed)
    return event


@pytest.mark.parametrize(
    "wording",
    [
        "cardiopulmonary resuscitation",
        "whether to attempt CPR",
        "Resuscitation status",
        "DNACPR discussion",
        "ReSPECT form",
        "emergency care and treatment plan",
    ],
)
def test_a_stored_v1_assessment_worded_about_cpr_now_makes_a_dnacpr_with_nobody_consulted_refused(
    wording: str,
) -> None:
    scenario = Scenario().registered()
    assessed = stored_v1_assessment(scenario, wording)
    assert assessed.decision is CapacityDecision.CPR_RECOMMENDATION
    assert assessed.decision_text == wording  # the assessor's words are kept
    scenario._apply([assessed])
    with pytest.raises(ConsultationMissing) as refused:
        scenario.when(recommendation(involvement=NOBODY_CONSULTED))
    assert refused.value.field == "involvement.consulted"


def test_a_stored_v1_assessment_about_something_else_stays_other_with_its_words() -> None:
    scenario = Scenario().registered()
    assessed = stored_v1_assessment(scenario, "managing her finances")
    assert (assessed.decision, assessed.decision_text) == (CapacityDecision.OTHER, "managing her finances")
    scenario._apply([assessed])
    assert isinstance(scenario.when(recommendation(involvement=NOBODY_CONSULTED))[0], RecommendationMade)


@pytest.mark.parametrize("decision", [CapacityDecision.CPR_RECOMMENDATION, CapacityDecision.WHOLE_PLAN])
def test_lacking_capacity_for_the_cpr_recommendation_or_the_whole_plan_needs_somebody_consulted(
    decision: CapacityDecision,
) -> None:
    scenario = Scenario().registered().given(lacks_capacity(decision=decision))
    with pytest.raises(ConsultationMissing):
        scenario.when(recommendation(involvement=NOBODY_CONSULTED))


def test_lacking_capacity_for_another_decision_does_not_call_for_consultation_on_cpr() -> None:
    other = lacks_capacity(decision=CapacityDecision.OTHER, decision_text="moving to a care home")
    scenario = Scenario().registered().given(other)
    assert isinstance(scenario.when(recommendation(involvement=NOBODY_CONSULTED))[0], RecommendationMade)


def test_a_later_assessment_finding_capacity_for_cpr_lifts_the_rule() -> None:
    regained = c.AssessCapacity(
        actor=CONSULTANT, decision=CapacityDecision.CPR_RECOMMENDATION, has_capacity=True
    )
    scenario = Scenario().registered().given(lacks_capacity(), regained)
    assert isinstance(scenario.when(recommendation(involvement=NOBODY_CONSULTED))[0], RecommendationMade)


def test_another_decision_must_be_named_in_words() -> None:
    with pytest.raises(InvalidInput) as refused:
        Scenario().registered().when(lacks_capacity(decision=CapacityDecision.OTHER, decision_text=" "))
    assert refused.value.field == "decision_text"


def test_the_v1_fixture_loads_and_upcasts_to_the_cpr_code_and_reencodes_as_v2() -> None:
    document = json.loads((FIXTURES / "CapacityAssessed.v1.json").read_text())
    assert document["payload"]["decision"] == "CPR"
    event = from_payload("CapacityAssessed", 1, document["payload"])
    assert isinstance(event, CapacityAssessed) and CapacityAssessed.VERSION == 2
    assert event.decision is CapacityDecision.CPR_RECOMMENDATION
    assert to_payload(event)["decision"] == "cpr" and to_payload(event)["decision_text"] == "CPR"
