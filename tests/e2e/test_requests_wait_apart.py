"""One API process serves requests side by side (issue 16): a query or mutation waiting on PostgreSQL holds up
only itself. GraphQL's resolvers are plain functions that wait on the store; run on the event loop, one request
stuck on a lock stopped every other request of the process, /health included, and no two mutations could ever
share a group commit."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg2
import pytest

from tests.conftest import wait_until
from tests.e2e.test_api_end_to_end import RECORD, REGISTER, START, person_input, registered_with_gp
from tests.support.api_server import ApiServer, errors


@pytest.fixture
def server(test_database_url: str, fresh_schema: str, tmp_path: Path) -> Iterator[ApiServer]:
    api = ApiServer(test_database_url, fresh_schema, tmp_path, CARERECORD_STATEMENT_TIMEOUT_MS="0").start()
    yield api
    api.stop()


def _waiting_on(database_url: str, table: str) -> int:
    """The API's sessions waiting for a lock on `table`."""
    with psycopg2.connect(database_url) as other, other.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE %s",
            (f"%{table}%",),
        )
        (count,) = cursor.fetchone()
    other.close()
    return int(count)


def _another_person(server: ApiServer, gp: str) -> str:
    """A second person, registered with the same GP practice."""
    person = person_input() | {"nhsNumber": "4010232137", "givenName": "Peter"}
    record_id: str = server.graphql(gp, REGISTER, input=person)["data"]["registerPerson"]["recordId"]
    place = {"organisation": "K81003", "setting": "GP_PRACTICE", "basis": "REGISTERED_WITH_PRACTICE"}
    assert (
        server.graphql(gp, START, id=record_id, input=place)["data"]["startCareRelationship"]["version"] == 2
    )
    return record_id


def _stuck_read(server: ApiServer, token: str, record_id: str, answers: list[dict[str, Any]]) -> None:
    response = httpx.post(
        f"{server.url}/graphql",
        json={"query": RECORD, "variables": {"id": record_id}},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    answers.append(response.json())


def test_a_read_stuck_on_a_lock_holds_up_neither_another_query_nor_health(
    server: ApiServer, test_database_url: str, fresh_schema: str
) -> None:
    gp, record_id = registered_with_gp(server)
    locker = psycopg2.connect(test_database_url)
    answers: list[dict[str, Any]] = []
    with locker.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {fresh_schema}.current_plan IN ACCESS EXCLUSIVE MODE")
    stuck = threading.Thread(target=_stuck_read, args=(server, gp, record_id, answers), daemon=True)
    stuck.start()
    try:
        wait_until(
            lambda: _waiting_on(test_database_url, "current_plan") > 0,
            timeout=30,
            failure="the read never reached the locked read model",
        )
        started = time.monotonic()
        typename = server.graphql(gp, "{ __typename }")
        health = httpx.get(f"{server.url}/health", timeout=30)
        took = time.monotonic() - started
        assert typename == {"data": {"__typename": "Query"}}
        assert health.status_code == 200
        assert took < 5, f"other requests waited {took:.1f} s behind the stuck one"
        assert stuck.is_alive() and not answers  # still waiting: the lock is held
    finally:
        locker.close()
    stuck.join(timeout=30)
    assert not stuck.is_alive()
    assert not errors(answers[0]) and answers[0]["data"]["record"]["version"] == 2


def test_a_mutation_stuck_on_a_lock_holds_up_no_other_persons_read(
    server: ApiServer, test_database_url: str, fresh_schema: str
) -> None:
    """The variant: a mutation waits (its record's events table locked for writing), and a read of another
    record, which needs no write, is answered meanwhile."""
    gp, first = registered_with_gp(server)
    second = _another_person(server, gp)
    locker = psycopg2.connect(test_database_url)
    with locker.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {fresh_schema}.current_plan IN EXCLUSIVE MODE")  # reads pass, writes wait
    answers: list[dict[str, Any]] = []
    writing = threading.Thread(
        target=lambda: answers.append(
            server.graphql(
                gp,
                'mutation($id: UUID!) { recordConversation(recordId: $id, input: {participants: [{name: "Ann", '
                'role: "the person"}], personTookPart: true, whatMatters: "home"}) { __typename } }',
                id=first,
            )
        ),
        daemon=True,
    )
    writing.start()
    try:
        wait_until(
            lambda: _waiting_on(test_database_url, "current_plan") > 0 or bool(answers),
            timeout=30,
            failure="the mutation's change never reached the locked read model",
        )
        assert not answers, f"the mutation did not wait on the lock: {answers}"
        started = time.monotonic()
        read = server.graphql(gp, RECORD, id=second)
        took = time.monotonic() - started
        assert not errors(read) and read["data"]["record"]["version"] == 2
        assert took < 5, f"a read waited {took:.1f} s behind a stuck mutation"
    finally:
        locker.close()
    writing.join(timeout=30)
    assert answers and answers[0]["data"]["recordConversation"]["__typename"] == "RecordChanged", answers
