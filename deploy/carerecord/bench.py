"""`carerecord bench`: speed measured against a baseline in the same run, on the same servers.

Absolute numbers drift on shared machines; ratios hold. Each scenario prints carerecord's figure, the bare
baseline's figure and their ratio. `--quick` is a smoke run (small sizes) that prints figures and asserts none.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.extras
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from carerecord.database import event_store_env, locate_database
from carerecord.settings import DatabaseLocation, Settings
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
from carerecord_projections.database import prepare, transaction
from carerecord_projections.kafka_worker import KafkaProjectionWorker
from carerecord_projections.rebuild import rebuild_from_kafka
from carerecord_projections.relay import Relay
from carerecord_services import commands as c
from carerecord_services.service import CareRecordService
from carerecord_services.store import EventStore
from carerecord_services.writer import GroupWriter

GP = Actor(user_id="bench-gp", role=Role.GP, organisation="K81003", registration="2345678")
CLINICIAN = Clinician(name="Dr Bench", role=Role.GP, registration="2345678")
REASONING = (
    "Metastatic pancreatic cancer with liver involvement, bilirubin rising despite stenting; "
    "CPR would not restart the heart."
)


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


@contextmanager
def bench_schema(database: DatabaseLocation) -> Iterator[str]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    connection = psycopg2.connect(database.dsn())
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {schema}")
    try:
        yield schema
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA {schema} CASCADE")
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


def freshness_embedded(database: DatabaseLocation, schema: str, commands: int) -> list[Row]:
    """Commit-to-visible in the embedded default: the in-process catch-up that runs after each commit."""
    dsn = database.dsn(schema)
    prepare(dsn)
    store = EventStore(event_store_env(database, None, schema=schema))
    writer = GroupWriter(store.insert)
    from carerecord_projections.store_feeder import StoreFeeder

    feeder = StoreFeeder(store, dsn)
    lags: list[float] = []

    def timed_catch_up() -> None:
        started = time.perf_counter()
        feeder.catch_up()
        lags.append(time.perf_counter() - started)

    service = CareRecordService(
        store,
        writer,
        clock=lambda: datetime.now(UTC),
        index_key=b"bench-index-key-000000",
        after_append=timed_catch_up,
    )
    numbers = synthetic_nhs_numbers(commands)
    for _ in paced(commands, 100.0):
        service.register_person(register(next(numbers)))
    writer.close()
    store.close()
    baseline = _bare_insert_then_read(dsn, commands)
    return latency_rows("freshness, embedded", lags, baseline, "p99 <= 100 ms")


def latency_rows(scenario: str, lags: list[float], baseline: list[float], target: str) -> list[Row]:
    """p50 and p99 commit-to-visible rows, in milliseconds, against the baseline's."""
    return [
        Row(
            scenario,
            "commit-to-visible p50",
            percentile(lags, 0.5) * 1000,
            percentile(baseline, 0.5) * 1000,
            "ms",
            "",
        ),
        Row(
            scenario,
            "commit-to-visible p99",
            percentile(lags, 0.99) * 1000,
            percentile(baseline, 0.99) * 1000,
            "ms",
            target,
        ),
    ]


def _bare_insert_then_read(dsn: str, count: int) -> list[float]:
    connection = psycopg2.connect(dsn)
    lags = []
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bare_rows (id bigint PRIMARY KEY, body jsonb)")
        connection.commit()
        for index in paced(count, 100.0):
            started = time.perf_counter()
            cursor.execute(
                "INSERT INTO bare_rows VALUES (%s, %s)", (index, json.dumps({"reasoning": REASONING}))
            )
            connection.commit()
            cursor.execute("SELECT 1 FROM bare_rows WHERE id = %s", (index,))
            cursor.fetchone()
            lags.append(time.perf_counter() - started)
    connection.close()
    return lags


