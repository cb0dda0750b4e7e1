"""The FHIR route's answers that need no database: sign-in refused, and an unexpected failure, as
OperationOutcomes that say nothing of the cause or the request. The granted and refused reads are tested against
the real API in tests/e2e/test_fhir_api.py."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.operationoutcome import OperationOutcome
from starlette.testclient import TestClient

from carerecord.tokens import development_keys, issue_token
from carerecord_graphql.app import create_app
from carerecord_graphql.auth import TokenSettings, TokenVerifier
from carerecord_graphql.context import Api
from carerecord_graphql.schema import build_schema
from carerecord_projections.queries import ReadModels

GP = {"sub": "dr-grey", "role": "gp", "org": "K81003", "registration": "2345678"}
UNREACHABLE = "host=127.0.0.1 port=1 dbname=none user=nobody connect_timeout=2"
URL = "/fhir/Patient/943 476 5919/$everything"


@pytest.fixture
def keys(tmp_path: Path) -> Any:
    return development_keys(tmp_path)


def _client(keys: Any) -> TestClient:
    # The read models' database is unreachable and no store is wired: a signed-in request fails unexpectedly
    # at its first step (finding the record), the others never reach the services.
    api = Api(
        care_records=None,
        read_models=ReadModels(UNREACHABLE),
        audit=None,
        investigations=None,
        verifier=TokenVerifier(TokenSettings("issuer-x", "carerecord", keys.jwks)),
        clock=lambda: datetime.now(UTC),
        reading=None,
    )
    return TestClient(create_app(build_schema(), lambda: {"status": "ok"}, api=api))


def _outcome(response: Any) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/fhir+json")
    body: dict[str, Any] = response.json()
    OperationOutcome.model_validate(body)
    return body


def test_without_a_bearer_token_the_answer_is_401_with_an_operation_outcome(keys: Any) -> None:
    response = _client(keys).get(URL)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    (issue,) = _outcome(response)["issue"]
    assert (issue["code"], issue["diagnostics"]) == ("login", "a bearer token is required")


def test_an_unexpected_failure_is_a_500_outcome_and_the_log_names_only_the_exception_type(
    keys: Any, caplog: pytest.LogCaptureFixture
) -> None:
    token = issue_token(keys, GP, issuer="issuer-x", audience="carerecord", minutes=5)
    with caplog.at_level(logging.ERROR, logger="carerecord.api"):
        response = _client(keys).get(URL, headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 500
    (issue,) = _outcome(response)["issue"]
    assert (issue["code"], issue["diagnostics"]) == ("exception", "the record could not be read; try again")
    assert [record.getMessage() for record in caplog.records] == [
        "unexpected AttributeError at fhir:Patient/$everything"
    ]
    assert "943" not in caplog.text
