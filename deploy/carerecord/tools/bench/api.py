"""The API as `carerecord serve` runs it, in a process of its own, over a store loaded with many people.

- reads: the current-plan `person` query over HTTP from 8 concurrent clients, against the bare endpoint of
  bare.py on its own uvicorn (same token check, same SQL, one access row written, the same JSON);
- history: `recordAsOf` at a random instant for a person with a long history, against `record` (the current
  plan from the read model) for the same person, both audited, one client;
- subscription: a change committed through the `recordConversation` mutation until it reaches a
  `planChanges` subscriber (graphql-transport-ws), against the same commit observed by polling the read model
  directly (both timed from the moment the mutation is sent);
- mutations: `recordConversation` over HTTP from 8 concurrent clients, each to its own people, against the bare
  endpoint's /mutation (same token check, one event appended at the record's next version + COMMIT);
- memory: the peak RSS (VmHWM) of the API process after the reads, against the bare endpoint's process.
The server runs the embedded feed (no Kafka): a mutation's change is in the read models when it returns.
"""

from __future__ import annotations

import base64
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from carerecord.settings import DatabaseLocation, Settings
from carerecord.tokens import development_keys, issue_token
from carerecord.tools.bench.api_clients import (
    CLIENTS,
    PERSON_QUERY,
    connect,
    history,
    post,
    read_load,
    subscription,
    write_load,
)
from carerecord.tools.bench.common import (
    BENCH_INDEX_KEY,
    Row,
    Scratch,
    Sizes,
    bench_schema,
    percentile,
    settled,
)
from carerecord.tools.bench.loading import load_people, long_history
from carerecord.tools.bench.processes import (
    bare_command,
    carerecord_command,
    free_port,
    peak_rss_mib,
    server,
)
from carerecord_events.record.evolve import replay
from carerecord_projections.queries import ReadModels
from carerecord_services.service import CareRecordService

HISTORY_NUMBER = "8999990001"  # outside the loaded people's numbers


@dataclass(frozen=True)
class Loaded:
    numbers: list[str]
    record_ids: list[UUID]
    history_id: UUID
    history_span: tuple[datetime, datetime]
    replayed: tuple[list[float], list[float]]  # in-process as-of replay, and read-model loads, in seconds


@dataclass(frozen=True)
class Measured:
    """One server's figures: reads per second and their latencies, then (carerecord's only) history and
    subscription delivery, and its peak memory."""

    reads: float
    read_latencies: list[float]
    peak_rss_mib: float
    as_of: list[float] = field(default_factory=list)
    current: list[float] = field(default_factory=list)
    delivered: list[float] = field(default_factory=list)
    polled: list[float] = field(default_factory=list)
    writes: float = 0.0
    write_latencies: list[float] = field(default_factory=list)


def api_scenarios(
    database: DatabaseLocation,
    settings: Settings,
    sizes: Sizes,
    env: dict[str, str],
    report: Callable[[str], None],
) -> list[Row]:
    with bench_schema(settings, database) as scratch, tempfile.TemporaryDirectory() as data_dir:
        loaded = _load(scratch, sizes.people, sizes.history_events, report)
        tokens = _tokens(settings, Path(data_dir))
        readers = Readers(loaded, tokens, _server_env(env, scratch.schema, data_dir))
        ours, sample = _carerecord(readers, sizes, scratch.dsn, report)
        several = {workers: _with_workers(readers, sizes, workers, report) for workers in SEVERAL}
        bare = bare_command("serve", "--port", "{port}", "--dsn", scratch.dsn, "--data-dir", data_dir)
        theirs = _bare(bare, readers, sample, sizes, report)
    return [*_rows(sizes, loaded, ours, theirs), *_several_rows(ours, several)]


SEVERAL = (2, 4)
"""`serve --workers N` runs beside the one-process figures: the reads and mutations again, each against 1."""


def _with_workers(
    readers: Readers, sizes: Sizes, workers: int, report: Callable[[str], None]
) -> tuple[float, float]:
    """Reads per second and mutations per second with `workers` API processes on the one address."""
    loaded, tokens = readers.loaded, readers.tokens
    port = free_port()
    command = carerecord_command("serve", "--port", str(port), "--workers", str(workers))
    with server(command, readers.server_env, port):
        report(f"reads and mutations: {CLIENTS} clients against `carerecord serve --workers {workers}`")
        reads, _ = read_load(port, tokens, loaded.numbers, sizes.read_seconds)
        writes, _ = write_load(port, tokens, _writers_people(loaded), sizes.write_seconds)
    return reads, writes


