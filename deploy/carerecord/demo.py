"""The synthetic demo region: the register and population fixtures, thousands of people with conversations,
decisions, reviews, revocations, moves between settings, deaths and concerns, and one care home where a GP
applied one reasoning to every resident (the blanket decision the oversight views must catch).

Everything goes through the same use cases, rules and projections as real records. NHS numbers come from
999 000 0000 - 999 999 9999, a range that passes the modulus 11 check but is never issued to a patient (see
README, "The demo region"). The store is marked as demo; demo data is never loaded into a store holding
anything else."""

from __future__ import annotations

import random
import threading
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any
from uuid import UUID

from carerecord.bootstrap import Services
from carerecord_events.base import Actor, Clinician, Participant
from carerecord_events.corrections import ConcernRaised
from carerecord_events.people import EqualityMonitoring
from carerecord_events.plans import Involvement, RecommendationMade
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
from carerecord_projections.reference import (
    Organisation,
    parse_organisations,
    parse_population,
    replace_organisations,
    replace_population,
)
from carerecord_projections.store_marks import is_demo, mark_demo
from carerecord_services import commands as c
from carerecord_services.errors import DomainError

DEMO_SCHEMA = "carerecord_demo"
TEST_RANGE_START = 999_000_000  # the first nine digits of 999 000 0000
BLANKET_CARE_HOME = "VLAXP"
BLANKET_PRACTICE = "K81045"
BLANKET_RESIDENTS = 20  # the first people loaded live in the care home that got one reasoning for all
REFERENCE = resources.files("carerecord") / "reference"

GIVEN = {
    "female": ("Ada", "Beryl", "Cora", "Doris", "Edna", "Freda", "Gwen", "Hilda", "Iris", "Joan", "Kathleen",
               "Lilian", "Mabel", "Nora", "Olive", "Pearl", "Rita", "Sylvia", "Thelma", "Vera", "Winifred",
               "Amira", "Bisi", "Chen", "Deepa", "Grace", "Halima", "Mei", "Nia", "Priya", "Sadia"),
    "male": ("Albert", "Bernard", "Cyril", "Dennis", "Ernest", "Frank", "George", "Harold", "Ivor", "Jack",
             "Kenneth", "Leonard", "Maurice", "Norman", "Owen", "Percy", "Ronald", "Stanley", "Trevor", "Walter",
             "Abdul", "Chidi", "Darnell", "Hamid", "Kwame", "Li", "Rajesh", "Tariq", "Wei", "Yusuf"),
}  # fmt: skip
FAMILY = ("Abbott", "Baker", "Clarke", "Dawson", "Ellis", "Fletcher", "Gray", "Hughes", "Iqbal", "Jenkins",
          "Khan", "Lowe", "Mensah", "Norris", "Okafor", "Patel", "Quinn", "Reid", "Shah", "Turner", "Usman",
          "Vaughan", "Walsh", "Yates", "Zhang", "Adeyemi", "Begum", "Chowdhury", "Evans", "Murphy")  # fmt: skip
ETHNICITIES = (
    ("White", 0.82),
    ("Asian or Asian British", 0.08),
    ("Black, Black British, Caribbean or African", 0.04),
    ("Mixed or multiple", 0.03),
    ("Other ethnic group", 0.03),
)
FINDINGS = (
    "metastatic lung cancer with pleural effusions re-accumulating despite drainage",
    "end-stage heart failure with ejection fraction under 20 percent and daily breathlessness at rest",
    "advanced COPD needing home oxygen, three admissions for respiratory failure this winter",
    "end-stage renal failure, has chosen not to start dialysis after discussion",
    "motor neurone disease with bulbar weakness and recurrent aspiration",
    "metastatic prostate cancer with spinal cord compression and bone marrow failure",
    "liver cirrhosis with refractory ascites and two episodes of variceal bleeding",
    "advanced pancreatic cancer, jaundiced, sleeping most of the day",
    "severe aortic stenosis, declined valve replacement, syncope on exertion",
    "glioblastoma progressing after radiotherapy with reduced consciousness",
)  # fmt: skip
CONSEQUENCES = (
    "CPR would not restart the heart and would cause rib fractures and a distressing death",
    "a cardiac arrest would be the final stage of this illness and CPR would not succeed",
    "she has said clearly she does not want CPR and wants to die peacefully at home",
    "he has said he would not want to be resuscitated and his family agree",
    "CPR would not be successful given the extent of the disease",
)  # fmt: skip
WHAT_MATTERS = (
    "being at home with family",
    "staying in the care home where friends are",
    "being free of pain and breathlessness",
    "seeing grandchildren at weekends",
    "avoiding going back into hospital",
    "keeping the garden and the cat",
)  # fmt: skip
BLANKET_REASONING = (
    "{name} has multiple long term conditions and a poor baseline; following review of the notes CPR would not "
    "be successful and admission to hospital would not be appropriate, ceiling of care is the home"
)


