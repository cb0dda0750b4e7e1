"""No stall is silent (issue 11 items 9 and 17): /health names a stuck relay or worker, measures the consumer
group the workers use, and a missing CARERECORD_SCHEMA is created or refused in one line."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg2
import pytest

from carerecord.database import event_store_env
from carerecord.lag import LagGauge, StallWatch
from carerecord.settings import load_settings, parse_database_url
from carerecord_messaging.kafka_worker import KafkaProjectionWorker
from carerecord_services.service import CareRecordService
from carerecord_services.store import EventStore
from carerecord_services.writer import GroupWriter
from tests.builders import register
from tests.conftest import CareRecordStack, dsn, kafka_options, wait_until
from tests.e2e.test_event_bounds import consulting
from tests.e2e.test_events_through_kafka import _process_env, publish_everything, relay_for
from tests.support.api_server import ApiServer

log = logging.getLogger(__name__)

REGISTER = "mutation($input: RegisterPersonInput!) { registerPerson(input: $input) { __typename } }"
PERSON = {
    "nhsNumber": "943 476 5919",
    "givenName": "Margaret",
    "familyName": "Hale",
    "dateOfBirth": "1938-04-02",
    "postcode": "NG1 1AA",
}


def kafka_env(infra: dict[str, str], topic: str) -> dict[str, str]:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": infra["KAFKA_BOOTSTRAP_SERVERS"],
        "KAFKA_USERNAME": "admin",
        "KAFKA_PASSWORD": infra["KAFKA_ADMIN_PASSWORD"],
        "KAFKA_TOPIC": topic,
    }


def test_with_the_relay_stopped_and_the_store_ahead_health_turns_degraded_naming_the_stuck_position(
    test_database_url: str, fresh_schema: str, tmp_path: Path, infra: dict[str, str], topic: str
) -> None:
    server = ApiServer(
        test_database_url, fresh_schema, tmp_path, CARERECORD_STALL_SECONDS="2", **kafka_env(infra, topic)
    ).start()
    try:
        gp = server.token(sub="dr-grey", role="gp", org="K81003", registration="2345678", name="Dr Grey")
        assert server.graphql(gp, REGISTER, input=PERSON)["data"]["registerPerson"]["__typename"]
        stalled_since = time.monotonic()  # no relay runs: from here the store is ahead and nothing moves
        answers: list[httpx.Response] = []

        def degraded() -> bool:  # /health is polled, as an orchestrator polls it
            answers.append(httpx.get(f"{server.url}/health", timeout=10))
            return answers[-1].status_code != 200

        wait_until(degraded, timeout=30, interval=0.2, failure="/health never turned degraded")
        health = answers[-1]
        took = time.monotonic() - stalled_since
    finally:
        server.stop()
    report = health.json()
    assert health.status_code == 503 and report["status"] == "degraded"
    relay = next(stall for stall in report["stalled"] if stall["stage"] == "relay")
    assert relay["stuck_at_position"] == 1 and relay["pending"] == report["lag"]["store_position"]
    log.info(f"a stalled relay turned /health degraded after {took:.1f}s (CARERECORD_STALL_SECONDS=2)")
    assert took < 2 + 5


def test_an_event_the_broker_refuses_for_ever_is_logged_by_type_and_position_and_named_by_health(
    test_database_url: str,
    fresh_schema: str,
    infra: dict[str, str],
    topic: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An event stored before the store's door checked sizes (or with the limit set above the broker's)."""
    env = event_store_env(parse_database_url(test_database_url), None, schema=fresh_schema)
    store = EventStore(env | {"CARERECORD_MAX_EVENT_BYTES": "3000000"})
    writer = GroupWriter(store.insert)
    service = CareRecordService(store, writer, clock=_now, index_key=b"test-index-key-0123456789")
    record_id = service.register_person(register()).record_id
    service.execute(record_id, consulting(100, 15_000))  # 1.5 MB: more than the producer may send
    oversized = store.last_position()
    relay, producer = relay_for(
        _stack(store, writer, service, fresh_schema), infra, topic, dsn(test_database_url, fresh_schema)
    )
    stop = threading.Event()
    running = threading.Thread(target=relay.run, args=(stop,))
    with caplog.at_level(logging.ERROR, logger="carerecord.relay"):
        running.start()
        wait_until(lambda: f"position {oversized} (RecommendationMade)" in caplog.text, timeout=30)
        stop.set()
        running.join()
    producer.close()
    assert relay.checkpoint() == oversized - 1
    assert "Hale" not in caplog.text and "xxxx" not in caplog.text  # type and position only, no content
    clock = [0.0]
    kafka = load_settings(kafka_env(infra, topic)).kafka
    gauge = LagGauge(store, dsn(test_database_url, fresh_schema), kafka, StallWatch(60, lambda: clock[0]))
    assert gauge.measure()["stalled"] == []
    clock[0] = 61.0
    [stall] = [s for s in gauge.measure()["stalled"] if s["stage"] == "relay"]
    assert stall["stuck_at_position"] == oversized
    writer.close()
    store.close()


def test_health_measures_projection_lag_for_the_consumer_group_the_workers_use_and_names_it(
    plain: CareRecordStack, infra: dict[str, str], topic: str, test_database_url: str
) -> None:
    database_dsn = dsn(test_database_url, plain.schema)
    plain.care_records.register_person(register())
    publish_everything(plain, infra, topic, database_dsn)
    group = f"carerecord-projections-{topic}"
    worker = KafkaProjectionWorker(
        kafka_options(infra, "projector"), topic=topic, dsn=database_dsn, group=group
    )
    gauge = LagGauge(plain.store, database_dsn, load_settings(kafka_env(infra, topic)).kafka)
    try:
        wait_until(
            lambda: (
                worker.poll_once(200) >= 0
                and sum(gauge.measure()["projection_lag"].get(group, {"-": 1}).values()) == 0
            ),
            timeout=180,
        )
    finally:
        worker.close()
    measured = gauge.measure()
    assert measured["projection_groups"] == [group]
    assert "carerecord-projections" not in measured["projection_lag"]


def test_serve_creates_a_missing_schema_where_its_role_may(
    test_database_url: str, unique_name: str, tmp_path: Path
) -> None:
    server = ApiServer(test_database_url, unique_name, tmp_path).start()
    server.stop()
    connection = psycopg2.connect(test_database_url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (unique_name,))
        assert cursor.fetchone() == (1,)
        cursor.execute(f"DROP SCHEMA {unique_name} CASCADE")
    connection.close()


@pytest.mark.parametrize("command", ["serve", "relay", "project", "feeds"])
def test_a_schema_that_cannot_be_created_is_refused_in_one_line_naming_the_setting(
    command: str, test_database_url: str, infra: dict[str, str], topic: str, tmp_path: Path
) -> None:
    env = _process_env(infra, "admin", topic, test_database_url, "pg_carerecord")  # pg_ is reserved
    env["CARERECORD_DATA_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "carerecord.cli", command], env=env, capture_output=True, timeout=60
    )
    assert done.returncode == 2
    lines = done.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("carerecord: CARERECORD_SCHEMA: "), lines


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def _stack(
    store: EventStore, writer: GroupWriter, service: CareRecordService, schema: str
) -> CareRecordStack:
    return CareRecordStack(store, writer, service, schema)
