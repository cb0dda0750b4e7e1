"""Readable test data: actors, valid commands, and a given/when harness over the pure rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

from carerecord_events.base import Actor, CareRecordEvent, Clinician, Participant
from carerecord_events.plans import Involvement
from carerecord_events.record.evolve import evolve
from carerecord_events.record.state import PersonRecord
from carerecord_events.roles import Role
from carerecord_events.vocabulary import (
    CapacityDecision,
    CprRecommendation,
    FormType,
    InvolvementRoute,
    ReasonCategory,
    RelationshipBasis,
    RepresentativeKind,
    Setting,
)
from carerecord_services import commands as c
from carerecord_services.decisions import Context, decide
from carerecord_services.policy import RecordPolicy

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
VALID_NHS_NUMBER = "9434765919"  # the NHS Data Dictionary's worked example

CONSULTANT = Actor(
    user_id="dr-okafor", role=Role.CONSULTANT, organisation="RXF", registration="1234567", name="Dr Okafor"
)
SECOND_CONSULTANT = Actor(user_id="dr-lind", role=Role.CONSULTANT, organisation="RXF", registration="3456789")
REGISTRAR = Actor(
    user_id="dr-patel", role=Role.DOCTOR, organisation="RXF", registration="7654321", name="Dr Patel"
)
GP = Actor(user_id="dr-grey", role=Role.GP, organisation="K81003", registration="2345678", name="Dr Grey")
NURSE = Actor(user_id="n-jones", role=Role.NURSE, organisation="RXF", registration="71A2998E")
PARAMEDIC = Actor(user_id="p-khan", role=Role.PARAMEDIC, organisation="RX9", registration="PA123456")
CARE_HOME_STAFF = Actor(user_id="ch-ade", role=Role.CARE_HOME_STAFF, organisation="VLAXL")
ADMINISTRATOR = Actor(user_id="admin-1", role=Role.ADMINISTRATOR, organisation="RXF")
CARE_HOME_MANAGER = Actor(user_id="ch-manager", role=Role.ADMINISTRATOR, organisation="VLAXL")
ASSURANCE = Actor(user_id="icb-ann", role=Role.ASSURANCE, organisation="QWE")
THE_PERSON = Actor(user_id="person-1", role=Role.PERSON, organisation="RXF")

RESPONSIBLE = Clinician(name="Dr Okafor", role=Role.CONSULTANT, registration="1234567", user_id="dr-okafor")

PERSONAL_REASONING = (
    "Metastatic pancreatic cancer with liver involvement, bilirubin rising despite stenting, now sleeping most "
    "of the day; CPR would not restart the heart and would cause rib fractures."
)


def valid_nhs_numbers(count: int, start: int = 401_000_000) -> list[str]:
    """Synthetic NHS numbers that pass the modulus 11 check."""
    numbers: list[str] = []
    stem = start
    while len(numbers) < count:
        digits = f"{stem:09d}"
        check = (11 - sum(int(d) * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11) % 11
        if check != 10:
            numbers.append(digits + str(check))
        stem += 1
    return numbers


def register(**overrides: Any) -> c.RegisterPerson:
    values: dict[str, Any] = dict(
        actor=GP,
        nhs_number=VALID_NHS_NUMBER,
        given_name="Margaret",
        family_name="Hale",
        date_of_birth=date(1938, 4, 2),
        postcode="NG1 1AA",
    )
    values.update(overrides)
    return c.RegisterPerson(**values)


def involved(**overrides: Any) -> Involvement:
    values: dict[str, Any] = dict(
        route=InvolvementRoute.A_PERSON_WITH_CAPACITY,
        person_involved=True,
        consulted=(Participant(name="Ann Hale", role="daughter"),),
    )
    values.update(overrides)
    return Involvement(**values)


def recommendation(**overrides: Any) -> c.MakeRecommendation:
    values: dict[str, Any] = dict(
        actor=CONSULTANT,
        form_type=FormType.RESPECT,
        cpr=CprRecommendation.DO_NOT_ATTEMPT_CPR,
        reason_category=ReasonCategory.WOULD_NOT_SUCCEED,
        reasoning=PERSONAL_REASONING,
        involvement=involved(),
        responsible_clinician=RESPONSIBLE,
        setting=Setting.HOSPITAL,
        review_due=date(2027, 2, 1),
    )
    values.update(overrides)
    return c.MakeRecommendation(**values)


def lacks_capacity(**overrides: Any) -> c.AssessCapacity:
    values: dict[str, Any] = dict(
        actor=CONSULTANT,
        decision=CapacityDecision.CPR_RECOMMENDATION,
        has_capacity=False,
        how_capacity_is_lacking="cannot retain or weigh information about CPR after repeated explanation",
    )
    values.update(overrides)
    return c.AssessCapacity(**values)


def attorney(**overrides: Any) -> c.RecordRepresentative:
    values: dict[str, Any] = dict(
        actor=GP,
        kind=RepresentativeKind.LPA_HEALTH_AND_WELFARE,
        name="Ann Hale",
        relationship="daughter",
        lpa_registered=True,
        lpa_covers_life_sustaining_treatment=True,
    )
    values.update(overrides)
    return c.RecordRepresentative(**values)


class Scenario:
    """given(commands...) then when(command): the events the rules produce, or the refusal they raise."""

    def __init__(self, policy: RecordPolicy | None = None, now: datetime = NOW) -> None:
        self.record = PersonRecord(record_id=uuid4())
        self.history: list[CareRecordEvent] = []
        self.context = Context(now=now, policy=policy or RecordPolicy())

    def given(self, *commands: c.Command) -> Scenario:
        for command in commands:
            self._apply(decide(self.record, command, self.context))
        return self

    def when(self, command: c.Command) -> list[CareRecordEvent]:
        events = decide(self.record, command, self.context)
        self._apply(events)
        return events

    def registered(self) -> Scenario:
        return self.given(register())

    def last(self, event_type: type[Any]) -> Any:
        return next(event for event in reversed(self.history) if isinstance(event, event_type))

    def plan_id(self) -> UUID:
        from carerecord_events.plans import RecommendationMade

        made: RecommendationMade = self.last(RecommendationMade)
        return made.plan_id

    def later(self, **delta: int) -> Scenario:
        from datetime import timedelta

        self.context = replace(self.context, now=self.context.now + timedelta(**delta))
        return self

    def _apply(self, events: list[CareRecordEvent]) -> None:
        for event in events:
            self.record = evolve(self.record, event)
            self.history.append(event)


def every_event_type_scenario() -> Scenario:
    """One record whose history holds at least one event of every person-record type in the catalogue."""
    from carerecord_events.plans import RecommendationMade
    from carerecord_events.vocabulary import ConcernRaisedBy, ReviewOutcome, RevocationInitiator

    scenario = Scenario().registered()
    scenario.given(
        c.StartCareRelationship(
            actor=CARE_HOME_MANAGER,
            organisation="VLAXL",
            setting=Setting.CARE_HOME,
            basis=RelationshipBasis.RESIDENT_OF_CARE_HOME,
        ),
        c.RecordConversation(
            actor=GP,
            participants=(Participant(name="Margaret Hale", role="the person"),),
            person_took_part=True,
            communication_support=("large print",),
            what_matters="being at home with her cat",
            information_given="what CPR involves and how often it works",
            information_format="easy read leaflet",
            views_expressed="does not want to go back to hospital",
        ),
        c.AssessCapacity(actor=GP, decision=CapacityDecision.CPR_RECOMMENDATION, has_capacity=True),
        attorney(),
        c.RecordAdvanceDecision(
            actor=GP,
            treatments_refused="intubation",
            refuses_cpr=False,
            made_on=date(2025, 1, 10),
            written=True,
            signed=True,
            witnessed=True,
            states_applies_even_if_life_at_risk=True,
            document_location="GP notes",
        ),
        recommendation(actor=REGISTRAR),
    )
    from carerecord_events.people import CareRelationshipStarted

    scenario.given(
        c.StartCareRelationship(
            actor=ADMINISTRATOR,
            organisation="RXF",
            setting=Setting.HOSPITAL,
            basis=RelationshipBasis.OTHER,
            basis_detail="outpatient clinic booked by her daughter",
        )
    )
    hospital = scenario.last(CareRelationshipStarted).relationship_id
    privacy_officer = Actor(user_id="icb-priya", role=Role.PRIVACY_OFFICER, organisation="QWE")
    scenario.given(
        c.ConfirmCareRelationship(actor=ADMINISTRATOR, organisation="RXF", relationship_id=hospital),
        c.ReviewCareRelationship(
            actor=privacy_officer, relationship_id=hospital, appropriate=True, notes="clinic letter on file"
        ),
    )
    plan_id = scenario.plan_id()
    representative_id = next(iter(scenario.record.representatives))
    adrt_id = next(iter(scenario.record.advance_decisions))
    scenario.given(
        c.EndorsePlan(actor=CONSULTANT, plan_id=plan_id, endorser_name="Dr Okafor"),
        c.CommunicateDecision(
            actor=GP, plan_id=plan_id, told=(Participant(name="Ann Hale", role="daughter"),)
        ),
        c.ReviewPlan(
            actor=GP,
            plan_id=plan_id,
            outcome=ReviewOutcome.CONFIRMED,
            reviewer_name="Dr Grey",
            person_involved=True,
            next_review_due=date(2027, 6, 1),
        ),
        recommendation(actor=GP, setting=Setting.GP_PRACTICE, supersedes_plan_id=plan_id),
    )
    newest = scenario.last(RecommendationMade)
    scenario.given(
        c.RecordCorrection(actor=GP, corrects_event_id=newest.event_id, correction="daughter is Anne"),
        c.RaiseConcern(
            actor=THE_PERSON,
            raised_by=ConcernRaisedBy.PERSON,
            summary="I was not asked",
            plan_id=newest.plan_id,
        ),
    )
    from carerecord_events.corrections import ConcernRaised

    concern = scenario.last(ConcernRaised)
    scenario.given(
        c.ResolveConcern(actor=ASSURANCE, concern_id=concern.concern_id, resolution="reviewed together"),
        c.RevokePlan(
            actor=GP,
            plan_id=newest.plan_id,
            reason="she asked for CPR",
            initiated=RevocationInitiator.PERSON_REQUEST,
        ),
        c.MarkEnteredInError(actor=GP, entry_event_id=concern.event_id, reason="raised on the wrong record"),
        c.WithdrawRepresentative(
            actor=GP, representative_id=representative_id, reason="LPA revoked by the court"
        ),
        c.WithdrawAdvanceDecision(actor=GP, advance_decision_id=adrt_id, reason="she changed her mind"),
        c.EndCareRelationship(actor=CARE_HOME_MANAGER, organisation="VLAXL", reason="moved to a hospice"),
        c.RecordDeath(
            actor=GP, date_of_death=date(2026, 10, 31), place_of_death="hospice", was_preferred_place=True
        ),
    )
    return scenario