def _several_rows(ours: Measured, several: dict[int, tuple[float, float]]) -> list[Row]:
    scenario = "API processes (base: 1)"
    return [
        row
        for workers, (reads, writes) in several.items()
        for row in (
            Row(scenario, f"queries/s, {workers} processes", reads, ours.reads, "per s", ""),
            Row(scenario, f"mutations/s, {workers} processes", writes, ours.writes, "per s", ""),
        )
    ]


def _tokens(settings: Settings, data_dir: Path) -> list[str]:
    """One reader's token per client, a GP at the practice that cares for every loaded person."""
    keys = development_keys(data_dir)
    claims = {"role": "gp", "org": "K81003", "registration": "2345678"}
    return [
        issue_token(
            keys,
            {"sub": f"bench-reader-{n}", **claims},
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            minutes=180,
        )
        for n in range(CLIENTS)
    ]


def _server_env(env: dict[str, str], schema: str, data_dir: str) -> dict[str, str]:
    """The servers' environment: the embedded feed (no Kafka), the scratch schema, the loaders' index key."""
    return (
        {key: value for key, value in env.items() if not key.startswith("KAFKA_")}
        | {
            "CARERECORD_SCHEMA": schema,
            "CARERECORD_DATA_DIR": data_dir,
            "CARERECORD_INDEX_KEY": base64.b64encode(BENCH_INDEX_KEY).decode(),
            "CARERECORD_REQUESTS_PER_MINUTE": "100000000",  # the limiter still runs; it must not throttle the bench
        }
    )


@dataclass(frozen=True)
class Readers:
    """What both servers are measured with: the loaded people, the readers' tokens, the servers' settings."""

    loaded: Loaded
    tokens: list[str]
    server_env: dict[str, str]


def _carerecord(
    readers: Readers, sizes: Sizes, dsn: str, report: Callable[[str], None]
) -> tuple[Measured, Any]:
    """`carerecord serve`'s figures, and its answer for one person (the bare endpoint must give the same)."""
    loaded, tokens, server_env = readers.loaded, readers.tokens, readers.server_env
    port = free_port()
    with server(carerecord_command("serve", "--port", str(port)), server_env, port) as pid:
        sample = post(connect(port), tokens[0], PERSON_QUERY, {"nhsNumber": loaded.numbers[-1]})
        report(f"reads: {CLIENTS} clients for {sizes.read_seconds:.0f} s against `carerecord serve`")
        reads, latencies = read_load(port, tokens, loaded.numbers, sizes.read_seconds)
        rss = peak_rss_mib(pid)
        report(
            f"history: {sizes.history_reads} reads as of a random instant, {sizes.history_events:,} events"
        )
        as_of, current = history(port, tokens[0], loaded.history_id, loaded.history_span, sizes.history_reads)
        report(f"subscription: {sizes.subscription_changes} changes at 5/s")
        changes = sizes.subscription_changes
        delivered, polled = subscription(port, tokens[0], loaded.record_ids[:50], changes, dsn)
        report(f"mutations: {CLIENTS} clients for {sizes.write_seconds:.0f} s against `carerecord serve`")
        writes, write_latencies = write_load(port, tokens, _writers_people(loaded), sizes.write_seconds)
    measured = Measured(reads, latencies, rss, as_of, current, delivered, polled, writes, write_latencies)
    return measured, sample


def _writers_people(loaded: Loaded) -> list[UUID]:
    """People the mutation clients write to: not those the subscription scenario changed."""
    return loaded.record_ids[50:] or loaded.record_ids


def _bare(
    command: list[str], readers: Readers, sample: Any, sizes: Sizes, report: Callable[[str], None]
) -> Measured:
    seconds = sizes.read_seconds
    loaded, tokens, server_env = readers.loaded, readers.tokens, readers.server_env
    port = free_port()
    with server([part.format(port=port) for part in command], server_env, port) as pid:
        answer = post(connect(port), tokens[0], PERSON_QUERY, {"nhsNumber": loaded.numbers[-1]})
        assert answer == sample, f"the bare endpoint answers differently: {answer} != {sample}"
        report(f"reads: {CLIENTS} clients for {seconds:.0f} s against the bare endpoint")
        reads, latencies = read_load(port, tokens, loaded.numbers, seconds)
        rss = peak_rss_mib(pid)
        report(f"mutations: {CLIENTS} clients for {sizes.write_seconds:.0f} s against the bare endpoint")
        people = _writers_people(loaded)
        writes, write_latencies = write_load(port, tokens, people, sizes.write_seconds, "/mutation")
        return Measured(reads, latencies, rss, writes=writes, write_latencies=write_latencies)


