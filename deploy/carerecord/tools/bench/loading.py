"""Loading large stores fast: real, valid, hash-chained events, decided by the record's own rules.

The use cases load a record before each command, which is right for one person and slow for a hundred thousand.
Here each person's commands are decided against their record as it grows in memory (the same `decide`, the same
`evolve`), chained with the store's own `chain`, and handed to the group writer in batches of many people from
several threads. Nothing is written that the use cases would refuse: `carerecord verify` passes on the result.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

from eventsourcing.persistence import StoredEvent

from carerecord.bootstrap import Services
from carerecord.tools.bench.common import CLINICIAN, GP, recommendation, synthetic_nhs_numbers
from carerecord_events.base import Actor, CareRecordEvent, Participant
from carerecord_events.people import NhsNumberIndexed
from carerecord_events.record.evolve import evolve
from carerecord_events.record.state import PersonRecord
from carerecord_events.vocabulary import RelationshipBasis, ReviewOutcome, Setting
from carerecord_services import commands as c
from carerecord_services.chain import GENESIS
from carerecord_services.decisions import Context, decide
from carerecord_services.policy import RecordPolicy
from carerecord_services.service import CareRecordService
from carerecord_services.store import EventStore, LoadedRecord

Clock = Callable[[], datetime]
POLICY = RecordPolicy()  # built once, as the service builds it: it compiles the reasoning screen's patterns


@dataclass(frozen=True)
class Person:
    record_id: UUID
    nhs_number: str


def decided(
    record: PersonRecord, commands: Sequence[c.Command], clock: Clock
) -> tuple[PersonRecord, list[CareRecordEvent]]:
    """Each command decided against the record as the ones before it left it."""
    events: list[CareRecordEvent] = []
    for command in commands:
        for event in decide(record, command, Context(now=clock(), policy=POLICY)):
            record = evolve(record, event)
            events.append(event)
    return record, events


def person_commands(number: str, index: int, recommend: bool) -> list[c.Command]:
    """Registration, the bench GP practice's care relationship and, for some, a DNACPR recommendation."""
    commands: list[c.Command] = [
        c.RegisterPerson(
            actor=GP,
            nhs_number=number,
            given_name="Bench",
            family_name=f"Person{index % 997}",
            date_of_birth=date(1930 + index % 60, 1 + index % 12, 1 + index % 28),
            postcode="NG1 1AA",
        ),
        c.StartCareRelationship(
            actor=GP,
            organisation=GP.organisation,
            setting=Setting.GP_PRACTICE,
            basis=RelationshipBasis.REGISTERED_WITH_PRACTICE,
        ),
    ]
    if recommend:
        commands.append(recommendation())
    return commands


def stored_person(
    store: EventStore, service: CareRecordService, number: str, index: int, recommend: bool, clock: Clock
) -> tuple[Person, list[StoredEvent]]:
    """One person's events and their NHS number index entry, chained as `register_person` chains them."""
    record_id = uuid4()
    _, events = decided(PersonRecord(record_id=record_id), person_commands(number, index, recommend), clock)
    index_id = service.nhs_number_index_id(number)
    indexed = NhsNumberIndexed(
        event_id=uuid4(),
        record_id=index_id,
        occurred_at=events[0].recorded_at,
        recorded_at=events[0].recorded_at,
        recorded_by=Actor(user_id="carerecord", role=GP.role, organisation=GP.organisation),
        person_record_id=record_id,
    )
    stored = store.chain(LoadedRecord(record_id, [], 0, GENESIS), events)
    stored += store.chain(LoadedRecord(index_id, [], 0, GENESIS), [indexed])
    return Person(record_id, number), stored


def load_people(
    services: Services,
    count: int,
    *,
    first_number: int,
    recommend_every: int = 2,
    threads: int = 4,
    batch: int = 250,
) -> list[Person]:
    """`count` people through the group writer, from `threads` threads, `batch` people per append."""
    store, service, writer = services.store, services.care_records, services.writer
    numbers = list(synthetic_nhs_numbers(count, start=first_number))
    people: list[Person] = []
    lock = threading.Lock()
    failures: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            for start in range(offset * batch, count, threads * batch):
                built = [
                    stored_person(store, service, numbers[i], i, i % recommend_every == 0, _now)
                    for i in range(start, min(start + batch, count))
                ]
                writer.append([event for _, stored in built for event in stored], timeout=300)
                with lock:
                    people.extend(person for person, _ in built)
        except BaseException as error:  # surfaced below, in the caller's thread
            failures.append(error)

    workers = [threading.Thread(target=work, args=(offset,)) for offset in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if failures:
        raise failures[0]
    return people


def load_events(services: Services, events: int, *, first_number: int, threads: int = 4) -> int:
    """About `events` store positions (people of 2 or 3 events and their index entries); returns how many."""
    # 3 or 4 positions a person (registration, care relationship, a recommendation for every other, the index
    # entry): 3.5 on average
    people = max(1, round(events / 3.5))
    load_people(services, people, first_number=first_number, threads=threads)
    return services.store.last_position()


def long_history(
    services: Services, number: str, events: int, *, chunk: int = 200
) -> tuple[UUID, datetime, datetime]:
    """One person whose record holds `events` events, recorded one every 6 hours up to now: registration, care
    relationship, a recommendation, then conversations with the occasional review. Returns the record id and
    the span of instants it covers."""
    record_id = uuid4()
    first = datetime.now(UTC) - timedelta(hours=6 * events)
    ticks: Iterator[datetime] = (first + timedelta(hours=6 * n) for n in range(events + 10))

    def clock() -> datetime:
        return next(ticks)

    def commands() -> Iterator[c.Command]:
        yield from person_commands(number, 0, recommend=True)
        while True:
            yield c.RecordConversation(
                actor=GP,
                participants=(Participant(name="Bench Person", role="the person"),),
                person_took_part=True,
                what_matters="being at home",
            )

    record = PersonRecord(record_id=record_id)
    loaded = LoadedRecord(record_id, [], 0, GENESIS)
    source = commands()
    store, writer = services.store, services.writer
    while record.version < events:
        pending: list[CareRecordEvent] = []
        while record.version < events and len(pending) < chunk:
            command = next(source)
            if isinstance(command, c.RecordConversation) and record.version % 25 == 0 and record.plans:
                plan = next(iter(record.plans))
                command = c.ReviewPlan(
                    actor=GP,
                    plan_id=plan,
                    outcome=ReviewOutcome.CONFIRMED,
                    reviewer_name=CLINICIAN.name,
                    next_review_due=date.today() + timedelta(days=180),
                )
            record, new = decided(record, [command], clock)
            pending += new
        stored = store.chain(loaded, pending)
        writer.append(stored)
        head = store.mapper.to_chained_event(stored[-1])
        loaded = LoadedRecord(record_id, [], head.originator_version, head.hash)
    return record_id, first, first + timedelta(hours=6 * events)


def _now() -> datetime:
    return datetime.now(UTC)


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started