def freshness_kafka(database: DatabaseLocation, schema: str, kafka: Any, commands: int) -> list[Row]:
    """Commit-to-visible through the relay, Kafka and a projection worker, at a steady 100 commands/s."""
    dsn = database.dsn(schema)
    prepare(dsn)
    topic = f"bench.{schema}"
    admin = KafkaAdminClient(**kafka.client_options())
    admin.create_topics(
        [
            NewTopic(topic, num_partitions=6, replication_factor=1),
            NewTopic(topic + ".bare", num_partitions=1, replication_factor=1),
        ]
    )
    admin.close()
    store = EventStore(event_store_env(database, None, schema=schema))
    writer = GroupWriter(store.insert)
    service = CareRecordService(
        store, writer, clock=lambda: datetime.now(UTC), index_key=b"bench-index-key-000000"
    )
    producer = KafkaProducer(**kafka.client_options(), acks="all", enable_idempotence=True, linger_ms=1)
    relay = Relay(store, producer, topic=topic, source="/carerecord/regions/bench", dsn=dsn)
    worker = KafkaProjectionWorker(
        kafka.client_options(), topic=topic, dsn=dsn, group=f"carerecord-projections-{schema}"
    )
    stop = threading.Event()
    threads = [
        threading.Thread(target=relay.run, args=(stop, 0.002)),
        threading.Thread(target=lambda: worker.run(stop)),
    ]
    for thread in threads:
        thread.start()
    numbers = synthetic_nhs_numbers(commands, start=910_000_000)
    lags = []
    try:
        for _ in paced(commands, 100.0):
            outcome = service.register_person(register(next(numbers)))
            committed = time.perf_counter()
            lags.append(wait_visible(dsn, outcome.record_id, outcome.version) - committed)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        worker.close()
        producer.close()
        writer.close()
        store.close()
    baseline = _bare_round_trip(kafka, topic + ".bare", dsn, commands)
    rows = latency_rows("freshness, Kafka", lags, baseline, "p99 <= 500 ms")
    return rows


def _bare_round_trip(kafka: Any, topic: str, dsn: str, count: int) -> list[float]:
    """Produce one row's bytes, consume them, INSERT the row: the least any Kafka-fed read model can do."""
    with transaction(dsn) as cursor:
        cursor.execute("CREATE TABLE bare_round_trip (id bigint PRIMARY KEY, body bytea)")
    producer = KafkaProducer(**kafka.client_options(), acks="all", enable_idempotence=True, linger_ms=1)
    consumer = KafkaConsumer(topic, **kafka.client_options(), group_id=None, auto_offset_reset="earliest")
    stop = threading.Event()

    def consume() -> None:
        connection = psycopg2.connect(dsn)
        with connection.cursor() as cursor:
            while not stop.is_set():
                for messages in consumer.poll(timeout_ms=100).values():
                    for message in messages:
                        cursor.execute(
                            "INSERT INTO bare_round_trip VALUES (%s, %s)", (int(message.key), message.value)
                        )
                    connection.commit()
        connection.close()

    thread = threading.Thread(target=consume)
    thread.start()
    time.sleep(1.0)  # let the consumer get its partition before timing starts
    lags = []
    body = json.dumps({"reasoning": REASONING, "padding": "x" * 600}).encode()
    reader = psycopg2.connect(dsn)
    try:
        with reader.cursor() as cursor:
            for index in paced(count, 100.0):
                started = time.perf_counter()
                producer.send(topic, key=str(index).encode(), value=body).get(timeout=10)
                while True:
                    cursor.execute("SELECT 1 FROM bare_round_trip WHERE id = %s", (index,))
                    found = cursor.fetchone()
                    reader.commit()
                    if found:
                        break
                    time.sleep(0.002)
                lags.append(time.perf_counter() - started)
    finally:
        stop.set()
        thread.join()
        consumer.close()
        producer.close()
        reader.close()
    return lags


def rebuild_rate(database: DatabaseLocation, schema: str, kafka: Any) -> list[Row]:
    """Events applied per second rebuilding from Kafka, against a bare consumer doing execute_values per batch."""
    dsn = database.dsn(schema)
    store = EventStore(event_store_env(database, None, schema=schema))
    topic = f"bench.{schema}"
    last = store.last_position()
    started = time.perf_counter()
    applied = rebuild_from_kafka(
        kafka.client_options(), topic=topic, dsn=dsn, store_last=last, as_of=None, progress=None
    )
    ours = last / (time.perf_counter() - started)
    store.close()
    with transaction(dsn) as cursor:
        cursor.execute("CREATE TABLE bare_rebuild (position bigint, body bytea)")
    consumer = KafkaConsumer(**kafka.client_options(), group_id=None, enable_auto_commit=False)
    from kafka import TopicPartition

    partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    ends = consumer.end_offsets(partitions)
    remaining = {tp for tp in partitions if ends[tp] > 0}
    rows = 0
    started = time.perf_counter()
    connection = psycopg2.connect(dsn)
    with connection.cursor() as cursor:
        while remaining:
            for partition, messages in consumer.poll(timeout_ms=1000, max_records=1000).items():
                psycopg2.extras.execute_values(
                    cursor, "INSERT INTO bare_rebuild VALUES %s", [(m.offset, m.value) for m in messages]
                )
                connection.commit()
                rows += len(messages)
                if messages[-1].offset + 1 >= ends[partition]:
                    remaining.discard(partition)
    bare = rows / (time.perf_counter() - started)
    connection.close()
    consumer.close()
    assert applied <= last
    return [Row("rebuild from Kafka", "events/s", ours, bare, "events/s", "ratio >= 0.5")]


