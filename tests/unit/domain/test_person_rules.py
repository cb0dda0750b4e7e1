"""Registration, identifiers, actors, care relationships, capacity and representatives."""

from datetime import date, timedelta

import pytest

from carerecord_events.base import Actor
from carerecord_events.people import CareRelationshipStarted, PersonRegistered
from carerecord_events.roles import Role
from carerecord_events.vocabulary import CapacityDecision, RelationshipBasis, RepresentativeKind, Setting
from carerecord_services import commands as c
from carerecord_services.errors import (
    AlreadyRegistered,
    InvalidIdentifier,
    InvalidInput,
    NotPermitted,
    RecordNotFound,
    TimeInFuture,
)
from tests.builders import (
    CARE_HOME_STAFF,
    CONSULTANT,
    GP,
    NOW,
    THE_PERSON,
    Scenario,
    recommendation,
    register,
)


def test_registering_a_person_keeps_the_nhs_number_without_spaces() -> None:
    events = Scenario().when(register(nhs_number="943 476 5919"))
    assert isinstance(events[0], PersonRegistered)
    assert events[0].nhs_number == "9434765919"


def test_an_nhs_number_with_the_wrong_check_digit_is_refused() -> None:
    with pytest.raises(InvalidIdentifier) as refused:
        Scenario().when(register(nhs_number="9434765918"))
    assert refused.value.field == "nhs_number"


def test_a_record_cannot_be_registered_twice() -> None:
    with pytest.raises(AlreadyRegistered):
        Scenario().registered().when(register())


def test_commands_on_a_record_that_does_not_exist_are_refused() -> None:
    with pytest.raises(RecordNotFound):
        Scenario().when(recommendation())


def test_a_date_of_birth_in_the_future_is_refused() -> None:
    with pytest.raises(TimeInFuture):
        Scenario().when(register(date_of_birth=NOW.date() + timedelta(days=1)))


@pytest.mark.parametrize(
    ("actor", "field"),
    [
        (Actor(user_id="x", role=Role.CONSULTANT, organisation="RXF", registration=None), "registration"),
        (
            Actor(user_id="x", role=Role.CONSULTANT, organisation="RXF", registration="71A2998E"),
            "registration",
        ),
        (Actor(user_id="x", role=Role.NURSE, organisation="RXF", registration="1234567"), "registration"),
        (Actor(user_id="x", role=Role.PARAMEDIC, organisation="RXF", registration="12"), "registration"),
        (Actor(user_id="x", role=Role.GP, organisation="k81-003", registration="1234567"), "organisation"),
    ],
)
def test_an_actor_with_a_malformed_identifier_is_refused(actor: Actor, field: str) -> None:
    with pytest.raises(InvalidIdentifier) as refused:
        Scenario().when(register(actor=actor))
    assert refused.value.field == field


def test_care_home_staff_may_not_start_a_care_relationship_but_their_administrator_may() -> None:
    from tests.builders import CARE_HOME_MANAGER

    scenario = Scenario().registered()
    with pytest.raises(NotPermitted):
        scenario.when(
            c.StartCareRelationship(
                actor=CARE_HOME_STAFF,
                organisation="VLAXL",
                setting=Setting.CARE_HOME,
                basis=RelationshipBasis.RESIDENT_OF_CARE_HOME,
            )
        )
    events = scenario.when(
        c.StartCareRelationship(
            actor=CARE_HOME_MANAGER,
            organisation="VLAXL",
            setting=Setting.CARE_HOME,
            basis=RelationshipBasis.RESIDENT_OF_CARE_HOME,
        )
    )
    assert isinstance(events[0], CareRelationshipStarted)


def test_only_staff_of_an_organisation_may_start_its_care_relationship() -> None:
    with pytest.raises(NotPermitted):
        Scenario().registered().when(
            c.StartCareRelationship(
                actor=GP,
                organisation="VLAXL",
                setting=Setting.CARE_HOME,
                basis=RelationshipBasis.RESIDENT_OF_CARE_HOME,
            )
        )


def test_the_person_may_not_start_a_care_relationship() -> None:
    with pytest.raises(NotPermitted):
        Scenario().registered().when(
            c.StartCareRelationship(
                actor=THE_PERSON,
                organisation="RXF",
                setting=Setting.HOSPITAL,
                basis=RelationshipBasis.ADMITTED,
            )
        )


def test_a_capacity_assessment_that_finds_capacity_lacking_must_say_how() -> None:
    with pytest.raises(InvalidInput) as refused:
        Scenario().registered().when(
            c.AssessCapacity(
                actor=CONSULTANT, decision=CapacityDecision.CPR_RECOMMENDATION, has_capacity=False
            )
        )
    assert refused.value.field == "how_capacity_is_lacking"


def test_an_lpa_must_say_whether_it_is_registered_and_covers_life_sustaining_treatment() -> None:
    with pytest.raises(InvalidInput):
        Scenario().registered().when(
            c.RecordRepresentative(actor=GP, kind=RepresentativeKind.LPA_HEALTH_AND_WELFARE, name="Ann Hale")
        )


def test_a_date_of_death_before_birth_is_refused() -> None:
    with pytest.raises(InvalidInput):
        Scenario().registered().when(
            c.RecordDeath(actor=GP, date_of_death=date(1900, 1, 1), place_of_death="home")
        )
