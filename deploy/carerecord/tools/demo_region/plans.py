"""The plans in the demo region's stories: recommendations (after a capacity assessment where the person
lacks capacity), endorsements, reviews, revocations and concerns. Each draws from the person's own generator,
in a fixed order."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from uuid import UUID

from carerecord.tools.demo_region.people import (
    Person,
    clinician_at,
    responsible,
)
from carerecord.tools.demo_region.words import CONSEQUENCES, FINDINGS, FORMS, WHAT_MATTERS
from carerecord_events.base import Actor, Participant
from carerecord_events.plans import Involvement
from carerecord_events.roles import Role
from carerecord_events.vocabulary import (
    CapacityDecision,
    ConcernRaisedBy,
    CprRecommendation,
    FormType,
    InvolvementRoute,
    ReasonCategory,
    ReviewOutcome,
    RevocationInitiator,
    Setting,
)
from carerecord_services import commands as c


def capacity_assessment(author: Actor, at: datetime) -> c.AssessCapacity:
    return c.AssessCapacity(
        actor=author,
        occurred_at=at,
        decision=CapacityDecision.CPR_RECOMMENDATION,
        has_capacity=False,
        how_capacity_is_lacking="cannot retain information about CPR after repeated explanation",
        assessor_name=author.name or "",
    )


def recommendation(person: Person, author: Actor, setting: Setting) -> list[c.Command]:
    """The recommendation, after the capacity assessment it rests on when the person lacks capacity."""
    rng = person.rng
    attempt = rng.random() < 0.15
    lacks = not attempt and rng.random() < 0.12
    before: list[c.Command] = [capacity_assessment(author, person.clock.step())] if lacks else []
    involvement = _involvement(rng, attempt, lacks)
    made_at = person.clock.step(days=20)
    return [*before, _recommended(person, author, setting, attempt, involvement, made_at)]


def _involvement(rng: random.Random, attempt: bool, lacks: bool) -> Involvement:
    if lacks:
        return Involvement(
            route=InvolvementRoute.B_PERSON_LACKS_CAPACITY,
            person_involved=False,
            consulted=(Participant(name="family member", role="son"),),
            reason_person_not_involved="lacks capacity for this decision",
        )
    if not attempt and rng.random() < 0.08:
        return Involvement(
            route=InvolvementRoute.D_NOT_INVOLVED_WITH_REASON,
            person_involved=False,
            consulted=(Participant(name="family member", role="wife"),),
            reason_person_not_involved="too unwell to discuss on admission; to be discussed when able",
        )
    return Involvement(
        route=InvolvementRoute.A_PERSON_WITH_CAPACITY,
        person_involved=True,
        consulted=(Participant(name="family member", role="daughter"),),
    )


def _recommended(
    person: Person,
    author: Actor,
    setting: Setting,
    attempt: bool,
    involvement: Involvement,
    made_at: datetime,
) -> c.MakeRecommendation:
    rng = person.rng
    form = rng.choice(FORMS)
    if attempt and form is FormType.DNACPR:
        form = FormType.RESPECT  # a DNACPR form cannot recommend CPR
    return c.MakeRecommendation(
        actor=author,
        occurred_at=made_at,
        form_type=form,
        cpr=CprRecommendation.ATTEMPT_CPR if attempt else CprRecommendation.DO_NOT_ATTEMPT_CPR,
        reason_category=ReasonCategory.CPR_RECOMMENDED if attempt else ReasonCategory.WOULD_NOT_SUCCEED,
        reasoning=_reasoning(rng, attempt),
        involvement=involvement,
        responsible_clinician=responsible(author),
        setting=setting,
        what_matters=rng.choice(WHAT_MATTERS),
        review_due=(made_at + timedelta(days=rng.choice((30, 90, 90, 180, 365)))).date(),
    )


def _reasoning(rng: random.Random, attempt: bool) -> str:
    if attempt:
        return (
            f"Recovering well from pneumonia and {rng.choice(WHAT_MATTERS)} matters to them; wants CPR "
            "attempted if the heart stops."
        )
    return f"{rng.choice(FINDINGS).capitalize()}; {rng.choice(CONSEQUENCES)}."


def endorsement(person: Person, author: Actor, plan_id: UUID) -> c.EndorsePlan:
    senior = clinician_at(author.organisation, Role.CONSULTANT, person.rng)
    return c.EndorsePlan(
        actor=senior,
        occurred_at=person.clock.step(days=2),
        plan_id=plan_id,
        endorser_name=senior.name or "",
    )


def review(person: Person, plan_id: UUID) -> c.ReviewPlan:
    rng = person.rng
    return c.ReviewPlan(
        actor=person.gp,
        occurred_at=person.clock.step(days=60),
        plan_id=plan_id,
        outcome=ReviewOutcome.CONFIRMED,
        reviewer_name=person.gp.name or "",
        person_involved=rng.random() < 0.8,
        next_review_due=(person.clock.at + timedelta(days=rng.randrange(90, 365))).date(),
    )


def revocation(person: Person, plan_id: UUID) -> c.RevokePlan:
    at = person.clock.step(days=20)
    asked = person.rng.random() < 0.6  # most revocations are the person's own request
    return c.RevokePlan(
        actor=person.gp,
        occurred_at=at,
        plan_id=plan_id,
        reason="talked again with her and her family; she now wants CPR attempted",
        initiated=RevocationInitiator.PERSON_REQUEST if asked else RevocationInitiator.CLINICAL,
    )


def concern(person: Person, plan_id: UUID) -> c.RaiseConcern:
    return c.RaiseConcern(
        actor=person.gp,
        occurred_at=person.clock.step(days=10),
        raised_by=person.rng.choice(list(ConcernRaisedBy)),
        summary="the family were not told about the decision",
        plan_id=plan_id,
    )


def resolution(person: Person, concern_id: UUID) -> c.ResolveConcern:
    return c.ResolveConcern(
        actor=person.gp,
        occurred_at=person.clock.step(days=14),
        concern_id=concern_id,
        resolution="met the family and explained the decision",
    )
