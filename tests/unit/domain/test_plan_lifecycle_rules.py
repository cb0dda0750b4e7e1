"""Endorsement, review, revocation, communication, corrections and concerns."""

from datetime import date
from uuid import uuid4

import pytest

from carerecord_events.base import Participant
from carerecord_events.corrections import ConcernRaised, CorrectionRecorded, EntryMarkedEnteredInError
from carerecord_events.plans import (
    DecisionCommunicated,
    PlanReviewed,
    PlanRevoked,
    RecommendationMade,
    SeniorEndorsementGiven,
)
from carerecord_events.roles import Role
from carerecord_events.vocabulary import ConcernRaisedBy, PlanStatus, ReviewOutcome, RevocationInitiator
from carerecord_services import commands as c
from carerecord_services.errors import (
    EndorsementRefused,
    EntryNotFound,
    InvalidInput,
    NotPermitted,
    PlanNotActive,
)
from carerecord_services.policy import RecordPolicy
from tests.builders import (
    ASSURANCE,
    CARE_HOME_STAFF,
    CONSULTANT,
    GP,
    NURSE,
    REGISTRAR,
    SECOND_CONSULTANT,
    THE_PERSON,
    Scenario,
    recommendation,
)


def _junior_plan() -> Scenario:
    return Scenario().registered().given(recommendation(actor=REGISTRAR))


def test_a_senior_endorses_a_juniors_recommendation() -> None:
    scenario = _junior_plan()
    events = scenario.when(
        c.EndorsePlan(actor=CONSULTANT, plan_id=scenario.plan_id(), endorser_name="Dr Okafor")
    )
    endorsed = events[0]
    assert isinstance(endorsed, SeniorEndorsementGiven)
    assert endorsed.endorsed_by.registration == CONSULTANT.registration
    assert scenario.record.plans[scenario.plan_id()].endorsed


def test_an_endorsement_by_someone_not_senior_is_refused() -> None:
    scenario = _junior_plan()
    other_doctor = REGISTRAR.__class__(
        user_id="dr-sam", role=Role.DOCTOR, organisation="RXF", registration="1112223"
    )
    with pytest.raises(EndorsementRefused):
        scenario.when(c.EndorsePlan(actor=other_doctor, plan_id=scenario.plan_id(), endorser_name="Dr Sam"))


def test_a_role_configured_as_senior_may_endorse() -> None:
    scenario = Scenario(policy=RecordPolicy(extra_senior_roles=frozenset({Role.NURSE}))).registered()
    scenario.given(recommendation(actor=REGISTRAR))
    events = scenario.when(
        c.EndorsePlan(actor=NURSE, plan_id=scenario.plan_id(), endorser_name="Sister Jones")
    )
    assert isinstance(events[0], SeniorEndorsementGiven)


def test_an_author_cannot_endorse_their_own_recommendation() -> None:
    scenario = Scenario().registered().given(recommendation(actor=CONSULTANT))
    with pytest.raises(EndorsementRefused) as refused:
        scenario.when(c.EndorsePlan(actor=CONSULTANT, plan_id=scenario.plan_id(), endorser_name="Dr Okafor"))
    assert "own author" in refused.value.message


def test_endorsing_a_plan_that_does_not_exist_is_refused() -> None:
    with pytest.raises(PlanNotActive):
        Scenario().registered().when(
            c.EndorsePlan(actor=CONSULTANT, plan_id=uuid4(), endorser_name="Dr Okafor")
        )


def test_a_review_that_confirms_sets_the_next_review_date() -> None:
    scenario = Scenario().registered().given(recommendation())
    events = scenario.when(
        c.ReviewPlan(
            actor=SECOND_CONSULTANT,
            plan_id=scenario.plan_id(),
            outcome=ReviewOutcome.CONFIRMED,
            reviewer_name="Dr Lind",
            person_involved=True,
            next_review_due=date(2027, 5, 1),
        )
    )
    assert isinstance(events[0], PlanReviewed)
    assert scenario.record.plans[scenario.plan_id()].review_due == date(2027, 5, 1)


def test_a_review_that_revokes_ends_the_plan_with_a_revocation() -> None:
    scenario = Scenario().registered().given(recommendation())
    events = scenario.when(
        c.ReviewPlan(
            actor=SECOND_CONSULTANT,
            plan_id=scenario.plan_id(),
            outcome=ReviewOutcome.REVOKED,
            reviewer_name="Dr Lind",
            notes="Recovered from sepsis; CPR could now succeed.",
        )
    )
    assert [type(event) for event in events] == [PlanReviewed, PlanRevoked]
    assert scenario.record.plans[scenario.plan_id()].status is PlanStatus.REVOKED


def test_a_revoked_plan_stays_in_history_and_is_no_longer_current() -> None:
    scenario = Scenario().registered().given(recommendation())
    plan_id = scenario.plan_id()
    scenario.when(
        c.RevokePlan(
            actor=CONSULTANT,
            plan_id=plan_id,
            reason="She asked for CPR to be attempted.",
            initiated=RevocationInitiator.PERSON_REQUEST,
        )
    )
    assert scenario.record.active_plans() == []
    assert any(
        isinstance(event, RecommendationMade) and event.plan_id == plan_id for event in scenario.history
    )
    with pytest.raises(PlanNotActive):
        scenario.when(
            c.RevokePlan(
                actor=CONSULTANT, plan_id=plan_id, reason="again", initiated=RevocationInitiator.CLINICAL
            )
        )


