"""The API as `carerecord serve` runs it, in a process of its own, over a store loaded with many people.

- reads: the current-plan `person` query over HTTP from 8 concurrent clients, against the bare endpoint of
  bare.py on its own uvicorn (same token check, same SQL, one access row written, the same JSON);
- history: `recordAsOf` at a random instant for a person with a long history, against `record` (the current
  plan from the read model) for the same person, both audited, one client;
- subscription: a change committed through the `recordConversation` mutation until it reaches a
  `planChanges` subscriber (graphql-transport-ws), against the same commit observed by polling the read model
  directly (both timed from the moment the mutation is sent);
- memory: the peak RSS (VmHWM) of the API process after the reads, against the bare endpoint's process.
The server runs the embedded feed (no Kafka): a mutation's change is in the read models when it returns.
"""

from __future__ import annotations

import asyncio
import base64
import http.client
import json
import random
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg2

from carerecord.bench.common import BENCH_INDEX_KEY, Row, bench_schema, paced, percentile, run_threads
from carerecord.bench.loading import load_people, long_history
from carerecord.bench.processes import bare_command, carerecord_command, free_port, peak_rss_mib, server
from carerecord.database import event_store_env
from carerecord.settings import DatabaseLocation, Settings
from carerecord.tokens import development_keys, issue_token
from carerecord_events.record.evolve import replay
from carerecord_projections.database import prepare
from carerecord_projections.queries import ReadModels
from carerecord_projections.store_feeder import StoreFeeder
from carerecord_services.service import CareRecordService
from carerecord_services.store import EventStore
from carerecord_services.writer import GroupWriter

CLIENTS = 8
PERSON_QUERY = (
    "query($nhsNumber: String!) { person(nhsNumber: $nhsNumber) { version currentPlans { cpr reviewDue "
    "awaitingSeniorEndorsement involvement { personInvolved } } } }"
)
AS_OF_QUERY = (
    "query($id: UUID!, $at: DateTime!) { recordAsOf(recordId: $id, at: $at) "
    "{ version plans { status cpr reviewDue } } }"
)
CURRENT_QUERY = (
    "query($id: UUID!) { record(recordId: $id) { version currentPlans { status cpr reviewDue } } }"
)
CHANGE_MUTATION = (
    'mutation($id: UUID!) { recordConversation(recordId: $id, input: {participants: [{name: "Bench Person", '
    'role: "the person"}], personTookPart: true, whatMatters: "being at home"}) '
    "{ __typename ... on RecordChanged { version } } }"
)
SUBSCRIPTION = (
    "subscription($after: Int!) { planChanges(afterPosition: $after) { position recordId version } }"
)
HISTORY_NUMBER = "8999990001"  # outside the loaded people's numbers


@dataclass(frozen=True)
class Loaded:
    numbers: list[str]
    record_ids: list[UUID]
    history_id: UUID
    history_span: tuple[datetime, datetime]
    replayed: tuple[list[float], list[float]]  # in-process as-of replay, and read-model loads, in seconds