def write_path(database: DatabaseLocation, schema: str, callers: int, seconds: float) -> list[Row]:
    """Use-case commands per second for distinct people through the group writer, against the same number of
    threads each doing single-row INSERT + COMMIT of a stored event's size on its own connection."""
    store = EventStore(event_store_env(database, None, schema=schema) | {"POSTGRES_POOL_SIZE": str(callers)})
    writer = GroupWriter(store.insert)
    service = CareRecordService(
        store, writer, clock=lambda: datetime.now(UTC), index_key=b"bench-index-key-000000"
    )
    per_caller = 10 if seconds < 5 else 40
    numbers = synthetic_nhs_numbers(callers * per_caller, start=920_000_000 + callers * 10_000)
    people = [service.register_person(register(next(numbers))).record_id for _ in range(callers * per_caller)]
    turns = [0] * callers

    def command(index: int) -> None:
        """Each caller writes to its own people in turn: distinct people, histories growing slowly."""
        turns[index] += 1
        service.execute(people[index * per_caller + turns[index] % per_caller], recommendation())

    ours, our_latencies = _threads(callers, seconds, command)
    size = len(store.recorder.select_events(people[0], desc=True, limit=1)[0].state)  # one stored event
    writer.close()
    store.close()
    dsn = database.dsn(schema)
    with transaction(dsn) as cursor:
        cursor.execute(f"CREATE TABLE bare_events_{callers} (id bigserial PRIMARY KEY, body bytea NOT NULL)")
    connections = [psycopg2.connect(dsn) for _ in range(callers)]
    for connection in connections:
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = on")
        connection.commit()
    payload = b"x" * size

    def bare(index: int) -> None:
        connection = connections[index]
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO bare_events_{callers} (body) VALUES (%s)", (payload,))
        connection.commit()

    theirs, their_latencies = _threads(callers, seconds, bare)
    for connection in connections:
        connection.close()
    return [
        Row(
            f"write path, {callers} callers",
            "commands/s",
            ours,
            theirs,
            "per s",
            "ratio >= 0.5" if callers == 8 else "ratio >= 1.0" if callers == 64 else "",
        ),
        Row(
            f"write path, {callers} callers",
            "p99 latency",
            percentile(our_latencies, 0.99) * 1000,
            percentile(their_latencies, 0.99) * 1000,
            "ms",
            "p99 <= 100 ms",
        ),
    ]


def _threads(count: int, seconds: float, work: Callable[[int], object]) -> tuple[float, list[float]]:
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


def run(settings: Settings, quick: bool, report: Callable[[str], None]) -> list[Row]:
    database = locate_database(settings)
    commands = 100 if quick else 1000
    rows: list[Row] = []
    for callers in (8, 32, 64):
        with bench_schema(database) as schema:
            report(f"write path: {callers} callers")
            rows += write_path(database, schema, callers, 2.0 if quick else 10.0)
    with bench_schema(database) as schema:
        report(f"freshness, embedded: {commands} commands at 100/s")
        rows += freshness_embedded(database, schema, commands)
    if settings.kafka is not None:
        with bench_schema(database) as schema:
            report(f"freshness through Kafka: {commands} commands at 100/s")
            rows += freshness_kafka(database, schema, settings.kafka, commands)
            report("rebuild from Kafka")
            rows += rebuild_rate(database, schema, settings.kafka)
    return rows


def render(rows: list[Row]) -> str:
    header = (
        f"{'scenario':<22} {'measure':<24} {'carerecord':>11} {'baseline':>10} {'ratio':>7}  unit     target"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(
            f"{row.scenario:<22} {row.measure:<24} {row.carerecord:>11.1f} {row.baseline:>10.1f} "
            f"{row.ratio:>7.2f}  {row.unit:<8} {row.target}"
        )
    return "\n".join(lines)


def write_json(rows: list[Row], path: Path, cores: int) -> None:
    path.write_text(
        json.dumps({"cores": cores, "rows": [asdict(row) | {"ratio": row.ratio} for row in rows]}, indent=2)
        + "\n"
    )
