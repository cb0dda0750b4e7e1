"""The same limits on every transport (issue 11, items 7, 8, 9 and 10), against a real `carerecord serve`:
every websocket message obeys the request-size limit and the rate limit; garbage tokens are limited by
address and not each recorded; nested fragment spreads are refused at once while /health still answers; in
production mode the schema does not describe itself to strangers."""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from carerecord.tokens import development_keys
from carerecord_projections.database import transaction
from tests.conftest import dsn
from tests.e2e.abuse_support import GP, RECOMMEND, populate, running_api, schema_of_its_own
from tests.support.api_server import ApiServer
from tests.unit.test_query_cost import nested_fragments


@pytest.fixture(scope="module")
def api(test_database_url: str) -> Iterator[ApiServer]:
    with (
        schema_of_its_own(test_database_url) as schema,
        tempfile.TemporaryDirectory(prefix="carerecord-transport-") as folder,
        running_api(test_database_url, schema, Path(folder)) as server,
    ):
        yield server


@pytest.fixture(scope="module")
def strict(test_database_url: str) -> Iterator[ApiServer]:
    """An API allowing 60 requests a minute per caller."""
    with (
        schema_of_its_own(test_database_url) as schema,
        tempfile.TemporaryDirectory(prefix="carerecord-strict-") as folder,
    ):
        server = ApiServer(test_database_url, schema, Path(folder), CARERECORD_REQUESTS_PER_MINUTE="60")
        server.start()
        try:
            yield server
        finally:
            server.stop()


def _socket(api: ApiServer, token: str) -> ClientConnection:
    socket = connect(
        api.url.replace("http", "ws") + "/graphql",
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        additional_headers={"authorization": f"Bearer {token}"},
        open_timeout=10,
    )
    socket.send(json.dumps({"type": "connection_init"}))
    assert json.loads(socket.recv(timeout=10))["type"] == "connection_ack"
    return socket


def _subscribe(socket: ClientConnection, id_: str, query: str, **variables: Any) -> None:
    socket.send(
        json.dumps({"id": id_, "type": "subscribe", "payload": {"query": query, "variables": variables}})
    )


def _close_code(socket: ClientConnection) -> int | None:
    """Reads until the server closes the connection; its close code."""
    try:
        while True:
            socket.recv(timeout=30)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


def _events(api: ApiServer) -> int:
    with transaction(dsn(api.env["DATABASE_URL"], api.env["CARERECORD_SCHEMA"])) as cursor:
        cursor.execute("SELECT count(*) FROM carerecord_events")
        return int(cursor.fetchone()[0])


def test_a_3_mb_recommendation_over_the_websocket_is_refused_and_nothing_is_stored(api: ApiServer) -> None:
    record_id = populate(api, people=1, start=408_000_000).record_ids[0]
    before = _events(api)
    with _socket(api, api.token(**GP)) as socket:
        _subscribe(socket, "small", "{ glossary { term } }")  # the same socket serves an ordinary request
        assert json.loads(socket.recv(timeout=10))["type"] == "next"
        consulted = [{"name": f"Participant {i:06d}", "role": "relative"} for i in range(100_000)]
        huge = {
            "formType": "RESPECT",
            "cpr": "DO_NOT_ATTEMPT_CPR",
            "reasonCategory": "WOULD_NOT_SUCCEED",
            "reasoning": "Metastatic cancer with liver failure; CPR would not restart the heart.",
            "involvement": {
                "route": "A_PERSON_WITH_CAPACITY",
                "personInvolved": True,
                "consulted": consulted,
            },
            "responsibleClinician": {"name": "Dr Grey", "role": "GP", "registration": "2345678"},
            "setting": "GP_PRACTICE",
            "reviewDue": "2030-03-01",
        }
        _subscribe(socket, "huge", RECOMMEND, id=record_id, input=huge)
        assert _close_code(socket) == 1009  # message too big
    assert _events(api) == before
    assert httpx.get(f"{api.url}/health", timeout=5).status_code == 200


def test_a_burst_over_the_rate_limit_on_one_websocket_is_refused(strict: ApiServer) -> None:
    token = strict.token(**{**GP, "sub": "dr-burst"})
    answered = 0
    with _socket(strict, token) as socket:  # the handshake and connection_init count: 2 of 60
        for turn in range(50):  # within the limit: every one is answered
            _subscribe(socket, str(turn), "{ glossary { term } }")
        while answered < 50:
            if json.loads(socket.recv(timeout=30))["type"] == "next":
                answered += 1
        try:  # a burst past it: the connection is closed (perhaps while the burst is still being sent)
            for turn in range(50, 150):
                _subscribe(socket, str(turn), "{ glossary { term } }")
            while True:
                if json.loads(socket.recv(timeout=30))["type"] == "next":
                    answered += 1
        except ConnectionClosed as closed:
            assert closed.rcvd is not None and closed.rcvd.code == 1013  # try again later
    assert answered < 70  # 58 within the bucket, and what refilled meanwhile (one a second)