def api_scenarios(
    database: DatabaseLocation,
    settings: Settings,
    people: int,
    history_events: int,
    read_seconds: float,
    history_reads: int,
    changes: int,
    env: dict[str, str],
    report: Callable[[str], None],
) -> list[Row]:
    with bench_schema(database) as schema, tempfile.TemporaryDirectory() as data_dir:
        dsn = database.dsn(schema)
        loaded = _load(database, schema, people, history_events, report)
        keys = development_keys(Path(data_dir))
        tokens = [
            issue_token(
                keys,
                {"sub": f"bench-reader-{n}", "role": "gp", "org": "K81003", "registration": "2345678"},
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
                minutes=180,
            )
            for n in range(CLIENTS)
        ]
        server_env = (
            {key: value for key, value in env.items() if not key.startswith("KAFKA_")}
            | {
                "CARERECORD_SCHEMA": schema,
                "CARERECORD_DATA_DIR": data_dir,
                "CARERECORD_INDEX_KEY": base64.b64encode(BENCH_INDEX_KEY).decode(),
                "CARERECORD_REQUESTS_PER_MINUTE": "100000000",  # the limiter still runs; it must not throttle the bench
            }
        )
        port = free_port()
        with server(carerecord_command("serve", "--port", str(port)), server_env, port) as pid:
            sample = _post(_connect(port), tokens[0], PERSON_QUERY, {"nhsNumber": loaded.numbers[-1]})
            report(f"reads: {CLIENTS} clients for {read_seconds:.0f} s against `carerecord serve`")
            ours, our_latencies = _read_load(port, tokens, loaded.numbers, read_seconds)
            our_rss = peak_rss_mib(pid)
            report(f"history: {history_reads} reads as of a random instant, {history_events:,} events")
            as_of, current = _history(port, tokens[0], loaded, history_reads)
            report(f"subscription: {changes} changes at 5/s")
            delivered, polled = _subscription(port, tokens[0], loaded.record_ids[:50], changes, dsn)
        bare_port = free_port()
        bare = bare_command("serve", "--port", str(bare_port), "--dsn", dsn, "--data-dir", data_dir)
        with server(bare, server_env, bare_port) as bare_pid:
            bare_sample = _post(
                _connect(bare_port), tokens[0], PERSON_QUERY, {"nhsNumber": loaded.numbers[-1]}
            )
            assert bare_sample == sample, f"the bare endpoint answers differently: {bare_sample} != {sample}"
            report(f"reads: {CLIENTS} clients for {read_seconds:.0f} s against the bare endpoint")
            theirs, their_latencies = _read_load(bare_port, tokens, loaded.numbers, read_seconds)
            bare_rss = peak_rss_mib(bare_pid)
    reads = f"reads, {people:,} people"
    history = f"history, {history_events:,} events"
    subscription = "subscription delivery"
    return [
        Row(reads, f"queries/s, {CLIENTS} clients", ours, theirs, "per s", "ratio >= 0.5"),
        Row(reads, "p50 latency", _ms(our_latencies, 0.5), _ms(their_latencies, 0.5), "ms", ""),
        Row(reads, "p99 latency", _ms(our_latencies, 0.99), _ms(their_latencies, 0.99), "ms", "p99 <= 25 ms"),
        Row(history, "as-of p50 (base: current)", _ms(as_of, 0.5), _ms(current, 0.5), "ms", ""),
        Row(history, "as-of p99 (base: current)", _ms(as_of, 0.99), _ms(current, 0.99), "ms", "p99 <= 50 ms"),
        Row(
            history,
            "in-process replay p99 (base: RM)",
            _ms(loaded.replayed[0], 0.99),
            _ms(loaded.replayed[1], 0.99),
            "ms",
            "",
        ),
        Row(subscription, "p50 (base: poll read model)", _ms(delivered, 0.5), _ms(polled, 0.5), "ms", ""),
        Row(
            subscription,
            "p99 (base: poll read model)",
            _ms(delivered, 0.99),
            _ms(polled, 0.99),
            "ms",
            "p99 <= 1000 ms",
        ),
        Row("memory, API process", "peak RSS (base: bare)", our_rss, bare_rss, "MiB", ""),
    ]


def _ms(values: list[float], share: float) -> float:
    return percentile(values, share) * 1000


def _load(
    database: DatabaseLocation, schema: str, people: int, history_events: int, report: Callable[[str], None]
) -> Loaded:
    """The people (and one long history) through the group writer, then projected by the embedded feeder.
    Timed and printed; not part of any ratio."""
    store = EventStore(event_store_env(database, None, schema=schema))
    writer = GroupWriter(store.insert, interrupt=store.interrupt_insert)
    service = CareRecordService(store, writer, clock=lambda: datetime.now(UTC), index_key=BENCH_INDEX_KEY)
    started = time.perf_counter()
    loaded = load_people(store, service, people, first_number=960_000_000)
    history_id, first, last = long_history(store, HISTORY_NUMBER, history_events)
    loading = time.perf_counter() - started
    dsn = database.dsn(schema)
    prepare(dsn)
    started = time.perf_counter()
    projected = StoreFeeder(store, dsn).catch_up()
    projecting = time.perf_counter() - started
    replayed = _replay_in_process(service, ReadModels(dsn), history_id, (first, last))
    report(
        f"loaded {people:,} people and a {history_events:,}-event history ({store.last_position():,} events) "
        f"in {loading:.1f} s; projected {projected:,} events in {projecting:.1f} s"
    )
    writer.close()
    store.close()
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


def _first(cursor: Any) -> Any:
    row = cursor.fetchone()
    assert row is not None
    return row[0]


def _connect(port: int) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", port, timeout=30)


def _post(connection: http.client.HTTPConnection, token: str, query: str, variables: dict[str, Any]) -> Any:
    body = json.dumps({"query": query, "variables": variables})
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    connection.request("POST", "/graphql", body=body, headers=headers)
    response = connection.getresponse()
    answer = json.loads(response.read())
    if response.status != 200 or answer.get("errors"):
        raise RuntimeError(f"the API answered {response.status}: {answer}")
    return answer["data"]


