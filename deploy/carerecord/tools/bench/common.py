"""What every scenario shares: the Row, synthetic people and commands, timing helpers."""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg2
import psycopg2.extras

from carerecord.bootstrap import Feeding, Services
from carerecord.settings import DatabaseLocation, KafkaSettings, Settings
from carerecord_events.base import Actor, Clinician
from carerecord_events.plans import Involvement
from carerecord_events.roles import Role
from carerecord_events.vocabulary import (
    CprRecommendation,
    FormType,
    InvolvementRoute,
    ReasonCategory,
    Setting,
)
from carerecord_projections.database import transaction
from carerecord_services import commands as c

BENCH_INDEX_KEY = b"bench-index-key-000000"
"""The keyed hash that links an NHS number to its record, shared by the bench's loaders and its API server (the
server finds a record by its NHS number through that index)."""
GP = Actor(user_id="bench-gp", role=Role.GP, organisation="K81003", registration="2345678")
CLINICIAN = Clinician(name="Dr Bench", role=Role.GP, registration="2345678")
REASONING = (
    "Metastatic pancreatic cancer with liver involvement, bilirubin rising despite stenting; "
    "CPR would not restart the heart."
)


@dataclass(frozen=True)
class Sizes:
    """How big each scenario runs. The defaults are the full run's; `quick()` is CI's smoke run."""

    write_seconds: float = 10.0
    commands: int = 1000
    rebuild_sizes: tuple[int, ...] = (10_000, 100_000)
    relay_size: int = 100_000  # the relay is compared at this size (the largest rebuild size up to it)
    people: int = 100_000
    read_seconds: float = 20.0
    history_events: int = 1000
    history_reads: int = 200
    subscription_changes: int = 200

    @classmethod
    def quick(cls) -> Sizes:
        return cls(
            write_seconds=1.0,
            commands=100,
            rebuild_sizes=(1_000, 3_000),
            relay_size=3_000,
            people=1_000,
            read_seconds=2.0,
            history_events=300,
            history_reads=20,
            subscription_changes=10,
        )

    @classmethod
    def chosen(cls, quick: bool, rebuild_sizes: tuple[int, ...] | None, people: int | None) -> Sizes:
        """The full run's sizes or the quick one's, with the rebuild sizes and people asked for."""
        sizes = cls.quick() if quick else cls()
        if rebuild_sizes:
            relay_size = min(max(rebuild_sizes), 100_000)
            sizes = dataclasses.replace(sizes, rebuild_sizes=rebuild_sizes, relay_size=relay_size)
        if people:
            sizes = dataclasses.replace(sizes, people=people)
        return sizes


@dataclass(frozen=True)
class Row:
    scenario: str
    measure: str
    carerecord: float
    baseline: float
    unit: str
    target: str

    @property
    def ratio(self) -> float:
        return self.carerecord / self.baseline if self.baseline else float("nan")