def test_reviewing_a_revoked_plan_is_refused() -> None:
    scenario = Scenario().registered().given(recommendation())
    plan_id = scenario.plan_id()
    scenario.given(
        c.RevokePlan(
            actor=CONSULTANT,
            plan_id=plan_id,
            reason="clinical change",
            initiated=RevocationInitiator.CLINICAL,
        )
    )
    with pytest.raises(PlanNotActive):
        scenario.when(
            c.ReviewPlan(
                actor=CONSULTANT,
                plan_id=plan_id,
                outcome=ReviewOutcome.CONFIRMED,
                reviewer_name="Dr Okafor",
                next_review_due=date(2027, 1, 1),
            )
        )


def test_care_home_staff_may_not_revoke_a_plan() -> None:
    scenario = Scenario().registered().given(recommendation())
    with pytest.raises(NotPermitted):
        scenario.when(
            c.RevokePlan(
                actor=CARE_HOME_STAFF,
                plan_id=scenario.plan_id(),
                reason="x",
                initiated=RevocationInitiator.CLINICAL,
            )
        )


def test_communicating_a_decision_records_who_was_told() -> None:
    scenario = Scenario().registered().given(recommendation())
    events = scenario.when(
        c.CommunicateDecision(
            actor=CARE_HOME_STAFF,
            plan_id=scenario.plan_id(),
            told=(Participant(name="Ann Hale", role="daughter"),),
            how="phone",
        )
    )
    assert isinstance(events[0], DecisionCommunicated)


def test_entered_in_error_is_distinct_from_revocation() -> None:
    scenario = Scenario().registered().given(recommendation())
    made = scenario.last(RecommendationMade)
    events = scenario.when(
        c.MarkEnteredInError(
            actor=CONSULTANT, entry_event_id=made.event_id, reason="recorded on the wrong patient's record"
        )
    )
    assert isinstance(events[0], EntryMarkedEnteredInError)
    assert scenario.record.plans[made.plan_id].status is PlanStatus.ENTERED_IN_ERROR
    assert scenario.record.plans[made.plan_id].status is not PlanStatus.REVOKED


def test_marking_an_entered_in_error_mark_as_entered_in_error_is_refused() -> None:
    """The mark stands: undoing it would bring a plan back into force without anyone deciding so."""
    scenario = Scenario().registered().given(recommendation())
    made = scenario.last(RecommendationMade)
    scenario.when(
        c.MarkEnteredInError(actor=CONSULTANT, entry_event_id=made.event_id, reason="wrong patient")
    )
    mark = scenario.last(EntryMarkedEnteredInError)
    with pytest.raises(InvalidInput, match="EntryMarkedEnteredInError entry cannot be marked"):
        scenario.when(c.MarkEnteredInError(actor=CONSULTANT, entry_event_id=mark.event_id, reason="undo"))


def test_the_registration_cannot_be_marked_as_entered_in_error() -> None:
    scenario = Scenario().registered()
    registered = scenario.history[0]
    with pytest.raises(InvalidInput, match="PersonRegistered entry cannot be marked"):
        scenario.when(c.MarkEnteredInError(actor=CONSULTANT, entry_event_id=registered.event_id, reason="x"))


def test_a_correction_references_the_entry_it_corrects() -> None:
    scenario = Scenario().registered().given(recommendation())
    made = scenario.last(RecommendationMade)
    events = scenario.when(
        c.RecordCorrection(
            actor=CONSULTANT,
            corrects_event_id=made.event_id,
            correction="The daughter's name is Anne, not Ann.",
        )
    )
    assert isinstance(events[0], CorrectionRecorded)
    assert events[0].corrects_event_id == made.event_id


def test_a_correction_that_points_at_nothing_is_refused() -> None:
    with pytest.raises(EntryNotFound):
        Scenario().registered().when(
            c.RecordCorrection(actor=CONSULTANT, corrects_event_id=uuid4(), correction="x")
        )


def test_the_person_may_raise_a_concern_and_assurance_may_resolve_it() -> None:
    scenario = Scenario().registered().given(recommendation())
    raised = scenario.when(
        c.RaiseConcern(
            actor=THE_PERSON,
            raised_by=ConcernRaisedBy.PERSON,
            summary="Nobody talked to me about this.",
            plan_id=scenario.plan_id(),
        )
    )[0]
    assert isinstance(raised, ConcernRaised)
    scenario.when(
        c.ResolveConcern(
            actor=ASSURANCE,
            concern_id=raised.concern_id,
            resolution="Meeting held with Dr Okafor; plan reviewed with her.",
        )
    )
    assert raised.concern_id in scenario.record.closed_concerns
    with pytest.raises(EntryNotFound):
        scenario.when(c.ResolveConcern(actor=ASSURANCE, concern_id=raised.concern_id, resolution="again"))


def test_a_review_that_changes_the_plan_must_say_what_changed() -> None:
    scenario = Scenario().registered().given(recommendation())
    with pytest.raises(InvalidInput):
        scenario.when(
            c.ReviewPlan(
                actor=GP, plan_id=scenario.plan_id(), outcome=ReviewOutcome.CHANGED, reviewer_name="Dr Grey"
            )
        )
