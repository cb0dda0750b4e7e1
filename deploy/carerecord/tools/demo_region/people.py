"""The synthetic people of the demo region: invented names, NHS numbers from the 999 test range, the
clinicians who care for them, and each step of their stories as a use-case command.

Every draw comes from one person's own seeded random generator, in a fixed order, so that a region loaded
twice holds the same people with the same histories."""

from __future__ import annotations

import random
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

from carerecord.tools.demo_region.words import (
    BLANKET_REASONING,
    CONSEQUENCES,
    ETHNICITIES,
    FAMILY,
    FINDINGS,
    FORMS,
    GIVEN,
    VIEWS,
    WHAT_MATTERS,
)
from carerecord_events.base import Actor, Clinician, Participant
from carerecord_events.people import EqualityMonitoring
from carerecord_events.plans import Involvement
from carerecord_events.roles import Role
from carerecord_events.vocabulary import (
    CapacityDecision,
    ConcernRaisedBy,
    CprRecommendation,
    FormType,
    InvolvementRoute,
    ReasonCategory,
    RelationshipBasis,
    ReviewOutcome,
    RevocationInitiator,
    Setting,
)
from carerecord_projections.reference import Organisation
from carerecord_services import commands as c

TEST_RANGE_START = 999_000_000  # the first nine digits of 999 000 0000
BLANKET_CARE_HOME = "VLAXP"
BLANKET_PRACTICE = "K81045"
BLANKET_RESIDENTS = 20  # the first people loaded live in the care home that got one reasoning for all
HOME_BOARD = "QWE"  # the board most people, and the blanket care home, belong to


def test_range_nhs_numbers(start: int = TEST_RANGE_START) -> Iterator[str]:
    """Numbers from 999 000 0000 upwards that pass the modulus 11 check."""
    return (number for number in map(_with_check_digit, range(start, 1_000_000_000)) if number)