def _rows(sizes: Sizes, loaded: Loaded, ours: Measured, theirs: Measured) -> list[Row]:
    reads = f"reads, {sizes.people:,} people"
    history = f"history, {sizes.history_events:,} events"
    subscription = "subscription delivery"
    mutations = "mutation over HTTP"
    in_process, read_model = loaded.replayed
    # scenario, measure, carerecord's and the baseline's timings, which percentile, the target
    timings = [
        (reads, "p50 latency", ours.read_latencies, theirs.read_latencies, 0.5, ""),
        (reads, "p99 latency", ours.read_latencies, theirs.read_latencies, 0.99, "p99 <= 25 ms"),
        (history, "as-of p50 (base: current)", ours.as_of, ours.current, 0.5, ""),
        (history, "as-of p99 (base: current)", ours.as_of, ours.current, 0.99, "p99 <= 50 ms"),
        (history, "in-process replay p99 (base: RM)", in_process, read_model, 0.99, ""),
        (subscription, "p50 (base: poll read model)", ours.delivered, ours.polled, 0.5, ""),
        (subscription, "p99 (base: poll read model)", ours.delivered, ours.polled, 0.99, "p99 <= 1000 ms"),
        (mutations, "p99 latency", ours.write_latencies, theirs.write_latencies, 0.99, ""),
    ]
    return [
        Row(reads, f"queries/s, {CLIENTS} clients", ours.reads, theirs.reads, "per s", "ratio >= 0.5"),
        Row(
            mutations, f"mutations/s, {CLIENTS} clients", ours.writes, theirs.writes, "per s", "ratio >= 0.5"
        ),
        *(
            Row(scenario, measure, _ms(carerecord, share), _ms(baseline, share), "ms", target)
            for scenario, measure, carerecord, baseline, share, target in timings
        ),
        Row(
            "memory, API process", "peak RSS (base: bare)", ours.peak_rss_mib, theirs.peak_rss_mib, "MiB", ""
        ),
    ]


def _ms(values: list[float], share: float) -> float:
    return percentile(values, share) * 1000


def _load(scratch: Scratch, people: int, history_events: int, report: Callable[[str], None]) -> Loaded:
    """The people (and one long history) through the group writer, then projected by the embedded feeder.
    Timed and printed; not part of any ratio."""
    services = scratch.services()
    store, service = services.store, services.care_records
    started = time.perf_counter()
    loaded = load_people(services, people, first_number=960_000_000)
    history_id, first, last = long_history(services, HISTORY_NUMBER, history_events)
    loading = time.perf_counter() - started
    started = time.perf_counter()
    # every in-process projection, so that the server starts caught up: a back-fill would run beside the reads
    projected = sum(feeder.catch_up() for feeder in services.feeders[:1])
    for feeder in services.feeders[1:]:
        feeder.catch_up()
    projecting = time.perf_counter() - started
    settled(scratch.dsn)
    replayed = _replay_in_process(service, ReadModels(scratch.dsn), history_id, (first, last))
    report(
        f"loaded {people:,} people and a {history_events:,}-event history ({store.last_position():,} events) "
        f"in {loading:.1f} s; projected {projected:,} events in {projecting:.1f} s"
    )
    services.close()
    return Loaded(
        [person.nhs_number for person in loaded],
        [person.record_id for person in loaded],
        history_id,
        (first, last),
        replayed,
    )


def _replay_in_process(
    service: CareRecordService, read_models: ReadModels, record_id: UUID, span: tuple[datetime, datetime]
) -> tuple[list[float], list[float]]:
    """What `recordAsOf` does, without HTTP or the audit: load the history, keep what was recorded by the
    instant, replay it; against loading the current plan from the read model."""
    picker = random.Random(11)  # noqa: S311
    as_of: list[float] = []
    current: list[float] = []
    for _ in range(50):
        at = span[0] + timedelta(seconds=picker.uniform(0, (span[1] - span[0]).total_seconds()))
        started = time.perf_counter()
        replay(record_id, [event for event in service.history(record_id) if event.recorded_at <= at])
        as_of.append(time.perf_counter() - started)
        started = time.perf_counter()
        read_models.current_plan(record_id)
        current.append(time.perf_counter() - started)
    return as_of, current
