"""Property-based tests: identifiers, and 'any accepted sequence replays to the same state'."""

import json
from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from carerecord_events.base import Participant
from carerecord_events.codec import decode, encode, from_payload, to_payload
from carerecord_events.plans import RecommendationMade
from carerecord_events.record.evolve import replay
from carerecord_events.record.state import PersonRecord
from carerecord_events.roles import Register
from carerecord_events.vocabulary import (
    ConcernRaisedBy,
    RelationshipBasis,
    ReviewOutcome,
    RevocationInitiator,
    Setting,
)
from carerecord_services import commands as c
from carerecord_services.errors import DomainError
from carerecord_services.identifiers import nhs_number_is_valid, registration_is_valid
from tests.builders import (
    CARE_HOME_MANAGER,
    CONSULTANT,
    GP,
    REGISTRAR,
    THE_PERSON,
    Scenario,
    attorney,
    lacks_capacity,
    recommendation,
)

nine_digits = st.lists(st.integers(0, 9), min_size=9, max_size=9)


def _check_digit(digits: list[int]) -> int:
    check = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11
    return 0 if check == 11 else check


@given(nine_digits)
def test_nine_digits_with_their_check_digit_are_valid_unless_the_check_is_ten(digits: list[int]) -> None:
    check = _check_digit(digits)
    number = "".join(map(str, digits)) + str(check % 10)
    assert nhs_number_is_valid(number) is (check != 10)


@given(nine_digits, st.integers(0, 9), st.integers(1, 9))
def test_changing_any_one_digit_of_a_valid_nhs_number_invalidates_it(
    digits: list[int], position: int, delta: int
) -> None:
    check = _check_digit(digits)
    if check == 10:
        return
    number = [*digits, check]
    number[position] = (number[position] + delta) % 10
    assert not nhs_number_is_valid("".join(map(str, number)))


@given(st.from_regex(r"[0-9]{7}", fullmatch=True))
def test_any_seven_digits_are_a_gmc_number(value: str) -> None:
    assert registration_is_valid(Register.GMC, value)
    assert not registration_is_valid(Register.NMC, value)


@given(st.from_regex(r"[0-9]{2}[A-Z][0-9]{4}[A-Z]", fullmatch=True))
def test_nmc_pins_follow_their_pattern(value: str) -> None:
    assert registration_is_valid(Register.NMC, value)
    assert not registration_is_valid(Register.GMC, value)


def _command(scenario: Scenario, choice: int, text: str) -> c.Command:
    plans = [plan.plan_id for plan in scenario.record.plans.values()]
    plan_id = plans[choice % len(plans)] if plans else None
    entries = list(scenario.record.entries)
    options: list[Any] = [
        lambda: recommendation(reasoning=text),
        lambda: recommendation(actor=REGISTRAR),
        lambda: recommendation(actor=GP, setting=Setting.GP_PRACTICE, supersedes_plan_id=plan_id),
        lambda: lacks_capacity(),
        lambda: attorney(),
        lambda: c.StartCareRelationship(
            actor=CARE_HOME_MANAGER,
            organisation="VLAXL",
            setting=Setting.CARE_HOME,
            basis=RelationshipBasis.RESIDENT_OF_CARE_HOME,
        ),
        lambda: c.EndCareRelationship(actor=CARE_HOME_MANAGER, organisation="VLAXL", reason=text or "moved"),
        lambda: c.EndorsePlan(actor=CONSULTANT, plan_id=plan_id, endorser_name="Dr Okafor"),
        lambda: c.ReviewPlan(
            actor=GP, plan_id=plan_id, outcome=ReviewOutcome.REVOKED, reviewer_name="Dr Grey", notes=text
        ),
        lambda: c.RevokePlan(
            actor=CONSULTANT, plan_id=plan_id, reason=text, initiated=RevocationInitiator.CLINICAL
        ),
        lambda: c.CommunicateDecision(
            actor=GP, plan_id=plan_id, told=(Participant(name="Ann", role="daughter"),)
        ),
        lambda: c.MarkEnteredInError(actor=GP, entry_event_id=entries[choice % len(entries)], reason=text),
        lambda: c.RaiseConcern(actor=THE_PERSON, raised_by=ConcernRaisedBy.PERSON, summary=text or "worried"),
        lambda: c.RecordDeath(actor=GP, date_of_death=date(2026, 10, 1), place_of_death="home"),
    ]
    return options[choice % len(options)]()  # type: ignore[no-any-return]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1000), st.text(max_size=40)), max_size=25))
def test_any_accepted_sequence_replays_to_the_same_state(steps: list[tuple[int, str]]) -> None:
    scenario = Scenario().registered()
    for choice, text in steps:
        try:
            scenario.when(_command(scenario, choice, text))
        except DomainError:
            continue  # refused (or not applicable yet): nothing was recorded
    assert replay(scenario.record.record_id, scenario.history) == scenario.record
    over_the_wire = [from_payload(e.TYPE, e.VERSION, to_payload(e)) for e in scenario.history]
    assert over_the_wire == scenario.history
    assert replay(scenario.record.record_id, over_the_wire) == scenario.record
    made = [e for e in scenario.history if isinstance(e, RecommendationMade)]
    assert len(scenario.record.plans) == len(made)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1000), st.text(max_size=40)), max_size=25))
def test_a_record_state_kept_as_json_by_the_projector_comes_back_the_same(
    steps: list[tuple[int, str]],
) -> None:
    scenario = Scenario().registered()
    for choice, text in steps:
        try:
            scenario.when(_command(scenario, choice, text))
        except DomainError:
            continue
    kept = json.loads(json.dumps(encode(scenario.record)))
    assert decode(PersonRecord, kept) == scenario.record