def _read_load(port: int, tokens: list[str], numbers: list[str], seconds: float) -> tuple[float, list[float]]:
    """`CLIENTS` keep-alive connections, each reading random people's plans; a short warm-up first."""
    connections = [_connect(port) for _ in range(CLIENTS)]
    pickers = [random.Random(n) for n in range(CLIENTS)]  # noqa: S311 - choosing people, not secrets

    def read(index: int) -> None:
        _post(connections[index], tokens[index], PERSON_QUERY, {"nhsNumber": pickers[index].choice(numbers)})

    run_threads(CLIENTS, min(1.0, seconds / 3), read)
    rate, latencies = run_threads(CLIENTS, seconds, read)
    for connection in connections:
        connection.close()
    return rate, latencies


def _history(port: int, token: str, loaded: Loaded, reads: int) -> tuple[list[float], list[float]]:
    connection = _connect(port)
    picker = random.Random(7)  # noqa: S311
    first, last = loaded.history_span
    as_of: list[float] = []
    current: list[float] = []
    for _ in range(reads):
        at = first + timedelta(seconds=picker.uniform(0, (last - first).total_seconds()))
        started = time.perf_counter()
        _post(connection, token, AS_OF_QUERY, {"id": str(loaded.history_id), "at": at.isoformat()})
        as_of.append(time.perf_counter() - started)
        started = time.perf_counter()
        _post(connection, token, CURRENT_QUERY, {"id": str(loaded.history_id)})
        current.append(time.perf_counter() - started)
    connection.close()
    return as_of, current


def _subscription(
    port: int, token: str, record_ids: list[UUID], changes: int, dsn: str
) -> tuple[list[float], list[float]]:
    """Returns, per change, send-to-subscriber and send-to-visible-in-the-read-model, in seconds."""
    arrivals: dict[tuple[str, int], float] = {}
    subscribed = threading.Event()
    done = threading.Event()
    failures: list[BaseException] = []
    with psycopg2.connect(dsn) as reader, reader.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(position), 0) FROM person_timeline")
        after = int(_first(cursor))

    async def listen() -> None:
        import websockets

        protocol = websockets.Subprotocol("graphql-transport-ws")
        headers = {"authorization": f"Bearer {token}"}
        url = f"ws://127.0.0.1:{port}/graphql"
        async with websockets.connect(url, subprotocols=[protocol], additional_headers=headers) as ws:
            await ws.send(json.dumps({"type": "connection_init"}))
            await ws.recv()
            payload = {"query": SUBSCRIPTION, "variables": {"after": after}}
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
            subscribed.set()
            while not done.is_set():
                try:
                    message = json.loads(await asyncio.wait_for(ws.recv(), timeout=0.5))
                except TimeoutError:
                    continue
                if message["type"] != "next":
                    raise RuntimeError(f"subscription ended: {message}")
                change = message["payload"]["data"]["planChanges"]
                arrivals[(change["recordId"], change["version"])] = time.perf_counter()

    def run_listener() -> None:
        try:
            asyncio.run(listen())
        except BaseException as error:
            failures.append(error)
            subscribed.set()

    listener = threading.Thread(target=run_listener)
    listener.start()
    subscribed.wait(30)
    time.sleep(0.5)  # the subscription's first poll
    connection = _connect(port)
    sent: dict[tuple[str, int], float] = {}
    visible: dict[tuple[str, int], float] = {}
    reader = psycopg2.connect(dsn)
    reader.autocommit = True
    try:
        for index in paced(changes, 5.0):
            record_id = str(record_ids[index % len(record_ids)])
            started = time.perf_counter()
            answer = _post(connection, token, CHANGE_MUTATION, {"id": record_id})
            key = (record_id, int(answer["recordConversation"]["version"]))
            sent[key] = started
            with reader.cursor() as cursor:
                while True:
                    cursor.execute("SELECT version FROM current_plan WHERE record_id = %s", (record_id,))
                    if int(_first(cursor)) >= key[1]:
                        visible[key] = time.perf_counter()
                        break
                    time.sleep(0.002)
        deadline = time.monotonic() + 10
        while len(arrivals.keys() & sent.keys()) < len(sent) and time.monotonic() < deadline and not failures:
            time.sleep(0.05)
    finally:
        done.set()
        listener.join()
        reader.close()
        connection.close()
    if failures:
        raise failures[0]
    missing = sent.keys() - arrivals.keys()
    if missing:
        raise RuntimeError(f"{len(missing)} of {len(sent)} changes never reached the subscriber")
    return [arrivals[key] - sent[key] for key in sent], [visible[key] - sent[key] for key in sent]
