"""A care relationship states its basis; one without evidence is listed for review; one on an "other" basis
lapses unless the organisation's administrator confirms it (issue 11, item 2). Time is the command's clock."""

from datetime import datetime, timedelta
from uuid import UUID

import pytest

from carerecord_events.access import NO_RECORD
from carerecord_events.base import Actor
from carerecord_events.codec import from_payload
from carerecord_events.people import CareRelationshipStarted
from carerecord_events.record.state import PersonRecord
from carerecord_events.roles import Role
from carerecord_events.vocabulary import RelationshipBasis, Setting
from carerecord_services import commands as c
from carerecord_services.errors import InvalidInput, NotPermitted
from carerecord_services.read_access import Period, Reader, decide_read
from tests.builders import CARE_HOME_MANAGER, CARE_HOME_STAFF, GP, NOW, PARAMEDIC, Scenario

HOSPITAL_DOCTOR = Actor(user_id="dr-bell", role=Role.DOCTOR, organisation="RXF", registration="4567890")
PRIVACY_OFFICER = Actor(user_id="icb-priya", role=Role.PRIVACY_OFFICER, organisation="QWE")
WEEK = timedelta(days=7)


def _start(
    actor: Actor, basis: RelationshipBasis, setting: Setting = Setting.HOSPITAL, **extra: object
) -> c.StartCareRelationship:
    return c.StartCareRelationship(
        actor=actor, organisation=actor.organisation, setting=setting, basis=basis, **extra
    )  # type: ignore[arg-type]


def _reads(record: PersonRecord, actor: Actor, now: datetime) -> bool:
    return decide_read(
        record,
        Reader(actor),
        record.record_id,
        Period(now, now),
        board=frozenset,
        break_glass_until=lambda: None,
        now=now,
        unconfirmed_lasts=WEEK,
    ).granted


def test_a_relationship_states_its_basis_and_other_needs_words() -> None:
    with pytest.raises(InvalidInput) as refused:
        Scenario().registered().when(_start(HOSPITAL_DOCTOR, RelationshipBasis.OTHER))
    assert refused.value.field == "basis_detail"
    with pytest.raises(InvalidInput) as refused:
        Scenario().registered().when(_start(HOSPITAL_DOCTOR, RelationshipBasis.NOT_RECORDED))
    assert refused.value.field == "basis"
    with pytest.raises(InvalidInput) as refused:
        Scenario().registered().when(_start(HOSPITAL_DOCTOR, RelationshipBasis.REFERRAL_RECEIVED))
    assert refused.value.field == "referred_by"


def test_a_referral_from_an_organisation_already_caring_is_evidence_and_an_unknown_one_is_not() -> None:
    scenario = Scenario().registered()  # registered by the GP practice K81003
    scenario.given(_start(GP, RelationshipBasis.REGISTERED_WITH_PRACTICE, Setting.GP_PRACTICE))
    (referred,) = scenario.when(
        _start(HOSPITAL_DOCTOR, RelationshipBasis.REFERRAL_RECEIVED, referred_by="K81003")
    )
    assert isinstance(referred, CareRelationshipStarted) and referred.evidenced
    (walk_in,) = (
        Scenario()
        .registered()
        .when(_start(PARAMEDIC, RelationshipBasis.UNDER_THE_CARE_OF_SERVICE, Setting.AMBULANCE))
    )
    assert isinstance(walk_in, CareRelationshipStarted) and not walk_in.evidenced
    (by_registrar,) = (
        Scenario()
        .registered()
        .when(_start(GP, RelationshipBasis.REGISTERED_WITH_PRACTICE, Setting.GP_PRACTICE))
    )
    assert isinstance(by_registrar, CareRelationshipStarted) and by_registrar.evidenced  # it registered her


def test_an_other_basis_lapses_after_a_week_unless_the_organisations_administrator_confirms_it() -> None:
    scenario = Scenario().registered()
    (started,) = scenario.when(
        _start(
            CARE_HOME_MANAGER,
            RelationshipBasis.OTHER,
            Setting.CARE_HOME,
            basis_detail="respite stay booked by her daughter",
        )
    )
    assert isinstance(started, CareRelationshipStarted)
    assert _reads(scenario.record, CARE_HOME_STAFF, NOW + timedelta(days=6))
    assert not _reads(scenario.record, CARE_HOME_STAFF, NOW + WEEK)

    with pytest.raises(NotPermitted):
        scenario.when(
            c.ConfirmCareRelationship(actor=GP, organisation="VLAXL", relationship_id=started.relationship_id)
        )
    scenario.when(
        c.ConfirmCareRelationship(
            actor=CARE_HOME_MANAGER, organisation="VLAXL", relationship_id=started.relationship_id
        )
    )
    assert _reads(scenario.record, CARE_HOME_STAFF, NOW + timedelta(days=30))


def test_a_privacy_officer_reviews_a_relationship_once_and_says_what_they_found() -> None:
    scenario = Scenario().registered()
    (started,) = scenario.when(
        _start(PARAMEDIC, RelationshipBasis.UNDER_THE_CARE_OF_SERVICE, Setting.AMBULANCE)
    )
    assert isinstance(started, CareRelationshipStarted)
    review = c.ReviewCareRelationship(
        actor=PRIVACY_OFFICER,
        relationship_id=started.relationship_id,
        appropriate=True,
        notes="999 call logged at 02:14, crew attended",
    )
    with pytest.raises(NotPermitted):
        scenario.when(
            c.ReviewCareRelationship(
                actor=GP, relationship_id=started.relationship_id, appropriate=True, notes="looks fine to me"
            )
        )
    scenario.when(review)
    assert scenario.record.relationship(started.relationship_id).reviewed  # type: ignore[union-attr]
    with pytest.raises(InvalidInput):
        scenario.when(review)


def test_a_relationship_stored_before_bases_were_asked_for_says_so() -> None:
    event_id = "e43eb35e-6c27-47c2-842f-335d33aaf7e0"
    payload = {
        "event_id": event_id,
        "occurred_at": "2026-11-01T12:00:00+00:00",
        "organisation": "VLAXL",
        "record_id": str(NO_RECORD),
        "recorded_at": "2026-11-01T12:00:00+00:00",
        "recorded_by": {
            "name": None,
            "organisation": "VLAXL",
            "registration": None,
            "role": "care-home-staff",
            "user_id": "ch-ade",
        },
        "setting": "care-home",
    }
    event = from_payload("CareRelationshipStarted", 1, payload)
    assert isinstance(event, CareRelationshipStarted)
    assert (event.basis, event.relationship_id, event.evidenced) == (
        RelationshipBasis.NOT_RECORDED,
        UUID(event_id),
        False,
    )
