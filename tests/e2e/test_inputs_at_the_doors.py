"""Every door of a running `carerecord serve` (GraphQL over HTTP and WebSocket, the FHIR route) and the CLI
import refuse identifiers outside ASCII, invisible characters in names, impossible dates, and unreadable
argument values, each with an error naming what to fix."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg2
import pytest
import websockets

from tests.builders import VALID_NHS_NUMBER
from tests.e2e.test_api_end_to_end import (
    GP,
    PERSON,
    RECOMMEND,
    REGISTER,
    RESULT,
    person_input,
    recommendation_input,
    registered_with_gp,
)
from tests.support.api_server import ApiServer, errors

FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
SCRIPTS = {"fullwidth": FULLWIDTH, "arabic-indic": ARABIC_INDIC}
ASSESS = f"mutation($id: UUID!, $input: AssessCapacityInput!) {{ assessCapacity(recordId: $id, input: $input) {{ {RESULT} }} }}"


@pytest.fixture(scope="module")
def server(test_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    """One server for the module (each test registers its own people), on a schema of its own."""
    schema = f"t{uuid.uuid4().hex[:12]}"
    connection = psycopg2.connect(test_database_url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {schema}")
    api = ApiServer(test_database_url, schema, tmp_path_factory.mktemp("inputs")).start()
    yield api
    api.stop()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA {schema} CASCADE")
    connection.close()


@pytest.fixture(scope="module")
def registered(server: ApiServer) -> tuple[str, str]:
    return registered_with_gp(server)


def _refused(result: dict[str, Any], mutation: str) -> dict[str, Any]:
    assert not errors(result), errors(result)
    answer: dict[str, Any] = result["data"][mutation]
    assert answer["__typename"] == "Refused", answer
    return answer


@pytest.mark.parametrize("script", SCRIPTS.values(), ids=SCRIPTS.keys())
def test_an_nhs_number_in_other_digits_registers_no_second_record_and_finds_nobody(
    server: ApiServer, registered: tuple[str, str], script: dict[int, str]
) -> None:
    gp, _ = registered
    written = VALID_NHS_NUMBER.translate(script)
    refused = _refused(
        server.graphql(gp, REGISTER, input={**person_input(), "nhsNumber": written}), "registerPerson"
    )
    assert (refused["rule"], refused["field"]) == ("invalid-identifier", "nhs_number")
    asked = server.graphql(gp, PERSON, nhs=written)
    assert asked["data"] is None
    assert errors(asked) and "nhsNumber" in errors(asked)[0] and "0-9" in errors(asked)[0]


def test_the_same_refusal_holds_over_the_websocket_transport(
    server: ApiServer, registered: tuple[str, str]
) -> None:
    gp, _ = registered

    async def register_over_websocket() -> dict[str, Any]:
        url = server.url.replace("http://", "ws://") + "/graphql"
        async with websockets.connect(
            url, subprotocols=["graphql-transport-ws"], additional_headers={"authorization": f"Bearer {gp}"}
        ) as socket:
            await socket.send(json.dumps({"type": "connection_init"}))
            assert json.loads(await socket.recv())["type"] == "connection_ack"
            written = VALID_NHS_NUMBER.translate(FULLWIDTH)
            payload = {"query": REGISTER, "variables": {"input": {**person_input(), "nhsNumber": written}}}
            await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
            message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), timeout=30))
            return message

    message = asyncio.run(register_over_websocket())
    assert message["type"] == "next", message
    assert message["payload"]["data"]["registerPerson"]["field"] == "nhs_number"


@pytest.mark.parametrize("script", SCRIPTS.values(), ids=SCRIPTS.keys())
def test_the_fhir_route_refuses_an_nhs_number_in_other_digits_with_an_operation_outcome(
    server: ApiServer, registered: tuple[str, str], script: dict[int, str]
) -> None:
    gp, _ = registered
    written = VALID_NHS_NUMBER.translate(script)
    response = httpx.get(
        f"{server.url}/fhir/Patient/{written}/$everything",
        headers={"authorization": f"Bearer {gp}"},
        timeout=30,
    )
    assert response.status_code == 400, response.text
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert "nhsNumber" in outcome["issue"][0]["diagnostics"]
    assert (
        httpx.get(
            f"{server.url}/fhir/Patient/{VALID_NHS_NUMBER}/$everything",
            headers={"authorization": f"Bearer {gp}"},
            timeout=30,
        ).status_code
        == 200
    )


def test_a_name_with_a_right_to_left_override_is_refused_naming_the_field(server: ApiServer) -> None:
    gp = server.token(**GP)
    spoofed = {**person_input(), "nhsNumber": "401 000 0000", "familyName": "Ha\u202ele"}
    refused = _refused(server.graphql(gp, REGISTER, input=spoofed), "registerPerson")
    assert refused["field"] == "family_name" and "U+202E" in refused["message"]


def test_a_date_of_birth_of_year_one_is_refused(server: ApiServer) -> None:
    gp = server.token(**GP)
    ancient = {**person_input(), "dateOfBirth": "0001-01-01"}
    refused = _refused(server.graphql(gp, REGISTER, input=ancient), "registerPerson")
    assert refused["field"] == "date_of_birth" and "1880-01-01" in refused["message"]


def test_an_occurred_at_before_the_persons_birth_is_refused(
    server: ApiServer, registered: tuple[str, str]
) -> None:
    gp, record_id = registered
    before_birth = recommendation_input(occurredAt="1930-05-01T10:00:00+00:00")
    refused = _refused(server.graphql(gp, RECOMMEND, id=record_id, input=before_birth), "makeRecommendation")
    assert refused["field"] == "occurred_at" and "born" in refused["message"]


@pytest.mark.parametrize("version", [2**31, 2**40])
def test_an_expected_version_beyond_32_bits_names_the_argument(
    server: ApiServer, registered: tuple[str, str], version: int
) -> None:
    gp, record_id = registered
    result = server.graphql(gp, RECOMMEND, id=record_id, v=version, input=recommendation_input())
    assert result.get("data") is None
    message = errors(result)[0]
    assert "Unexpected error" not in message
    assert "expectedVersion" in message and "32-bit" in message


def test_a_negative_expected_version_is_refused_naming_it(
    server: ApiServer, registered: tuple[str, str]
) -> None:
    gp, record_id = registered
    refused = _refused(
        server.graphql(gp, RECOMMEND, id=record_id, v=-1, input=recommendation_input()), "makeRecommendation"
    )
    assert refused["field"] == "expected_version"


def test_a_malformed_uuid_variable_names_the_argument(server: ApiServer, registered: tuple[str, str]) -> None:
    gp, _ = registered
    result = server.graphql(gp, RECOMMEND, id="not-a-uuid", input=recommendation_input())
    message = errors(result)[0]
    assert "Unexpected error" not in message
    assert "recordId" in message and "UUID" in message
    nested = server.graphql(
        gp,
        'mutation($id: UUID!, $plan: UUID!) { revokePlan(recordId: $id, input: {planId: $plan, reason: "x", '
        "initiated: CLINICAL}) { __typename } }",
        id=str(uuid.uuid4()),
        plan="12345",
    )
    assert "input.planId" in errors(nested)[0]


def test_assess_capacity_takes_the_coded_decision(server: ApiServer, registered: tuple[str, str]) -> None:
    gp, record_id = registered
    assessed = server.graphql(
        gp, ASSESS, id=record_id, input={"decision": "CPR_RECOMMENDATION", "hasCapacity": True}
    )
    assert assessed["data"]["assessCapacity"]["__typename"] == "RecordChanged", assessed
    other = server.graphql(gp, ASSESS, id=record_id, input={"decision": "OTHER", "hasCapacity": True})
    assert _refused(other, "assessCapacity")["field"] == "decision_text"


def test_the_import_refuses_an_ods_code_in_fullwidth_letters_or_a_count_in_arabic_indic_digits(
    server: ApiServer, tmp_path: Path
) -> None:
    organisations = tmp_path / "organisations.csv"
    organisations.write_text(
        "ods_code,name,setting,icb_code,icb_name,region\nＲＸＦ,Riverside,hospital,QWE,South Downs,South East\n",
        encoding="utf-8",
    )
    population = tmp_path / "population.csv"
    population.write_text(
        "icb_code,age_band,sex,ethnicity,people\nQWE,85+,female,White,٣٠\n", encoding="utf-8"
    )
    for kind, path, problem in [
        ("organisations", organisations, "is not an ODS code"),
        ("population", population, "is not a whole number"),
    ]:
        result = subprocess.run(
            [sys.executable, "-m", "carerecord.cli", "import", kind, str(path)],
            env=server.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 1, result.stdout + result.stderr
        assert "nothing imported" in result.stderr and problem in result.stderr