def _with_check_digit(stem: int) -> str:
    """The ten-digit NHS number for a nine-digit stem, or "" for a stem no number can have (check digit 10)."""
    digits = f"{stem:09d}"
    check = (11 - sum(int(d) * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11) % 11
    return digits + str(check) if check != 10 else ""


class Region:
    """The organisations of the register, by board and setting."""

    def __init__(self, organisations: list[Organisation]) -> None:
        by_setting: dict[tuple[str, str], list[str]] = {}
        for organisation in organisations:
            key = (organisation.icb_code, organisation.setting)
            by_setting.setdefault(key, []).append(organisation.ods_code)
        self.by_setting = by_setting
        self.boards = sorted({organisation.icb_code for organisation in organisations})

    def pick(self, rng: random.Random, board: str, setting: str, avoid: str = "") -> str:
        choices = [code for code in self.by_setting.get((board, setting), []) if code != avoid]
        return rng.choice(choices)


def clinician_at(organisation: str, role: Role, rng: random.Random) -> Actor:
    """One of three invented clinicians of that role at that organisation, each with a stable registration."""
    number = rng.randrange(1, 4)
    registration = f"{zlib.crc32(f'{organisation}/{role.value}/{number}'.encode()) % 9_000_000 + 1_000_000}"
    title = "Dr" if role in (Role.GP, Role.CONSULTANT, Role.DOCTOR) else ""
    return Actor(
        user_id=f"{role.value}-{number}@{organisation.lower()}",
        role=role,
        organisation=organisation,
        registration=registration,
        name=f"{title} {FAMILY[(number * 7 + len(organisation)) % len(FAMILY)]}".strip(),
    )


def responsible(actor: Actor) -> Clinician:
    return Clinician(
        name=actor.name or actor.user_id,
        role=actor.role,
        registration=actor.registration or "",
        user_id=actor.user_id,
    )


class Clock:
    """One person's history: each step a little after the last, never later than now."""

    def __init__(self, start: datetime, now: datetime, rng: random.Random) -> None:
        self.at = start
        self.now = now
        self.rng = rng

    def step(self, days: float = 0.0, hours: float = 4.0) -> datetime:
        gap = timedelta(days=self.rng.uniform(0, days) if days else 0, hours=self.rng.uniform(0.5, hours))
        self.at = min(self.at + gap, self.now - timedelta(minutes=1))
        return self.at


@dataclass
class Person:
    """One synthetic person as first drawn: where they live, who their GP is, and their own generator."""

    nhs_number: str
    rng: random.Random
    clock: Clock
    in_blanket_home: bool
    board: str
    sex: str
    age: int
    born: date
    practice: str
    gp: Actor
    ethnicity: str | None
    name: str = ""  # once registered


def drawn(index: int, nhs_number: str, seed: int, region: Region, now: datetime) -> Person:
    rng = random.Random(seed * 1_000_003 + index)  # noqa: S311 - synthetic data, not security
    in_blanket_home = index < BLANKET_RESIDENTS
    board = HOME_BOARD if in_blanket_home or rng.random() < 0.6 else region.boards[-1]
    sex = "female" if rng.random() < 0.56 else "male"
    age = min(104, int(rng.triangular(45, 102, 86)))
    born = now.date() - timedelta(days=age * 365 + rng.randrange(0, 365))
    clock = Clock(now - timedelta(days=rng.uniform(20, 240)), now, rng)
    practice = BLANKET_PRACTICE if in_blanket_home else region.pick(rng, board, "gp-practice")
    gp = clinician_at(practice, Role.GP, rng)
    ethnicity = _weighted(rng, ETHNICITIES) if rng.random() < 0.9 else None
    return Person(nhs_number, rng, clock, in_blanket_home, board, sex, age, born, practice, gp, ethnicity)


def registration(person: Person) -> c.RegisterPerson:
    rng = person.rng
    return c.RegisterPerson(
        actor=person.gp,
        occurred_at=person.clock.step(),
        nhs_number=person.nhs_number,
        given_name=rng.choice(GIVEN[person.sex]),
        family_name=rng.choice(FAMILY),
        date_of_birth=person.born,
        postcode=f"ZZ{rng.randrange(1, 99)} {rng.randrange(1, 9)}ZZ",
        equality=_equality(person),
    )


def _equality(person: Person) -> EqualityMonitoring:
    rng = person.rng
    return EqualityMonitoring(
        ethnicity=person.ethnicity,
        sex=person.sex if rng.random() < 0.97 else None,
        disability=_maybe(rng, 0.3, 0.85),
        learning_disability=_maybe(rng, 0.03, 0.8),
        autism=_maybe(rng, 0.01, 0.6),
        dementia=_maybe(rng, 0.2 if person.age > 75 else 0.03, 0.85),
    )


def care_relationship(
    actor: Actor, at: datetime, setting: Setting, basis: RelationshipBasis
) -> c.StartCareRelationship:
    """The actor's own organisation starts caring for the person."""
    return c.StartCareRelationship(
        actor=actor, occurred_at=at, organisation=actor.organisation, setting=setting, basis=basis
    )


def manager_of(home: str) -> Actor:
    return Actor(user_id=f"manager@{home.lower()}", role=Role.ADMINISTRATOR, organisation=home)


def conversation(person: Person) -> c.RecordConversation:
    rng = person.rng
    return c.RecordConversation(
        actor=person.gp,
        occurred_at=person.clock.step(days=10),
        participants=(Participant(name=person.name, role="the person"),),
        person_took_part=True,
        what_matters=rng.choice(WHAT_MATTERS),
        information_given="what CPR involves and how likely it is to work for them",
        views_expressed=rng.choice(VIEWS),
    )


def admission(person: Person, region: Region) -> c.StartCareRelationship:
    """Admitted to one of the board's hospitals, under a doctor or consultant there (the recommendation's
    author)."""
    trust = region.pick(person.rng, person.board, "hospital")
    role = Role.DOCTOR if person.rng.random() < 0.3 else Role.CONSULTANT
    author = clinician_at(trust, role, person.rng)
    return care_relationship(author, person.clock.step(days=20), Setting.HOSPITAL, RelationshipBasis.ADMITTED)


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
    return c.MakeRecommendation(
        actor=author,
        occurred_at=made_at,
        form_type=rng.choice(FORMS),
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


def move_to_a_care_home(person: Person, region: Region) -> c.StartCareRelationship:
    home = region.pick(person.rng, person.board, "care-home", avoid=BLANKET_CARE_HOME)
    at = person.clock.step(days=30)
    return care_relationship(manager_of(home), at, Setting.CARE_HOME, RelationshipBasis.RESIDENT_OF_CARE_HOME)


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
    return c.RevokePlan(
        actor=person.gp,
        occurred_at=person.clock.step(days=20),
        plan_id=plan_id,
        reason="talked again with her and her family; she now wants CPR attempted",
        initiated=RevocationInitiator.PERSON_REQUEST
        if person.rng.random() < 0.6
        else RevocationInitiator.CLINICAL,
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


def death(person: Person) -> c.RecordDeath:
    rng = person.rng
    return c.RecordDeath(
        actor=person.gp,
        occurred_at=person.clock.step(days=30),
        date_of_death=person.clock.at.date(),
        place_of_death=rng.choice(("home", "hospital", "care home", "hospice")),
        was_preferred_place=rng.random() < 0.7,
    )


def blanket_resident(person: Person, now: datetime) -> list[c.Command]:
    """A care home where one GP put the same reasoning on every resident's form within two days."""
    day = now - timedelta(days=9)
    moved_in = day - timedelta(days=40)
    manager = manager_of(BLANKET_CARE_HOME)
    return [
        care_relationship(manager, moved_in, Setting.CARE_HOME, RelationshipBasis.RESIDENT_OF_CARE_HOME),
        c.MakeRecommendation(
            actor=person.gp,
            occurred_at=day + timedelta(hours=person.rng.uniform(0, 40)),
            form_type=FormType.DNACPR,
            cpr=CprRecommendation.DO_NOT_ATTEMPT_CPR,
            reason_category=ReasonCategory.WOULD_NOT_SUCCEED,
            reasoning=BLANKET_REASONING.format(name=person.name),
            involvement=Involvement(
                route=InvolvementRoute.D_NOT_INVOLVED_WITH_REASON,
                person_involved=False,
                reason_person_not_involved="visiting restrictions in the home",
                reason_no_one_consulted="visiting restrictions in the home",
            ),
            responsible_clinician=responsible(person.gp),
            setting=Setting.CARE_HOME,
            review_due=(day + timedelta(days=365)).date(),
        ),
    ]


def _weighted(rng: random.Random, choices: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([name for name, _ in choices], weights=[weight for _, weight in choices])[0]


def _maybe(rng: random.Random, share_yes: float, share_recorded: float) -> bool | None:
    if rng.random() > share_recorded:
        return None
    return rng.random() < share_yes