@dataclass(frozen=True)
class DemoSummary:
    people: int
    commands: int
    refused: int
    seconds: float


class DemoRefused(Exception):
    """The store holds records that are not the demo region: loading would mix synthetic and real people."""


def test_range_nhs_numbers(start: int = TEST_RANGE_START) -> Iterator[str]:
    """Numbers from 999 000 0000 upwards that pass the modulus 11 check."""
    stem = start
    while stem <= 999_999_999:
        digits = f"{stem:09d}"
        check = (11 - sum(int(d) * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11) % 11
        if check != 10:
            yield digits + str(check)
        stem += 1


class Region:
    def __init__(self, organisations: list[Organisation]) -> None:
        by_setting: dict[tuple[str, str], list[str]] = {}
        for organisation in organisations:
            by_setting.setdefault((organisation.icb_code, organisation.setting), []).append(
                organisation.ods_code
            )
        self.by_setting = by_setting
        self.boards = sorted({organisation.icb_code for organisation in organisations})

    def pick(self, rng: random.Random, board: str, setting: str, avoid: str = "") -> str:
        choices = [code for code in self.by_setting.get((board, setting), []) if code != avoid]
        return rng.choice(choices)


def _clinicians(organisation: str, role: Role, rng: random.Random) -> Actor:
    number = rng.randrange(1, 4)
    registration = f"{zlib.crc32(f'{organisation}/{role.value}/{number}'.encode()) % 9_000_000 + 1_000_000}"
    names = {Role.GP: "Dr", Role.CONSULTANT: "Dr", Role.DOCTOR: "Dr"}
    return Actor(
        user_id=f"{role.value}-{number}@{organisation.lower()}",
        role=role,
        organisation=organisation,
        registration=registration,
        name=f"{names.get(role, '')} {FAMILY[(number * 7 + len(organisation)) % len(FAMILY)]}".strip(),
    )


def _clinician(actor: Actor) -> Clinician:
    return Clinician(
        name=actor.name or actor.user_id,
        role=actor.role,
        registration=actor.registration or "",
        user_id=actor.user_id,
    )


class _Clock:
    """One person's history: each step a little after the last, never later than now."""

    def __init__(self, start: datetime, now: datetime, rng: random.Random) -> None:
        self.at = start
        self.now = now
        self.rng = rng

    def step(self, days: float = 0.0, hours: float = 4.0) -> datetime:
        gap = timedelta(days=self.rng.uniform(0, days) if days else 0, hours=self.rng.uniform(0.5, hours))
        self.at = min(self.at + gap, self.now - timedelta(minutes=1))
        return self.at


class DemoLoader:
    def __init__(self, services: Services, now: datetime, seed: int = 2026) -> None:
        self.services = services
        self.now = now
        self.seed = seed
        organisations = parse_organisations((REFERENCE / "organisations.csv").read_text(encoding="utf-8"))
        self.organisations = organisations
        self.region = Region(organisations)
        self.commands = 0
        self.refused = 0
        self._lock = threading.Lock()

    def load(self, people: int, progress: Callable[[int, int], None], workers: int = 6) -> DemoSummary:
        started = datetime.now(UTC)
        dsn = self.services.read_models_dsn
        if self.services.store.last_position() > 0 and not is_demo(dsn):
            raise DemoRefused(
                "this store already holds records and is not marked as the demo region; demo data is only "
                "loaded into an empty store or an earlier demo store (set CARERECORD_SCHEMA to another schema)"
            )
        mark_demo(dsn, "synthetic demo region: NHS numbers from the 999 test range, names invented")
        replace_organisations(dsn, self.organisations)
        replace_population(dsn, parse_population((REFERENCE / "population.csv").read_text(encoding="utf-8")))
        numbers = test_range_nhs_numbers()
        skip = self._already_loaded()
        jobs = [(index, next(numbers)) for index in range(people)][skip:]
        done = skip
        progress(done, people)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for _ in pool.map(self._person, jobs):
                done += 1
                progress(done, people)
        seconds = (datetime.now(UTC) - started).total_seconds()
        return DemoSummary(
            people=people - skip, commands=self.commands, refused=self.refused, seconds=seconds
        )

    def _already_loaded(self) -> int:
        from carerecord_projections.database import transaction

        with transaction(self.services.read_models_dsn) as cursor:
            cursor.execute("SELECT count(*) FROM current_plan")
            count: int = cursor.fetchone()[0]
        return count

    def _run(self, record_id: UUID, command: c.Command) -> Any:
        try:
            result = self.services.care_records.execute(record_id, command)
        except DomainError:
            with self._lock:
                self.refused += 1
            return None
        with self._lock:
            self.commands += 1
        return result

    def _person(self, job: tuple[int, str]) -> None:
        index, nhs_number = job
        rng = random.Random(self.seed * 1_000_003 + index)  # noqa: S311 - synthetic data, not security
        in_blanket_home = index < BLANKET_RESIDENTS
        board = "QWE" if in_blanket_home or rng.random() < 0.6 else self.region.boards[-1]
        sex = "female" if rng.random() < 0.56 else "male"
        age = min(104, int(rng.triangular(45, 102, 86)))
        born = self.now.date() - timedelta(days=age * 365 + rng.randrange(0, 365))
        start = self.now - timedelta(days=rng.uniform(20, 240))
        clock = _Clock(start, self.now, rng)
        practice = BLANKET_PRACTICE if in_blanket_home else self.region.pick(rng, board, "gp-practice")
        gp = _clinicians(practice, Role.GP, rng)
        ethnicity = _weighted(rng, ETHNICITIES) if rng.random() < 0.9 else None
        registered = self._register(
            c.RegisterPerson(
                actor=gp,
                occurred_at=clock.step(),
                nhs_number=nhs_number,
                given_name=rng.choice(GIVEN[sex]),
                family_name=rng.choice(FAMILY),
                date_of_birth=born,
                postcode=f"ZZ{rng.randrange(1, 99)} {rng.randrange(1, 9)}ZZ",
                equality=EqualityMonitoring(
                    ethnicity=ethnicity,
                    sex=sex if rng.random() < 0.97 else None,
                    disability=_maybe(rng, 0.3, 0.85),
                    learning_disability=_maybe(rng, 0.03, 0.8),
                    autism=_maybe(rng, 0.01, 0.6),
                    dementia=_maybe(rng, 0.2 if age > 75 else 0.03, 0.85),
                ),
            )
        )
        if registered is None:
            return
        record_id, name = registered
        self._run(
            record_id,
            c.StartCareRelationship(
                actor=gp,
                occurred_at=clock.step(),
                organisation=practice,
                setting=Setting.GP_PRACTICE,
                basis=RelationshipBasis.REGISTERED_WITH_PRACTICE,
            ),
        )
        if in_blanket_home:
            self._blanket_resident(record_id, name, gp, rng)
            return
        if rng.random() < 0.7:
            self._run(
                record_id,
                c.RecordConversation(
                    actor=gp,
                    occurred_at=clock.step(days=10),
                    participants=(Participant(name=name, role="the person"),),
                    person_took_part=True,
                    what_matters=rng.choice(WHAT_MATTERS),
                    information_given="what CPR involves and how likely it is to work for them",
                    views_expressed=rng.choice(
                        (
                            "wants to be kept comfortable",
                            "wants every treatment offered",
                            "unsure, wants to talk to family",
                        )
                    ),
                ),
            )
        if rng.random() < 0.45:
            return  # no recommendation (yet): most people on the record have none
        hospital = rng.random() < 0.4
        if hospital:
            trust = self.region.pick(rng, board, "hospital")
            author = _clinicians(trust, Role.DOCTOR if rng.random() < 0.3 else Role.CONSULTANT, rng)
            self._run(
                record_id,
                c.StartCareRelationship(
                    actor=author,
                    occurred_at=clock.step(days=20),
                    organisation=trust,
                    setting=Setting.HOSPITAL,
                    basis=RelationshipBasis.ADMITTED,
                ),
            )
        else:
            author = gp
        recommended = self._recommend(
            record_id, name, author, Setting.HOSPITAL if hospital else Setting.GP_PRACTICE, clock, rng
        )
        if recommended is None:
            return
        made, made_version = recommended
        if made.needs_senior_endorsement and rng.random() < 0.7:
            senior = _clinicians(author.organisation, Role.CONSULTANT, rng)
            self._run(
                record_id,
                c.EndorsePlan(
                    actor=senior,
                    occurred_at=clock.step(days=2),
                    plan_id=made.plan_id,
                    endorser_name=senior.name or "",
                ),
            )
        if hospital and rng.random() < 0.6:
            self.services.audit.record_access(  # the GP practice looks at the hospital's decision
                gp,
                record_id,
                operation="person",
                purpose="direct care",
                granted=True,
                version_shown=made_version,
            )
        if rng.random() < 0.12:
            home = self.region.pick(rng, board, "care-home", avoid=BLANKET_CARE_HOME)
            manager = Actor(user_id=f"manager@{home.lower()}", role=Role.ADMINISTRATOR, organisation=home)
            self._run(
                record_id,
                c.StartCareRelationship(
                    actor=manager,
                    occurred_at=clock.step(days=30),
                    organisation=home,
                    setting=Setting.CARE_HOME,
                    basis=RelationshipBasis.RESIDENT_OF_CARE_HOME,
                ),
            )
        if rng.random() < 0.35:
            self._run(
                record_id,
                c.ReviewPlan(
                    actor=gp,
                    occurred_at=clock.step(days=60),
                    plan_id=made.plan_id,
                    outcome=ReviewOutcome.CONFIRMED,
                    reviewer_name=gp.name or "",
                    person_involved=rng.random() < 0.8,
                    next_review_due=(clock.at + timedelta(days=rng.randrange(90, 365))).date(),
                ),
            )
        if rng.random() < 0.05:
            self._run(
                record_id,
                c.RevokePlan(
                    actor=gp,
                    occurred_at=clock.step(days=20),
                    plan_id=made.plan_id,
                    reason="talked again with her and her family; she now wants CPR attempted",
                    initiated=RevocationInitiator.PERSON_REQUEST
                    if rng.random() < 0.6
                    else RevocationInitiator.CLINICAL,
                ),
            )
        if rng.random() < 0.04:
            raised = self._run(
                record_id,
                c.RaiseConcern(
                    actor=gp,
                    occurred_at=clock.step(days=10),
                    raised_by=rng.choice(list(ConcernRaisedBy)),
                    summary="the family were not told about the decision",
                    plan_id=made.plan_id,
                ),
            )
            concern = (
                next((e for e in raised.events if isinstance(e, ConcernRaised)), None) if raised else None
            )
            if concern is not None and rng.random() < 0.65:
                self._run(
                    record_id,
                    c.ResolveConcern(
                        actor=gp,
                        occurred_at=clock.step(days=14),
                        concern_id=concern.concern_id,
                        resolution="met the family and explained the decision",
                    ),
                )
        if rng.random() < 0.04:
            self._run(
                record_id,
                c.RecordDeath(
                    actor=gp,
                    occurred_at=clock.step(days=30),
                    date_of_death=clock.at.date(),
                    place_of_death=rng.choice(("home", "hospital", "care home", "hospice")),
                    was_preferred_place=rng.random() < 0.7,
                ),
            )

    def _register(self, command: c.RegisterPerson) -> tuple[UUID, str] | None:
        try:
            result = self.services.care_records.register_person(command)
        except DomainError:
            with self._lock:
                self.refused += 1
            return None
        with self._lock:
            self.commands += 1
        return result.record_id, f"{command.given_name} {command.family_name}"

    def _recommend(
        self, record_id: UUID, name: str, author: Actor, setting: Setting, clock: _Clock, rng: random.Random
    ) -> tuple[RecommendationMade, int] | None:
        attempt = rng.random() < 0.15
        lacks = not attempt and rng.random() < 0.12
        involvement = Involvement(
            route=InvolvementRoute.A_PERSON_WITH_CAPACITY,
            person_involved=True,
            consulted=(Participant(name="family member", role="daughter"),),
        )
        if lacks:
            self._run(
                record_id,
                c.AssessCapacity(
                    actor=author,
                    occurred_at=clock.step(),
                    decision=CapacityDecision.CPR_RECOMMENDATION,
                    has_capacity=False,
                    how_capacity_is_lacking="cannot retain information about CPR after repeated explanation",
                    assessor_name=author.name or "",
                ),
            )
            involvement = Involvement(
                route=InvolvementRoute.B_PERSON_LACKS_CAPACITY,
                person_involved=False,
                consulted=(Participant(name="family member", role="son"),),
                reason_person_not_involved="lacks capacity for this decision",
            )
        elif not attempt and rng.random() < 0.08:
            involvement = Involvement(
                route=InvolvementRoute.D_NOT_INVOLVED_WITH_REASON,
                person_involved=False,
                consulted=(Participant(name="family member", role="wife"),),
                reason_person_not_involved="too unwell to discuss on admission; to be discussed when able",
            )
        made_at = clock.step(days=20)
        result = self._run(
            record_id,
            c.MakeRecommendation(
                actor=author,
                occurred_at=made_at,
                form_type=rng.choice(
                    (FormType.RESPECT, FormType.RESPECT, FormType.DNACPR, FormType.TREATMENT_ESCALATION_PLAN)
                ),
                cpr=CprRecommendation.ATTEMPT_CPR if attempt else CprRecommendation.DO_NOT_ATTEMPT_CPR,
                reason_category=ReasonCategory.CPR_RECOMMENDED
                if attempt
                else ReasonCategory.WOULD_NOT_SUCCEED,
                reasoning=(
                    f"Recovering well from pneumonia and {rng.choice(WHAT_MATTERS)} matters to them; wants CPR attempted if the heart stops."
                    if attempt
                    else f"{rng.choice(FINDINGS).capitalize()}; {rng.choice(CONSEQUENCES)}."
                ),
                involvement=involvement,
                responsible_clinician=_clinician(author),
                setting=setting,
                what_matters=rng.choice(WHAT_MATTERS),
                review_due=(made_at + timedelta(days=rng.choice((30, 90, 90, 180, 365)))).date(),
            ),
        )
        if result is None:
            return None
        made = next(event for event in result.events if isinstance(event, RecommendationMade))
        return made, result.version

    def _blanket_resident(self, record_id: UUID, name: str, gp: Actor, rng: random.Random) -> None:
        """A care home where one GP put the same reasoning on every resident's form within two days."""
        day = self.now - timedelta(days=9)
        manager = Actor(
            user_id=f"manager@{BLANKET_CARE_HOME.lower()}",
            role=Role.ADMINISTRATOR,
            organisation=BLANKET_CARE_HOME,
        )
        self._run(
            record_id,
            c.StartCareRelationship(
                actor=manager,
                occurred_at=day - timedelta(days=40),
                organisation=BLANKET_CARE_HOME,
                setting=Setting.CARE_HOME,
                basis=RelationshipBasis.RESIDENT_OF_CARE_HOME,
            ),
        )
        self._run(
            record_id,
            c.MakeRecommendation(
                actor=gp,
                occurred_at=day + timedelta(hours=rng.uniform(0, 40)),
                form_type=FormType.DNACPR,
                cpr=CprRecommendation.DO_NOT_ATTEMPT_CPR,
                reason_category=ReasonCategory.WOULD_NOT_SUCCEED,
                reasoning=BLANKET_REASONING.format(name=name),
                involvement=Involvement(
                    route=InvolvementRoute.D_NOT_INVOLVED_WITH_REASON,
                    person_involved=False,
                    reason_person_not_involved="visiting restrictions in the home",
                    reason_no_one_consulted="visiting restrictions in the home",
                ),
                responsible_clinician=_clinician(gp),
                setting=Setting.CARE_HOME,
                review_due=(day + timedelta(days=365)).date(),
            ),
        )


def _weighted(rng: random.Random, choices: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([name for name, _ in choices], weights=[weight for _, weight in choices])[0]


def _maybe(rng: random.Random, share_yes: float, share_recorded: float) -> bool | None:
    if rng.random() > share_recorded:
        return None
    return rng.random() < share_yes
