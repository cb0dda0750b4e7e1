"""Fixtures shared by the tiers, and each test's tier marker, taken from its folder.

tests/unit starts no server; tests/integration talks to one real server (PostgreSQL or Apache Kafka, as
`carerecord infra up` starts them); tests/e2e runs the processes together (the API server, relays, projectors,
feeds, a PostgreSQL of its own to kill), the adversarial suite among them. Nothing is mocked, and nothing is
skipped for want of a server: a missing server fails the run.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from kafka.admin import KafkaAdminClient, NewTopic

from carerecord.database import event_store_env
from carerecord.kafka_setup import region_acls
from carerecord.settings import Settings, load_settings, parse_database_url
from carerecord_infra import fhir_validator
from carerecord_infra import stack as infra_stack
from carerecord_infra.fhir_validator import FhirValidator
from carerecord_infra.processes import wait_until as poll_until
from carerecord_projections.database import prepare
from carerecord_projections.fhir import code_systems
from carerecord_services.service import CareRecordService
from carerecord_services.store import EventStore
from carerecord_services.writer import GroupWriter


@pytest.fixture(scope="session")
def infra() -> dict[str, str]:
    values = infra_stack.settings()
    if "DATABASE_URL" not in values or "KAFKA_BOOTSTRAP_SERVERS" not in values:
        pytest.fail("the local infrastructure is not set up: run `carerecord infra up` (make test does)")
    return values


@pytest.fixture(scope="session")
def hapi(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FhirValidator]:
    """HAPI FHIR's validator (R4 core, offline), one JVM for the whole session. `carerecord infra up` fetched its
    jars; if they are missing, they are fetched here, saying so on the terminal."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    fhir_validator.fetch_jars(lambda line: reporter.write_line(f"carerecord: {line}") if reporter else None)
    validator = FhirValidator(tmp_path_factory.mktemp("hapi") / "validator.log", conformance=code_systems())
    yield validator
    validator.close()


@pytest.fixture(scope="session")
def test_database_url(infra: dict[str, str]) -> str:
    return infra["CARERECORD_TEST_DATABASE_URL"]


@pytest.fixture
def pg_connection(test_database_url: str) -> Iterator[Any]:
    connection = psycopg2.connect(test_database_url)
    yield connection
    connection.close()


def kafka_options(infra: dict[str, str], principal: str = "admin") -> dict[str, Any]:
    return {
        "bootstrap_servers": [infra["KAFKA_BOOTSTRAP_SERVERS"]],
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-256",
        "sasl_plain_username": principal,
        "sasl_plain_password": infra[f"KAFKA_{principal.upper()}_PASSWORD"],
    }


@pytest.fixture
def unique_name() -> str:
    return f"t{uuid.uuid4().hex[:12]}"


@dataclass
class CareRecordStack:
    store: EventStore
    writer: GroupWriter
    care_records: CareRecordService
    schema: str

    def close(self) -> None:
        self.writer.close()
        self.store.close()


CIPHER_KEY = base64.b64encode(b"k" * 32).decode()


def open_stack(database_url: str, schema: str, encrypted: bool) -> CareRecordStack:
    env = event_store_env(parse_database_url(database_url), CIPHER_KEY if encrypted else None, schema=schema)
    store = EventStore(env)
    writer = GroupWriter(store.insert)
    service = CareRecordService(
        store, writer, clock=lambda: datetime.now(UTC), index_key=b"test-index-key-0123456789"
    )
    return CareRecordStack(store, writer, service, schema)


@pytest.fixture
def fresh_schema(test_database_url: str, unique_name: str) -> Iterator[str]:
    """An empty PostgreSQL schema of its own, so that whole-store checks see only this test's events."""
    connection = psycopg2.connect(test_database_url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {unique_name}")
    yield unique_name
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA {unique_name} CASCADE")
    connection.close()


@pytest.fixture(params=[False, True], ids=["plain", "encrypted"])
def stack(
    request: pytest.FixtureRequest, test_database_url: str, fresh_schema: str
) -> Iterator[CareRecordStack]:
    opened = open_stack(test_database_url, fresh_schema, encrypted=request.param)
    yield opened
    opened.close()


def wait_until(
    condition: Callable[[], bool],
    timeout: float = 60.0,
    interval: float = 0.05,
    failure: str = "condition not met in time",
) -> None:
    """The tests' one wait on something another process or thread does (a position reached, a row
    projected, a server answering): the condition is polled until it holds, within a bounded deadline.

    It is `carerecord infra up`'s own poll (one definition), paced by `interval` between polls; no test
    waits a fixed time hoping that something has happened by then."""
    if not poll_until(condition, timeout, interval=interval):
        raise AssertionError(failure)


@pytest.fixture
def topic(infra: dict[str, str], unique_name: str) -> Iterator[str]:
    admin = KafkaAdminClient(**kafka_options(infra))
    admin.create_topics([NewTopic(unique_name, num_partitions=3, replication_factor=1)])
    admin.create_acls(region_acls(unique_name))
    admin.close()
    yield unique_name


@pytest.fixture
def plain(test_database_url: str, fresh_schema: str) -> Iterator[CareRecordStack]:
    opened = open_stack(test_database_url, fresh_schema, encrypted=False)
    prepare(dsn(test_database_url, fresh_schema))
    yield opened
    opened.close()


def dsn(database_url: str, schema: str) -> str:
    """The read-model DSN for a test schema."""
    return parse_database_url(database_url).dsn(schema)


def schema_settings(database_url: str, schema: str, data_dir: Any) -> Settings:
    """The settings a process reads on a test schema, its data folder `data_dir`, nothing else configured."""
    return load_settings(
        {"DATABASE_URL": database_url, "CARERECORD_SCHEMA": schema, "CARERECORD_DATA_DIR": str(data_dir)}
    )


# The adversarial suite (issue 11): what an attacker or a careless caller would try, through the real
# processes (all in tests/e2e). `pytest -m adversarial` runs it alone; CI runs it with everything else.
ADVERSARIAL = frozenset(
    {
        "test_abuse.py",
        "test_access_decided_from_the_record.py",
        "test_access_matrix.py",
        "test_audit_tamper_evidence.py",
        "test_event_bounds.py",
        "test_feed_acls.py",
        "test_freezes.py",
        "test_inputs_at_the_doors.py",
        "test_read_model_check.py",
        "test_stalls.py",
        "test_stored_history.py",
        "test_tamper_evidence.py",
        "test_transport_limits.py",
    }
)


TESTS = Path(__file__).parent
TIERS = ("unit", "integration", "e2e")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`pytest -m unit` (or integration, e2e) runs one tier; the folder a test sits in is its tier."""
    for item in items:
        tier = item.path.relative_to(TESTS).parts[0]
        if tier in TIERS:
            item.add_marker(tier)
        if item.path.name in ADVERSARIAL:
            item.add_marker(pytest.mark.adversarial)