def synthetic_nhs_numbers(count: int, start: int = 900_000_000) -> Iterator[str]:
    stem = start
    produced = 0
    while produced < count:
        digits = f"{stem:09d}"
        check = (11 - sum(int(d) * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11) % 11
        stem += 1
        if check != 10:
            produced += 1
            yield digits + str(check)


def recommendation() -> c.MakeRecommendation:
    return c.MakeRecommendation(
        actor=GP,
        form_type=FormType.RESPECT,
        cpr=CprRecommendation.DO_NOT_ATTEMPT_CPR,
        reason_category=ReasonCategory.WOULD_NOT_SUCCEED,
        reasoning=REASONING,
        involvement=Involvement(route=InvolvementRoute.A_PERSON_WITH_CAPACITY, person_involved=True),
        responsible_clinician=CLINICIAN,
        setting=Setting.GP_PRACTICE,
        reason_no_review_date="last days of life",
    )


def register(number: str) -> c.RegisterPerson:
    from datetime import date

    return c.RegisterPerson(
        actor=GP, nhs_number=number, given_name="Bench", family_name="Person", date_of_birth=date(1940, 1, 1)
    )


@dataclass(frozen=True)
class Scratch:
    """One of the bench's scratch schemas, and the settings that reach it: no cipher, the bench's index key,
    and no Kafka unless a scenario runs through it."""

    settings: Settings
    database: DatabaseLocation

    @property
    def schema(self) -> str:
        return self.settings.schema

    @property
    def dsn(self) -> str:
        return self.database.dsn(self.schema)

    @property
    def topic(self) -> str:
        """Its scratch Kafka topic, for the scenarios that run through Kafka."""
        return f"bench.{self.schema}"

    def through(self, kafka: KafkaSettings) -> Scratch:
        """This schema with Kafka, its scratch topic the region's topic, in the bench's own region."""
        topic = dataclasses.replace(kafka, topic=self.topic)
        return Scratch(dataclasses.replace(self.settings, kafka=topic, region="bench"), self.database)

    def services(self, feeding: Feeding = Feeding.NOT_HERE, **options: Any) -> Services:
        """The composition root's objects on this schema; the store alone is fed unless `feeding` says."""
        return Services(self.settings, self.database, feeding=feeding, **options)


@contextmanager
def bench_schema(settings: Settings, database: DatabaseLocation) -> Iterator[Scratch]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    connection = psycopg2.connect(database.dsn())
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {schema}")
    try:
        yield Scratch(
            dataclasses.replace(
                settings, schema=schema, cipher_key=None, index_key=BENCH_INDEX_KEY, kafka=None
            ),
            database,
        )
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA {schema} CASCADE")
        connection.close()


def settled(dsn: str) -> None:
    """A freshly loaded schema brought to rest before anything is timed on it: its tables vacuumed and
    analysed, as autovacuum would soon do of its own accord, and the dirty pages written out (a checkpoint, when
    the role may ask for one). Otherwise autovacuum and the checkpoint of a bulk load land in the middle of the
    measured runs and make their tail latencies."""
    connection = psycopg2.connect(dsn)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            for (table,) in cursor.fetchall():
                cursor.execute(f'VACUUM (ANALYZE) "{table}"')
            # a role that may not ask for one leaves the pages to the server's own checkpoints
            with contextlib.suppress(psycopg2.Error):
                cursor.execute("CHECKPOINT")
    finally:
        connection.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def paced(count: int, rate: float) -> Iterator[int]:
    interval = 1.0 / rate
    started = time.perf_counter()
    for index in range(count):
        delay = started + index * interval - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        yield index


def visible_version(dsn: str, record_id: uuid.UUID) -> int:
    with transaction(dsn) as cursor:
        cursor.execute("SELECT version FROM current_plan WHERE record_id = %s", (record_id,))
        row = cursor.fetchone()
        return int(row[0]) if row else 0


def wait_visible(dsn: str, record_id: uuid.UUID, version: int, timeout: float = 30.0) -> float:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if visible_version(dsn, record_id) >= version:
            return time.perf_counter()
        time.sleep(0.002)
    raise TimeoutError("the read model did not show the change in time")


def latency_rows(scenario: str, lags: list[float], baseline: list[float], target: str) -> list[Row]:
    """p50 and p99 commit-to-visible rows, in milliseconds, against the baseline's; the target is p99's."""
    return [
        Row(
            scenario,
            f"commit-to-visible p{round(share * 100)}",
            percentile(lags, share) * 1000,
            percentile(baseline, share) * 1000,
            "ms",
            target if share == 0.99 else "",
        )
        for share in (0.5, 0.99)
    ]


def run_threads(count: int, seconds: float, work: Callable[[int], object]) -> tuple[float, list[float]]:
    """Runs `work(i)` in a loop on `count` threads for `seconds`; returns operations/s and latencies."""
    latencies: list[list[float]] = [[] for _ in range(count)]
    start = threading.Barrier(count + 1)
    deadline = 0.0

    def loop(index: int) -> None:
        start.wait()
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            work(index)
            latencies[index].append(time.perf_counter() - began)

    threads = [threading.Thread(target=loop, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    flat = [value for each in latencies for value in each]
    return len(flat) / elapsed, flat
