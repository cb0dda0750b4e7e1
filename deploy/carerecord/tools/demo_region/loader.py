"""Loading the demo region: the register and population fixtures, then each synthetic person's story through
the use cases, from several threads; a store holding anything but the demo region is refused."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any
from uuid import UUID

from carerecord.bootstrap import Services, build_register
from carerecord.tools.demo_region import blanket, plans
from carerecord.tools.demo_region import people as p
from carerecord_events.base import Actor
from carerecord_events.corrections import ConcernRaised
from carerecord_events.plans import RecommendationMade
from carerecord_events.roles import Role
from carerecord_events.vocabulary import RelationshipBasis, Setting
from carerecord_projections.reference import (
    parse_organisations,
    parse_population,
    replace_organisations,
    replace_population,
)
from carerecord_projections.store_marks import is_demo, mark_demo
from carerecord_services import commands as c
from carerecord_services.errors import DomainError
from carerecord_services.urgent_care import GrantUrgentCareSharing

DEMO_SCHEMA = "carerecord_demo"
REFERENCE = resources.files("carerecord") / "reference"
SEEN_BY_THE_PRACTICE: dict[str, Any] = {"operation": "person", "purpose": "direct care", "granted": True}


@dataclass(frozen=True)
class DemoSummary:
    people: int  # added by this load
    commands: int
    refused: int
    seconds: float
    already: int = 0  # the region's people that an earlier load had added


class DemoRefused(Exception):
    """The store holds records that are not the demo region: loading would mix synthetic and real people."""


class DemoLoader:
    def __init__(self, services: Services, now: datetime, seed: int = 2026) -> None:
        self.services = services
        self.now = now
        self.seed = seed
        self.organisations = parse_organisations(_fixture("organisations.csv"))
        self.region = p.Region(self.organisations)
        self.commands = 0
        self.refused = 0
        self._lock = threading.Lock()

    def load(self, people: int, progress: Callable[[int, int], None], workers: int = 6) -> DemoSummary:
        started = datetime.now(UTC)
        self._mark_and_register()
        numbers = p.test_range_nhs_numbers()
        every = [(index, next(numbers)) for index in range(people)]
        # the region's own people, by NHS number: someone else registered (the README's walkthrough) is not one
        loaded = self._already_loaded([number for _, number in every])
        jobs = [job for job in every if job[1] not in loaded]
        done = people - len(jobs)
        progress(done, people)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for _ in pool.map(self._person, jobs):
                done += 1
                progress(done, people)
        seconds = (datetime.now(UTC) - started).total_seconds()
        return DemoSummary(len(jobs), self.commands, self.refused, seconds, already=people - len(jobs))

    def _mark_and_register(self) -> None:
        dsn = self.services.read_models_dsn
        if self.services.store.last_position() > 0 and not is_demo(dsn):
            raise DemoRefused(
                "this store already holds records and is not marked as the demo region; demo data is only "
                "loaded into an empty store or an earlier demo store (set CARERECORD_SCHEMA to another schema)"
            )
        mark_demo(dsn, "synthetic demo region: NHS numbers from the 999 test range, names invented")
        replace_organisations(dsn, self.organisations)
        replace_population(dsn, parse_population(_fixture("population.csv")))
        self._share_with_the_ambulance_service()

    def _share_with_the_ambulance_service(self) -> None:
        """Board QWE has granted its ambulance service (RX9) the region's plans in force, once."""
        if "RX9" in self.services.audit.urgent_care_sharing().granted:
            return
        administrator = Actor(user_id="icb-admin-sam", role=Role.ADMINISTRATOR, organisation="QWE")
        grant = GrantUrgentCareSharing(
            administrator, "RX9", "ambulance crews meet people in a crisis and need every plan in force"
        )
        self.services.audit.grant_urgent_care_sharing(grant, build_register(self.services.read_models_dsn))

    def _already_loaded(self, numbers: list[str]) -> set[str]:
        from carerecord_projections.database import transaction

        with transaction(self.services.read_models_dsn) as cursor:
            cursor.execute("SELECT nhs_number FROM current_plan WHERE nhs_number = ANY(%s)", (numbers,))
            return {row[0] for row in cursor.fetchall()}

    def _counted(self, run: Callable[[], Any]) -> Any:
        """The use case's result, or None when the rules refused it; both are counted."""
        try:
            result = run()
        except DomainError:
            with self._lock:
                self.refused += 1
            return None
        with self._lock:
            self.commands += 1
        return result

    def _run(self, record_id: UUID, command: c.Command) -> Any:
        return self._counted(lambda: self.services.care_records.execute(record_id, command))

    def _person(self, job: tuple[int, str]) -> None:
        person = p.drawn(*job, self.seed, self.region, self.now)
        command = p.registration(person)
        registered = self._counted(lambda: self.services.care_records.register_person(command))
        if registered is None:
            return
        record_id = registered.record_id
        person.name = f"{command.given_name} {command.family_name}"
        at = person.clock.step()
        self._run(
            record_id,
            p.care_relationship(
                person.gp, at, Setting.GP_PRACTICE, RelationshipBasis.REGISTERED_WITH_PRACTICE
            ),
        )
        if person.in_blanket_home:
            for step in blanket.blanket_resident(person, self.now):
                self._run(record_id, step)
            return
        if person.rng.random() < 0.7:
            self._run(record_id, p.conversation(person))
        if person.rng.random() < 0.45:
            return  # no recommendation (yet): most people on the record have none
        self._plan(person, record_id)

    def _plan(self, person: p.Person, record_id: UUID) -> None:
        """A recommendation by the GP, or by a hospital the person is admitted to, and what follows it."""
        hospital = person.rng.random() < 0.4
        author = person.gp
        if hospital:
            admitted = p.admission(person, self.region)
            author = admitted.actor
            self._run(record_id, admitted)
        result = None
        for step in plans.recommendation(
            person, author, Setting.HOSPITAL if hospital else Setting.GP_PRACTICE
        ):
            result = self._run(record_id, step)
        if result is None:
            return
        made = next(event for event in result.events if isinstance(event, RecommendationMade))
        self._endorsed(person, record_id, author, made)
        if hospital and person.rng.random() < 0.6:
            self._seen_by_the_practice(person, record_id, result.version)
        self._afterwards(person, record_id, made.plan_id)

    def _endorsed(self, person: p.Person, record_id: UUID, author: Any, made: RecommendationMade) -> None:
        if made.needs_senior_endorsement and person.rng.random() < 0.7:
            self._run(record_id, plans.endorsement(person, author, made.plan_id))

    def _seen_by_the_practice(self, person: p.Person, record_id: UUID, version: int) -> None:
        """The GP practice looks at the hospital's decision."""
        self.services.audit.record_access(person.gp, record_id, version_shown=version, **SEEN_BY_THE_PRACTICE)

    def _afterwards(self, person: p.Person, record_id: UUID, plan_id: UUID) -> None:
        """Some move into a care home; some plans are reviewed, revoked or questioned; some people die."""
        rng = person.rng
        if rng.random() < 0.12:
            self._run(record_id, p.move_to_a_care_home(person, self.region))
        if rng.random() < 0.35:
            self._run(record_id, plans.review(person, plan_id))
        if rng.random() < 0.05:
            self._run(record_id, plans.revocation(person, plan_id))
        if rng.random() < 0.04:
            self._concern(person, record_id, plan_id)
        if rng.random() < 0.04:
            self._run(record_id, p.death(person))

    def _concern(self, person: p.Person, record_id: UUID, plan_id: UUID) -> None:
        raised = self._run(record_id, plans.concern(person, plan_id))
        concern = next((e for e in raised.events if isinstance(e, ConcernRaised)), None) if raised else None
        if concern is not None and person.rng.random() < 0.65:
            self._run(record_id, plans.resolution(person, concern.concern_id))


def _fixture(name: str) -> str:
    return (REFERENCE / name).read_text(encoding="utf-8")
