"""The write path: use-case commands through the group writer against bare INSERT + COMMIT threads, in one
process and shared out over several (as `serve --workers N` shares a region's writes)."""

from __future__ import annotations

import multiprocessing
import uuid
from typing import Any

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
    target = "ratio >= 0.5" if callers == 8 else ""
    p99 = (percentile(our_latencies, 0.99) * 1000, percentile(their_latencies, 0.99) * 1000)
    return [
        Row(scenario, "commands/s", ours, theirs, "per s", target),
        Row(scenario, "p99 latency", *p99, "ms", "p99 <= 50 ms" if callers == 8 else ""),
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


def write_path_processes(
    scratch: Scratch, callers: int, processes: tuple[int, ...], seconds: float
) -> list[Row]:
    """The same commands from `callers` callers shared out over each number of processes (each process its own
    store, group writer and connections, as API workers are), against `callers` bare INSERT + COMMIT threads."""
    prepared = scratch.services()  # the store's tables made once, before processes race to make them
    prepared.store.last_position()
    prepared.close()
    measured = {count: _in_processes(scratch, callers, count, seconds) for count in processes}
    size = measured[processes[0]][2]
    theirs, their_latencies = _bare_inserts(scratch.dsn, callers, seconds, size)
    rows: list[Row] = []
    for count, (ours, latencies, _) in measured.items():
        scenario = f"write path, {callers} callers, {count} processes"
        rows += [
            Row(scenario, "commands/s", ours, theirs, "per s", "ratio >= 0.5"),
            Row(
                scenario,
                "p99 latency",
                percentile(latencies, 0.99) * 1000,
                percentile(their_latencies, 0.99) * 1000,
                "ms",
                "",
            ),
        ]
    return rows


def _in_processes(
    scratch: Scratch, callers: int, count: int, seconds: float
) -> tuple[float, list[float], int]:
    """Commands per second summed over `count` processes started together, their latencies, an event's size."""
    context = multiprocessing.get_context("spawn")  # clean processes: no threads or connections inherited
    ready, go, results = context.Queue(), context.Event(), context.Queue()
    shares = [callers // count + (1 if index < callers % count else 0) for index in range(count)]
    children = [
        context.Process(
            target=_share, args=(scratch, count * 10 + index, share, seconds, ready, go, results), daemon=True
        )
        for index, share in enumerate(shares)
    ]
    for child in children:
        child.start()
    try:
        for _ in children:
            ready.get(timeout=300)
        go.set()
        answers = [results.get(timeout=seconds + 120) for _ in children]
    finally:
        for child in children:
            child.join(timeout=30)
            if child.is_alive():
                child.kill()
    failed = [answer for answer in answers if isinstance(answer, str)]
    if failed:
        raise RuntimeError(f"a writing process failed: {failed[0]}")
    return (
        sum(rate for rate, _, _ in answers),
        [latency for _, latencies, _ in answers for latency in latencies],
        answers[0][2],
    )


def _share(
    scratch: Scratch, index: int, callers: int, seconds: float, ready: Any, go: Any, results: Any
) -> None:
    """One writing process: its own people, registered first; then its callers, from the moment all are ready."""
    try:
        services = scratch.services(store_pool_size=callers)
        service, store = services.care_records, services.store
        per_caller = 10 if seconds < 5 else 40
        numbers = synthetic_nhs_numbers(
            callers * per_caller, start=930_000_000 + index * 100_000
        )  # index: unique per run
        people = [
            service.register_person(register(next(numbers))).record_id for _ in range(callers * per_caller)
        ]
        turns = [0] * callers

        def command(caller: int) -> None:
            turns[caller] += 1
            service.execute(people[caller * per_caller + turns[caller] % per_caller], recommendation())

        ready.put(index)
        go.wait()
        rate, latencies = run_threads(callers, seconds, command)
        size = len(store.recorder.select_events(people[0], desc=True, limit=1)[0].state)
        services.close()
        results.put((rate, latencies, size))
    except Exception as error:  # the parent reports it
        ready.put(index)
        results.put(f"{type(error).__name__}: {error}")
