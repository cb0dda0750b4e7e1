"""The integration tier talks to the real PostgreSQL and Apache Kafka that `carerecord infra up` starts.

Nothing here is mocked, and nothing is skipped for want of a server: a missing server fails the run.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg2
import pytest
from carerecord_infra import stack

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def infra() -> dict[str, str]:
    values = stack.settings()
    if "DATABASE_URL" not in values or "KAFKA_BOOTSTRAP_SERVERS" not in values:
        pytest.fail("the local infrastructure is not set up: run `carerecord infra up` (make test does)")
    return values


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
