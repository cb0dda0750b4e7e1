"""The bench's clients of the API: GraphQL over HTTP from keep-alive connections, and a graphql-transport-ws
subscriber, each timing what it asks."""

from __future__ import annotations

import asyncio
import http.client
import json
import random
import threading
import time
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg2

from carerecord.tools.bench.common import paced, run_threads

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


def _first(cursor: Any) -> Any:
    row = cursor.fetchone()
    assert row is not None
    return row[0]


def write_load(
    port: int, tokens: list[str], record_ids: list[UUID], seconds: float, path: str = "/graphql"
) -> tuple[float, list[float]]:
    """`CLIENTS` keep-alive connections, each recording conversations for its own people in turn (distinct
    people, so no two clients conflict); a short warm-up first."""
    connections = [connect(port) for _ in range(CLIENTS)]
    people = [record_ids[index::CLIENTS] or record_ids[:1] for index in range(CLIENTS)]
    turns = [0] * CLIENTS

    def write(index: int) -> None:
        turns[index] += 1
        mine = people[index]
        post(
            connections[index],
            tokens[index],
            CHANGE_MUTATION,
            {"id": str(mine[turns[index] % len(mine)])},
            path,
        )

    run_threads(CLIENTS, min(1.0, seconds / 3), write)
    rate, latencies = run_threads(CLIENTS, seconds, write)
    for connection in connections:
        connection.close()
    return rate, latencies


def connect(port: int) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", port, timeout=30)


def post(
    connection: http.client.HTTPConnection,
    token: str,
    query: str,
    variables: dict[str, Any],
    path: str = "/graphql",
) -> Any:
    body = json.dumps({"query": query, "variables": variables})
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    connection.request("POST", path, body=body, headers=headers)
    response = connection.getresponse()
    answer = json.loads(response.read())
    if response.status != 200 or answer.get("errors"):
        raise RuntimeError(f"the API answered {response.status}: {answer}")
    return answer["data"]


def read_load(port: int, tokens: list[str], numbers: list[str], seconds: float) -> tuple[float, list[float]]:
    """`CLIENTS` keep-alive connections, each reading random people's plans; a short warm-up first."""
    connections = [connect(port) for _ in range(CLIENTS)]
    pickers = [random.Random(n) for n in range(CLIENTS)]  # noqa: S311 - choosing people, not secrets

    def read(index: int) -> None:
        post(connections[index], tokens[index], PERSON_QUERY, {"nhsNumber": pickers[index].choice(numbers)})

    run_threads(CLIENTS, min(1.0, seconds / 3), read)
    rate, latencies = run_threads(CLIENTS, seconds, read)
    for connection in connections:
        connection.close()
    return rate, latencies


def history(
    port: int, token: str, record_id: UUID, span: tuple[datetime, datetime], reads: int
) -> tuple[list[float], list[float]]:
    """`recordAsOf` at a random instant of the span, against `record` (the current plan), for one person."""
    connection = connect(port)
    picker = random.Random(7)  # noqa: S311
    first, last = span
    as_of: list[float] = []
    current: list[float] = []
    for _ in range(reads):
        at = first + timedelta(seconds=picker.uniform(0, (last - first).total_seconds()))
        started = time.perf_counter()
        post(connection, token, AS_OF_QUERY, {"id": str(record_id), "at": at.isoformat()})
        as_of.append(time.perf_counter() - started)
        started = time.perf_counter()
        post(connection, token, CURRENT_QUERY, {"id": str(record_id)})
        current.append(time.perf_counter() - started)
    connection.close()
    return as_of, current


Change = tuple[str, int]  # a record id, and the version a change to it made


