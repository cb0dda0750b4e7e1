"""Abuse of the running API over HTTP (issue 7): generated GraphQL requests from the checked-in SDL, valid and
invalid, as every kind of caller; oversized, deep, alias-bombed and cyclic requests refused before any work;
injection strings stored verbatim and harmless; bad tokens refused, with a clear error, and recorded.

CARERECORD_ABUSE_REQUESTS sets how many generated requests are sent (default 10,000; use a few hundred while
developing).
"""

from __future__ import annotations

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

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, nodes, queries

import graphql
from carerecord_graphql.schema import SDL_FILE
from tests.integration.abuse_support import (
    ADMINISTRATOR,
    ASSURANCE,
    CARE_HOME,
    GP,
    PARAMEDIC,
    Target,
    assert_clear_answer,
    populate,
    running_api,
    schema_of_its_own,
)
from tests.integration.api_server import ApiServer

REQUESTS = int(os.environ.get("CARERECORD_ABUSE_REQUESTS", "10000"))


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
        self.pool = ThreadPoolExecutor(len(callers))
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
) -> None:
    sender = Sender(api, callers)
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
            f"\n{mode.name.lower()}: {sender.sent} generated requests in {time.monotonic() - started:.1f}s, "
            f"statuses {dict(sorted(sender.statuses.items()))}\n"
        )
    assert sender.sent >= count
    assert set(sender.statuses) <= {200, 400, 413}, sender.statuses


def test_generated_valid_queries_and_mutations_get_clear_answers_from_every_caller(
    api: ApiServer, target: Target, callers: dict[str, str | None], capsys: pytest.CaptureFixture[str]
) -> None:
    _generated(api, target, callers, Mode.POSITIVE, REQUESTS - REQUESTS // 4, capsys)


def test_generated_invalid_queries_and_mutations_are_refused_with_clear_errors(
    api: ApiServer, target: Target, callers: dict[str, str | None], capsys: pytest.CaptureFixture[str]
) -> None:
    _generated(api, target, callers, Mode.NEGATIVE, REQUESTS // 4, capsys)
