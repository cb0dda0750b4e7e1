"""The FHIR view through the real API (`carerecord serve` on the real PostgreSQL): documents the real projector
wrote, the same authorisation as GraphQL reads, and every access, granted or refused, in the access history."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.builders import VALID_NHS_NUMBER
from tests.e2e.test_api_end_to_end import (
    ASSURANCE,
    GP,
    HISTORY,
    PARAMEDIC,
    RECOMMEND,
    RESULT,
    REVOKE,
    recommendation_input,
    registered_with_gp,
)
from tests.fhir_checks import by_reference, one, resources, validated
from tests.support.api_server import ApiServer, errors, nodes

EVERYTHING = "fhir:Patient/$everything"
RECORD_ADRT = f"mutation($id: UUID!, $input: RecordAdvanceDecisionInput!) {{ recordAdvanceDecision(recordId: $id, input: $input) {{ {RESULT} }} }}"
WITHDRAW_ADRT = f"mutation($id: UUID!, $input: WithdrawAdvanceDecisionInput!) {{ withdrawAdvanceDecision(recordId: $id, input: $input) {{ {RESULT} }} }}"
ENDORSE = f"mutation($id: UUID!, $input: EndorsePlanInput!) {{ endorsePlan(recordId: $id, input: $input) {{ {RESULT} }} }}"
DEATH = f"mutation($id: UUID!, $input: RecordDeathInput!) {{ recordDeath(recordId: $id, input: $input) {{ {RESULT} }} }}"
PERSON_FHIR = """query($nhs: String!) { person(nhsNumber: $nhs) { version
  fhir { json identifier timestamp selfUrl entries { fullUrl resourceType id searchMode } } } }"""
REGISTRAR = {
    "sub": "dr-patel",
    "role": "doctor",
    "org": "K81003",
    "registration": "7654321",
    "name": "Dr Patel",
}


@pytest.fixture
def server(test_database_url: str, fresh_schema: str, tmp_path: Path) -> Iterator[ApiServer]:
    api = ApiServer(test_database_url, fresh_schema, tmp_path).start()
    yield api
    api.stop()


def everything(server: ApiServer, token: str | None, nhs_number: str = VALID_NHS_NUMBER) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return httpx.get(f"{server.url}/fhir/Patient/{nhs_number}/$everything", headers=headers, timeout=30)


def changed(result: dict[str, Any], field: str) -> dict[str, Any]:
    assert not errors(result), errors(result)
    answer: dict[str, Any] = result["data"][field]
    assert answer["__typename"] == "RecordChanged", answer
    return answer


def fhir_history(server: ApiServer, record_id: str) -> list[dict[str, Any]]:
    result = server.graphql(server.token(**ASSURANCE), HISTORY, id=record_id)
    assert not errors(result), errors(result)
    history: list[dict[str, Any]] = nodes(result["data"]["accessHistory"])
    return [entry for entry in history if entry["operation"] == EVERYTHING]


def test_a_caring_gp_gets_the_bundle_an_outsider_gets_an_operation_outcome_and_both_are_recorded(
    server: ApiServer,
) -> None:
    gp, record_id = registered_with_gp(server)
    changed(server.graphql(gp, RECOMMEND, id=record_id, input=recommendation_input()), "makeRecommendation")
    adrt = {
        "treatmentsRefused": "mechanical ventilation",
        "refusesCpr": True,
        "madeOn": "2025-01-10",
        "written": True,
        "signed": True,
        "witnessed": True,
        "statesAppliesEvenIfLifeAtRisk": True,
        "documentLocation": "GP notes",
    }
    changed(server.graphql(gp, RECORD_ADRT, id=record_id, input=adrt), "recordAdvanceDecision")

    response = everything(server, gp)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    bundle = validated(response.json())
    patient = one(bundle, "Patient")
    assert patient["identifier"] == [
        {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": VALID_NHS_NUMBER}
    ]
    assert patient["meta"]["versionId"] == "4"
    flag = one(bundle, "Flag")
    assert (flag["status"], flag["code"]["coding"][0]["code"]) == ("active", "450476008")
    assert flag["period"]["end"] == "2027-03-01"
    assert by_reference(bundle, flag["author"])["identifier"][0] == {
        "system": "https://fhir.hl7.org.uk/Id/gmc-number",
        "value": "2345678",
    }
    assert one(bundle, "CarePlan")["status"] == "active"
    consent = one(bundle, "Consent")
    assert consent["status"] == "active"
    assert consent["provision"]["code"][1]["coding"][0]["code"] == "89666000"
    assert [o["id"] for o in resources(bundle, "Organization")] == ["K81003"]

    refused = everything(server, server.token(**PARAMEDIC))
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/fhir+json")
    outcome = refused.json()
    assert outcome["resourceType"] == "OperationOutcome"
    (issue,) = outcome["issue"]
    assert issue["code"] == "forbidden"
    assert "RX9 has no care relationship" in issue["diagnostics"]
    assert "Margaret" not in refused.text and "450476008" not in refused.text

    recorded = fhir_history(server, record_id)
    granted = [entry for entry in recorded if entry["granted"]]
    denied = [entry for entry in recorded if not entry["granted"]]
    assert [(e["userId"], e["organisation"], e["versionShown"]) for e in granted] == [
        ("dr-grey", "K81003", 4)
    ]
    assert [(e["userId"], e["refusalReason"]) for e in denied] == [
        ("p-khan", "no care relationship with RX9 (paramedic)")
    ]
    assert "RX9 has no care relationship recorded" in issue["diagnostics"]


def test_without_a_token_or_for_an_unknown_person_the_answer_is_an_operation_outcome(
    server: ApiServer,
) -> None:
    registered_with_gp(server)
    unsigned = everything(server, None)
    assert unsigned.status_code == 401
    assert unsigned.headers["www-authenticate"] == "Bearer"
    assert unsigned.json()["issue"][0]["code"] == "login"

    unknown = everything(server, server.token(**GP), nhs_number="401 000 0007")
    assert unknown.status_code == 403
    assert unknown.json()["issue"][0]["diagnostics"].startswith(
        "there is no such record, or you may not see it"
    )


def test_the_bundle_follows_the_plan_through_endorsement_revocation_withdrawal_and_death(
    server: ApiServer,
) -> None:
    gp, record_id = registered_with_gp(server)
    registrar = server.token(**REGISTRAR)
    junior = recommendation_input(
        responsibleClinician={"name": "Dr Patel", "role": "DOCTOR", "registration": "7654321"}
    )
    changed(server.graphql(registrar, RECOMMEND, id=record_id, input=junior), "makeRecommendation")
    changed(
        server.graphql(
            gp,
            RECORD_ADRT,
            id=record_id,
            input={
                "treatmentsRefused": "artificial nutrition",
                "refusesCpr": True,
                "madeOn": "2025-02-01",
                "written": True,
                "signed": False,
                "witnessed": False,
                "statesAppliesEvenIfLifeAtRisk": False,
            },
        ),
        "recordAdvanceDecision",
    )
    bundle = validated(everything(server, gp).json())
    care_plan = one(bundle, "CarePlan")
    assert care_plan["status"] == "active"
    assert "Awaiting endorsement by a senior clinician." in [note["text"] for note in care_plan["note"]]
    (refused,) = one(bundle, "Consent")["provision"]["code"]
    assert "not valid for refusing CPR" in refused["text"]

    plan_id = care_plan["id"]
    changed(
        server.graphql(gp, ENDORSE, id=record_id, input={"planId": plan_id, "endorserName": "Dr Grey"}),
        "endorsePlan",
    )
    endorsed = one(validated(everything(server, gp).json()), "CarePlan")
    assert "Awaiting endorsement by a senior clinician." not in [note["text"] for note in endorsed["note"]]
    assert len(endorsed["contributor"]) == 3  # the author, the endorser, the organisation

    changed(
        server.graphql(
            gp,
            REVOKE,
            id=record_id,
            input={"planId": plan_id, "reason": "She asked for CPR.", "initiated": "PERSON_REQUEST"},
        ),
        "revokePlan",
    )
    adrt_id = one(bundle, "Consent")["id"]
    changed(
        server.graphql(
            gp,
            WITHDRAW_ADRT,
            id=record_id,
            input={"advanceDecisionId": adrt_id, "reason": "changed her mind"},
        ),
        "withdrawAdvanceDecision",
    )
    bundle = validated(everything(server, gp).json())
    flag = one(bundle, "Flag")
    assert flag["status"] == "inactive" and "end" in flag["period"]
    assert one(bundle, "CarePlan")["status"] == "revoked"
    assert one(bundle, "Consent")["status"] == "inactive"

    cpr = recommendation_input(cpr="ATTEMPT_CPR", reasonCategory="CPR_RECOMMENDED")
    changed(server.graphql(gp, RECOMMEND, id=record_id, input=cpr), "makeRecommendation")
    changed(
        server.graphql(gp, DEATH, id=record_id, input={"dateOfDeath": "2026-10-31", "placeOfDeath": "home"}),
        "recordDeath",
    )
    bundle = validated(everything(server, gp).json())
    assert one(bundle, "Patient")["deceasedDateTime"] == "2026-10-31"
    statuses = sorted(
        (p["status"], p["activity"][0]["detail"]["doNotPerform"]) for p in resources(bundle, "CarePlan")
    )
    assert statuses == [("completed", False), ("revoked", True)]

    read = server.graphql(gp, PERSON_FHIR, nhs=VALID_NHS_NUMBER)
    assert not errors(read), errors(read)
    fhir = read["data"]["person"]["fhir"]
    same = validated(json.loads(fhir["json"]))
    assert [e["resource"] for e in same["entry"]] == [e["resource"] for e in bundle["entry"]]
    # what the schema types is what the Bundle holds
    assert (fhir["identifier"], fhir["timestamp"], fhir["selfUrl"]) == (
        same["identifier"]["value"],
        same["timestamp"],
        same["link"][0]["url"],
    )
    assert [tuple(entry.values()) for entry in fhir["entries"]] == [
        (e["fullUrl"], e["resource"]["resourceType"], e["resource"]["id"], e["search"]["mode"])
        for e in same["entry"]
    ]
    assert fhir["entries"][0]["resourceType"] == "Patient" and fhir["entries"][0]["searchMode"] == "match"
