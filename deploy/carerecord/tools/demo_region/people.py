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

from carerecord.tools.demo_region.words import (
    ETHNICITIES,
    FAMILY,
    GIVEN,
    VIEWS,
    WHAT_MATTERS,
)
from carerecord_events.base import Actor, Clinician, Participant
from carerecord_events.people import EqualityMonitoring
from carerecord_events.roles import Role
from carerecord_events.vocabulary import RelationshipBasis, Setting
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


def move_to_a_care_home(person: Person, region: Region) -> c.StartCareRelationship:
    home = region.pick(person.rng, person.board, "care-home", avoid=BLANKET_CARE_HOME)
    at = person.clock.step(days=30)
    return care_relationship(manager_of(home), at, Setting.CARE_HOME, RelationshipBasis.RESIDENT_OF_CARE_HOME)


def death(person: Person) -> c.RecordDeath:
    rng = person.rng
    return c.RecordDeath(
        actor=person.gp,
        occurred_at=person.clock.step(days=30),
        date_of_death=person.clock.at.date(),
        place_of_death=rng.choice(("home", "hospital", "care home", "hospice")),
        was_preferred_place=rng.random() < 0.7,
    )


def _weighted(rng: random.Random, choices: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([name for name, _ in choices], weights=[weight for _, weight in choices])[0]


def _maybe(rng: random.Random, share_yes: float, share_recorded: float) -> bool | None:
    if rng.random() > share_recorded:
        return None
    return rng.random() < share_yes
