"""Names hold only what can be seen; dates of birth and `occurred_at` stay within what can be true."""

from datetime import date, timedelta

import pytest

from carerecord_events.base import Clinician, Participant
from carerecord_events.people import PersonRegistered
from carerecord_events.roles import Role
from carerecord_events.vocabulary import CapacityDecision
from carerecord_services import commands as c
from carerecord_services.errors import InvalidInput, TimeInFuture
from tests.builders import (
    CONSULTANT,
    NOW,
    RESPONSIBLE,
    Scenario,
    attorney,
    involved,
    recommendation,
    register,
)

INVISIBLE = {
    "right-to-left override": "\u202e",
    "left-to-right embedding": "\u202a",
    "first strong isolate": "\u2068",
    "pop directional isolate": "\u2069",
    "zero-width space": "\u200b",
    "zero-width joiner": "\u200d",
    "word joiner": "\u2060",
    "byte-order mark": "\ufeff",
}


@pytest.mark.parametrize("character", INVISIBLE.values(), ids=INVISIBLE.keys())
def test_a_persons_name_with_an_invisible_or_direction_changing_character_is_refused(character: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        Scenario().when(register(family_name=f"Ha{character}le"))
    assert refused.value.field == "family_name"
    assert f"U+{ord(character):04X}" in refused.value.message


def test_names_of_participants_clinicians_and_representatives_are_checked_by_their_field() -> None:
    spoofed = "Ann \u202eelaH"
    scenario = Scenario().registered()
    with pytest.raises(InvalidInput) as refused:
        scenario.when(attorney(name=spoofed))
    assert refused.value.field == "name"
    with pytest.raises(InvalidInput) as refused:
        scenario.when(
            recommendation(involvement=involved(consulted=(Participant(name=spoofed, role="son"),)))
        )
    assert refused.value.field == "involvement.consulted.name"
    clinician = Clinician(name="Dr\u200bOkafor", role=Role.CONSULTANT, registration="1234567")
    with pytest.raises(InvalidInput) as refused:
        scenario.when(recommendation(responsible_clinician=clinician))
    assert refused.value.field == "responsible_clinician.name"
    with pytest.raises(InvalidInput) as refused:
        scenario.when(
            c.AssessCapacity(
                actor=CONSULTANT,
                decision=CapacityDecision.CPR_RECOMMENDATION,
                has_capacity=True,
                assessor_name="Dr\ufeffGrey",
            )
        )
    assert refused.value.field == "assessor_name"


def test_names_in_any_script_are_names_as_written() -> None:
    events = Scenario().when(register(given_name="Zoë", family_name="عبد الله"))
    assert isinstance(events[0], PersonRegistered) and events[0].family_name == "عبد الله"
    assert Scenario().registered().when(recommendation(responsible_clinician=RESPONSIBLE))


def test_a_date_of_birth_before_1880_is_refused_and_1880_is_accepted() -> None:
    with pytest.raises(InvalidInput) as refused:
        Scenario().when(register(date_of_birth=date(1, 1, 1)))
    assert refused.value.field == "date_of_birth"
    assert Scenario().when(register(date_of_birth=date(1880, 1, 1)))


def test_a_date_of_birth_in_the_future_is_refused_naming_it() -> None:
    with pytest.raises(TimeInFuture) as refused:
        Scenario().when(register(date_of_birth=NOW.date() + timedelta(days=1)))
    assert refused.value.field == "date_of_birth"


def test_something_recorded_as_happening_before_the_person_was_born_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        Scenario().registered().when(recommendation(occurred_at=NOW.replace(year=1937)))
    assert refused.value.field == "occurred_at"
    assert "1938-04-02" in refused.value.message
    with pytest.raises(InvalidInput) as refused:
        Scenario().when(register(occurred_at=NOW.replace(year=1930)))
    assert refused.value.field == "occurred_at"


def test_the_bounds_follow_the_injected_clock_not_the_wall_clock() -> None:
    long_ago = NOW.replace(year=1950)
    with pytest.raises(TimeInFuture):
        Scenario(now=long_ago).when(register(date_of_birth=date(1960, 1, 1)))
    with pytest.raises(TimeInFuture):
        Scenario(now=long_ago).registered().when(recommendation(occurred_at=long_ago + timedelta(minutes=6)))