def test_distinct_garbage_tokens_from_one_address_are_limited_and_not_each_recorded(
    strict: ApiServer,
) -> None:
    statuses: list[int] = []
    with httpx.Client(base_url=strict.url, timeout=30) as client:
        for i in range(1000):
            response = client.post(
                "/graphql",
                json={"query": "{ glossary { term } }"},
                headers={"authorization": f"Bearer garbage.token.{i}"},
            )
            statuses.append(response.status_code)
    assert statuses.count(429) >= 900
    with transaction(dsn(strict.env["DATABASE_URL"], strict.env["CARERECORD_SCHEMA"])) as cursor:
        cursor.execute("SELECT count(*) FROM refused_requests WHERE kind = 'authentication'")
        recorded = int(cursor.fetchone()[0])
    assert recorded <= 100  # the bucket's 60 and what refilled meanwhile, not one row per token
    signed_in = httpx.post(
        f"{strict.url}/graphql",
        json={"query": "{ glossary { term } }"},
        headers={"authorization": f"Bearer {strict.token(**{**GP, 'sub': 'dr-after'})}"},
        timeout=10,
    )
    assert signed_in.status_code == 200  # a signed-in user at the same address is not held back


def test_nested_fragment_spreads_are_refused_at_once_and_health_still_answers(
    api: ApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    gp = {"authorization": f"Bearer {api.token(**GP)}"}
    timings: dict[int, float] = {}
    with httpx.Client(base_url=api.url, headers=gp, timeout=5) as client:  # a hard client timeout
        for levels in (20, 30):
            started = time.monotonic()
            answer = client.post("/graphql", json={"query": nested_fragments(levels)}).json()
            timings[levels] = time.monotonic() - started
            assert answer["data"] is None
            assert "fields once its fragments are expanded" in answer["errors"][0]["message"]

        def attack(_: int) -> int:
            return client.post("/graphql", json={"query": nested_fragments(30)}).status_code

        with ThreadPoolExecutor(8) as pool:
            attacks = pool.map(attack, range(40))
            health = httpx.get(f"{api.url}/health", timeout=2)
            assert set(attacks) == {200}
        assert health.status_code == 200
    with capsys.disabled():
        sys.stdout.write(
            f"\nnested fragments refused in {timings[20] * 1000:.0f} ms (20 levels), "
            f"{timings[30] * 1000:.0f} ms (30 levels)\n"
        )
    assert max(timings.values()) < 1


@pytest.fixture(scope="module")
def production(test_database_url: str) -> Iterator[ApiServer]:
    with (
        schema_of_its_own(test_database_url) as schema,
        tempfile.TemporaryDirectory(prefix="carerecord-production-") as folder,
    ):
        jwks = Path(folder) / "jwks.json"
        jwks.write_text(json.dumps(development_keys(Path(folder)).jwks))
        with running_api(
            test_database_url,
            schema,
            Path(folder),
            CARERECORD_MODE="production",
            CARERECORD_JWKS_FILE=str(jwks),
            CARERECORD_JWT_ISSUER="carerecord-test-issuer",
            CARERECORD_JWT_AUDIENCE="carerecord",
        ) as server:
            yield server


INTROSPECTION = "{ __schema { queryType { name } } }"


def test_in_production_a_stranger_gets_no_suggestions_and_no_introspection(production: ApiServer) -> None:
    misspelt = production.graphql(None, "{ glosary { term } }")
    assert [e["message"] for e in misspelt["errors"]] == ["Cannot query field 'glosary' on type 'Query'."]
    refused = production.graphql(None, INTROSPECTION)
    assert refused.get("data") is None
    assert "introspection is open to signed-in callers only" in refused["errors"][0]["message"]
    signed_in = production.graphql(production.token(**GP), INTROSPECTION)
    assert signed_in["data"] == {"__schema": {"queryType": {"name": "Query"}}}


def test_in_development_suggestions_and_introspection_stay_for_client_builders(api: ApiServer) -> None:
    misspelt = api.graphql(None, "{ glosary { term } }")
    assert "Did you mean 'glossary'?" in misspelt["errors"][0]["message"]
    assert api.graphql(None, INTROSPECTION)["data"] == {"__schema": {"queryType": {"name": "Query"}}}
