"""Several API processes on one store (issue 16 item 4): `serve --workers N` answers from N processes and stops
within 10 s of SIGTERM; a change of access made through one process takes effect at once in another, whatever
that one has cached; the checkpoint signer runs once per deployment."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import psycopg2
import pytest

from carerecord.duties import OncePerDeployment
from tests.conftest import dsn, wait_until
from tests.e2e.test_api_end_to_end import RECORD, RESULT, registered_with_gp
from tests.e2e.test_freezes import _waiting_for_the_lag
from tests.support.api_server import ApiServer, errors

END = f"mutation($id: UUID!, $input: EndCareRelationshipInput!) {{ endCareRelationship(recordId: $id, input: $input) {{ {RESULT} }} }}"
START = f"mutation($id: UUID!, $input: StartCareRelationshipInput!) {{ startCareRelationship(recordId: $id, input: $input) {{ {RESULT} }} }}"
GP_PRACTICE = {"organisation": "K81003", "setting": "GP_PRACTICE", "basis": "REGISTERED_WITH_PRACTICE"}


def _workers(server: ApiServer) -> list[psutil.Process]:
    assert server.process is not None
    return [
        child
        for child in psutil.Process(server.process.pid).children(recursive=True)
        if "multiprocessing.resource_tracker" not in " ".join(child.cmdline())
    ]


def test_serve_with_two_workers_answers_from_both_and_stops_within_ten_seconds_of_sigterm_with_a_request_stuck(
    test_database_url: str, fresh_schema: str, tmp_path: Path
) -> None:
    server = ApiServer(
        test_database_url,
        fresh_schema,
        tmp_path,
        CARERECORD_STATEMENT_TIMEOUT_MS="0",
        CARERECORD_LOCK_TIMEOUT_MS="0",
    ).start("serve", "--workers", "2")
    assert server.process is not None
    workers = _workers(server)
    assert len(workers) == 2, [w.cmdline() for w in workers]
    gp, record_id = registered_with_gp(server)
    for _ in range(10):  # a fresh connection each time: the kernel hands them to either worker
        assert not errors(server.graphql(gp, RECORD, id=record_id))
    used = {w.pid for w in workers if w.cpu_times().user + w.cpu_times().system > 0}
    assert len(used) == 2

    locker = psycopg2.connect(test_database_url)
    with locker.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {fresh_schema}.projection_position IN ACCESS EXCLUSIVE MODE")
    stuck = threading.Thread(target=_get_health_ignoring_errors, args=(server.url,), daemon=True)
    stuck.start()
    try:
        wait_until(
            lambda: _waiting_for_the_lag(test_database_url) > 0, timeout=30, failure="/health never got stuck"
        )
        sent = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            pytest.fail(f"still running 10 s after SIGTERM: {server.log.read_text()[-3000:]}")
        took = time.monotonic() - sent
    finally:
        locker.close()
    assert took < 10
    assert not any(w.is_running() and w.status() != psutil.STATUS_ZOMBIE for w in workers)


def _get_health_ignoring_errors(url: str) -> None:
    with contextlib.suppress(httpx.HTTPError):
        httpx.get(f"{url}/health", timeout=60)


@pytest.fixture
def two_servers(
    test_database_url: str, fresh_schema: str, tmp_path: Path
) -> Iterator[tuple[ApiServer, ApiServer]]:
    first = ApiServer(test_database_url, fresh_schema, tmp_path).start()
    second = ApiServer(test_database_url, fresh_schema, tmp_path).start()
    yield first, second
    first.stop()
    second.stop()


def test_access_withdrawn_through_one_process_is_refused_at_once_by_another_that_granted_it(
    two_servers: tuple[ApiServer, ApiServer],
) -> None:
    first, second = two_servers
    gp, record_id = registered_with_gp(first)  # the care relationship recorded (and cached) by the first
    assert not errors(first.graphql(gp, RECORD, id=record_id))  # read there: the record is in its cache
    ended = second.graphql(gp, END, id=record_id, input={"organisation": "K81003", "reason": "moved away"})
    assert ended["data"]["endCareRelationship"]["__typename"] == "RecordChanged"
    refused = errors(first.graphql(gp, RECORD, id=record_id))
    assert refused and "may not see it" in refused[0], refused
    # and granted again through the second, the first lets the GP read at once
    again = second.graphql(gp, START, id=record_id, input=GP_PRACTICE)
    assert again["data"]["startCareRelationship"]["__typename"] == "RecordChanged"
    assert not errors(first.graphql(gp, RECORD, id=record_id))


def test_one_process_of_a_deployment_signs_checkpoints_and_another_takes_over_when_it_stops(
    test_database_url: str, fresh_schema: str
) -> None:
    where = dsn(test_database_url, fresh_schema)
    first = OncePerDeployment(where, "signs checkpoints", fresh_schema)
    second = OncePerDeployment(where, "signs checkpoints", fresh_schema)
    elsewhere = OncePerDeployment(where, "signs checkpoints", f"{fresh_schema}_other")
    try:
        assert first.held()
        assert not second.held()
        assert first.held()  # still held, checked again
        assert elsewhere.held()  # another store's signer does not wait on this one
        first.close()
        assert second.held()
        assert not first.held()
    finally:
        for duty in (first, second, elsewhere):
            duty.close()