def subscription(
    port: int, token: str, record_ids: list[UUID], changes: int, dsn: str
) -> tuple[list[float], list[float]]:
    """Returns, per change, send-to-subscriber and send-to-visible-in-the-read-model, in seconds."""
    with Subscriber(port, token, _last_position(dsn)) as subscriber:
        time.sleep(0.5)  # the subscription's first poll
        sent, visible = _changes(port, token, record_ids, changes, dsn)
        subscriber.wait_for(set(sent), seconds=10)
    if subscriber.failures:
        raise subscriber.failures[0]
    missing = sent.keys() - subscriber.arrivals.keys()
    if missing:
        raise RuntimeError(f"{len(missing)} of {len(sent)} changes never reached the subscriber")
    arrivals = subscriber.arrivals
    return [arrivals[key] - sent[key] for key in sent], [visible[key] - sent[key] for key in sent]


def _last_position(dsn: str) -> int:
    with psycopg2.connect(dsn) as reader, reader.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(position), 0) FROM person_timeline")
        return int(_first(cursor))


def _changes(
    port: int, token: str, record_ids: list[UUID], changes: int, dsn: str
) -> tuple[dict[Change, float], dict[Change, float]]:
    """Conversations recorded through the API at 5/s: when each was sent, and when the read model showed it."""
    connection = connect(port)
    sent: dict[Change, float] = {}
    visible: dict[Change, float] = {}
    reader = psycopg2.connect(dsn)
    reader.autocommit = True
    try:
        for index in paced(changes, 5.0):
            record_id = str(record_ids[index % len(record_ids)])
            started = time.perf_counter()
            answer = post(connection, token, CHANGE_MUTATION, {"id": record_id})
            key = (record_id, int(answer["recordConversation"]["version"]))
            sent[key] = started
            visible[key] = _visible(reader, key)
    finally:
        reader.close()
        connection.close()
    return sent, visible


def _visible(reader: Any, change: Change) -> float:
    """The moment the read model shows the change, polled every 2 ms."""
    with reader.cursor() as cursor:
        while True:
            cursor.execute("SELECT version FROM current_plan WHERE record_id = %s", (change[0],))
            if int(_first(cursor)) >= change[1]:
                return time.perf_counter()
            time.sleep(0.002)


class Subscriber:
    """A `planChanges` subscriber (graphql-transport-ws) on a thread of its own, noting when each change
    arrives; whatever ends it early is kept in `failures`."""

    def __init__(self, port: int, token: str, after: int) -> None:
        self.arrivals: dict[Change, float] = {}
        self.failures: list[BaseException] = []
        self._url = f"ws://127.0.0.1:{port}/graphql"
        self._token = token
        self._after = after
        self._subscribed = threading.Event()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def __enter__(self) -> Subscriber:
        self._thread.start()
        self._subscribed.wait(30)
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        self._thread.join()

    def wait_for(self, sent: set[Change], seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (
            len(self.arrivals.keys() & sent) < len(sent) and time.monotonic() < deadline and not self.failures
        ):
            time.sleep(0.05)

    def _run(self) -> None:
        try:
            asyncio.run(self._listen())
        except BaseException as error:
            self.failures.append(error)
            self._subscribed.set()

    async def _listen(self) -> None:
        import websockets

        protocol = websockets.Subprotocol("graphql-transport-ws")
        headers = {"authorization": f"Bearer {self._token}"}
        async with websockets.connect(self._url, subprotocols=[protocol], additional_headers=headers) as ws:
            await ws.send(json.dumps({"type": "connection_init"}))
            await ws.recv()
            payload = {"query": SUBSCRIPTION, "variables": {"after": self._after}}
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
            self._subscribed.set()
            while not self._done.is_set():
                await self._receive(ws)

    async def _receive(self, ws: Any) -> None:
        try:
            message = json.loads(await asyncio.wait_for(ws.recv(), timeout=0.5))
        except TimeoutError:
            return
        if message["type"] != "next":
            raise RuntimeError(f"subscription ended: {message}")
        change = message["payload"]["data"]["planChanges"]
        self.arrivals[(change["recordId"], change["version"])] = time.perf_counter()
