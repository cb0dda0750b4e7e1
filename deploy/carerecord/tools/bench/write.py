"""The write path: use-case commands through the group writer against bare INSERT + COMMIT threads."""

from __future__ import annotations

import uuid

import psycopg2
import psycopg2.extras

from carerecord.tools.bench.common import (
    Row,
    Scratch,
    percentile,
    recommendation,
    register,
    run_threads,
    synthetic_nhs_numbers,
)
from carerecord_projections.database import transaction


def write_path(scratch: Scratch, callers: int, seconds: float) -> list[Row]:
    """Use-case commands per second for distinct people through the group writer, against the same number of
    threads each doing single-row INSERT + COMMIT of a stored event's size on its own connection, into a table
    keyed as the store's is (unique record and version, a unique position): the statements the store needs."""
    ours, our_latencies, size = _use_cases(scratch, callers, seconds)
    theirs, their_latencies = _bare_inserts(scratch.dsn, callers, seconds, size)
    scenario = f"write path, {callers} callers"
    target = "ratio >= 0.5" if callers == 8 else "ratio >= 1.0" if callers == 64 else ""
    p99 = (percentile(our_latencies, 0.99) * 1000, percentile(their_latencies, 0.99) * 1000)
    return [
        Row(scenario, "commands/s", ours, theirs, "per s", target),
        Row(scenario, "p99 latency", *p99, "ms", "p99 <= 100 ms"),
    ]


def _use_cases(scratch: Scratch, callers: int, seconds: float) -> tuple[float, list[float], int]:
    """Commands per second and their latencies, and the size of one stored event (the baseline's row)."""
    services = scratch.services(store_pool_size=callers)
    service, store = services.care_records, services.store
    per_caller = 10 if seconds < 5 else 40
    numbers = synthetic_nhs_numbers(callers * per_caller, start=920_000_000 + callers * 10_000)
    people = [service.register_person(register(next(numbers))).record_id for _ in range(callers * per_caller)]
    turns = [0] * callers

    def command(index: int) -> None:
        """Each caller writes to its own people in turn: distinct people, histories growing slowly."""
        turns[index] += 1
        service.execute(people[index * per_caller + turns[index] % per_caller], recommendation())

    ours, latencies = run_threads(callers, seconds, command)
    size = len(store.recorder.select_events(people[0], desc=True, limit=1)[0].state)
    services.close()
    return ours, latencies, size


def _bare_inserts(dsn: str, callers: int, seconds: float, size: int) -> tuple[float, list[float]]:
    with transaction(dsn) as cursor:
        cursor.execute(
            f"""CREATE TABLE bare_events_{callers} (record_id uuid NOT NULL, version integer NOT NULL,
                topic text NOT NULL, body bytea NOT NULL, position bigserial UNIQUE,
                PRIMARY KEY (record_id, version))"""
        )
    connections = [psycopg2.connect(dsn) for _ in range(callers)]
    for connection in connections:
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = on")
        connection.commit()
    payload = b"x" * size
    records = [uuid.uuid4() for _ in range(callers)]
    versions = [0] * callers

    def bare(index: int) -> None:
        connection = connections[index]
        versions[index] += 1
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO bare_events_{callers} (record_id, version, topic, body) VALUES (%s, %s, %s, %s)",
                (records[index], versions[index], "RecommendationMade/v1", payload),
            )
        connection.commit()

    theirs, latencies = run_threads(callers, seconds, bare)
    for connection in connections:
        connection.close()
    return theirs, latencies
