"""Conflicting plans through the real API (`carerecord serve` on the real PostgreSQL): worked out once on the
record, and flagged on every surface that shows a plan: GraphQL, FHIR, the portal's person page, and oversight.
(The feed's PlansInForce message: tests/e2e/test_provider_feeds.py.)"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from carerecord_events.vocabulary import PlanConflict
from tests.builders import VALID_NHS_NUMBER
from tests.conftest import wait_until
from tests.e2e.test_api_end_to_end import (
    ASSURANCE,
    RECOMMEND,
    RESULT,
    recommendation_input,
    registered_with_gp,
)
from tests.fhir_checks import resources, validated
from tests.support.api_server import ApiServer, errors, nodes

RECORD_ADRT = f"mutation($id: UUID!, $input: RecordAdvanceDecisionInput!) {{ recordAdvanceDecision(recordId: $id, input: $input) {{ {RESULT} }} }}"
CONFLICTS = "query($nhs: String!) { person(nhsNumber: $nhs) { version moreThanOneActivePlan planConflicts { code description: codeLabel } } }"
DASHBOARD = """query($from: DateTime!, $to: DateTime!) {
  oversight(periodStart: $from, periodEnd: $to) { figures { key count outOf } } }"""
DECISIONS = """query($from: DateTime!, $to: DateTime!) {
  oversightDecisions(figure: "conflicting-plans", periodStart: $from, periodEnd: $to) { edges { node { planId recordId label } } } }"""
CPR_RECOMMENDED = {
    "cpr": "ATTEMPT_CPR",
    "reasonCategory": "CPR_RECOMMENDED",
    "reasoning": "Wishes to have CPR attempted; heart and lungs are strong after her recovery from pneumonia.",
    "formType": "TREATMENT_ESCALATION_PLAN",
}
VALID_ADRT_REFUSING_CPR = {
    "treatmentsRefused": "cardiopulmonary resuscitation",
    "refusesCpr": True,
    "madeOn": "2024-11-02",
    "written": True,
    "signed": True,
    "witnessed": True,
    "statesAppliesEvenIfLifeAtRisk": True,
    "madeWithCapacity": True,
}


@pytest.fixture
def server(test_database_url: str, fresh_schema: str, tmp_path: Path) -> Iterator[ApiServer]:
    api = ApiServer(test_database_url, fresh_schema, tmp_path).start()
    imported = subprocess.run(
        [sys.executable, "-m", "carerecord.cli", "import", "organisations", "--synthetic"],
        env=api.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert imported.returncode == 0, imported.stderr
    yield api
    api.stop()


def changed(result: dict[str, Any], field: str) -> int:
    assert not errors(result), errors(result)
    assert result["data"][field]["__typename"] == "RecordChanged", result
    version: int = result["data"][field]["version"]
    return version


def conflicts_shown(server: ApiServer, token: str, version: int) -> dict[str, Any]:
    """The person as GraphQL shows them once the current plan has caught up with `version`."""
    shown: dict[str, Any] = {}

    def caught_up() -> bool:
        shown.update(server.graphql(token, CONFLICTS, nhs=VALID_NHS_NUMBER)["data"]["person"])
        return bool(shown["version"] >= version)

    wait_until(caught_up, failure="the current plan did not catch up")
    return shown


def portal_page(server: ApiServer, token: str, record_id: str) -> str:
    with httpx.Client(base_url=server.url, follow_redirects=False, timeout=30) as browser:
        form = browser.get("/portal/sign-in").text
        found = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert found
        signed_in = browser.post("/portal/sign-in", data={"token": token, "csrf_token": found.group(1)})
        assert signed_in.status_code == 303
        page = browser.get(f"/portal/people/{record_id}")
    assert page.status_code == 200
    return page.text


def _period() -> dict[str, str]:
    now = datetime.now(UTC)
    return {"from": (now - timedelta(days=1)).isoformat(), "to": (now + timedelta(hours=1)).isoformat()}


def test_plans_that_disagree_and_a_valid_refusal_beside_cpr_are_flagged_on_every_surface(
    server: ApiServer,
) -> None:
    gp, record_id = registered_with_gp(server)
    version = changed(
        server.graphql(gp, RECOMMEND, id=record_id, input=recommendation_input()), "makeRecommendation"
    )
    alone = conflicts_shown(server, gp, version)
    assert alone["planConflicts"] == [] and not alone["moreThanOneActivePlan"]
    assert "Conflicting plans" not in portal_page(server, gp, record_id)
    assert [
        flag for flag in resources(validated(_everything(server, gp)), "Flag") if _conflict_code(flag)
    ] == []

    version = changed(
        server.graphql(gp, RECOMMEND, id=record_id, input=recommendation_input(**CPR_RECOMMENDED)),
        "makeRecommendation",
    )
    version = changed(
        server.graphql(gp, RECORD_ADRT, id=record_id, input=VALID_ADRT_REFUSING_CPR), "recordAdvanceDecision"
    )
    shown = conflicts_shown(server, gp, version)
    codes = [conflict["code"] for conflict in shown["planConflicts"]]
    assert codes == [
        "MORE_THAN_ONE_IN_FORCE",
        "CPR_RECOMMENDATIONS_DISAGREE",
        "CPR_RECOMMENDED_DESPITE_ADVANCE_DECISION",
    ]
    assert "the advance decision must be followed" in shown["planConflicts"][2]["description"]

    bundle = validated(_everything(server, gp))
    flagged = {_conflict_code(flag): flag for flag in resources(bundle, "Flag") if _conflict_code(flag)}
    assert list(flagged) == [PlanConflict[code].value for code in codes]  # FHIR keeps the wire codes
    assert flagged["cpr-recommendations-disagree"]["code"]["text"] == shown["planConflicts"][1]["description"]
    assert all(flag["status"] == "active" for flag in flagged.values())

    page = portal_page(server, gp, record_id)
    assert 'id="plan-conflicts"' in page and "Conflicting plans." in page
    for conflict in shown["planConflicts"]:
        assert conflict["description"].replace("'", "&#39;") in page

    assurance = server.token(**ASSURANCE)
    dashboard = server.graphql(assurance, DASHBOARD, **_period())
    assert not errors(dashboard), errors(dashboard)
    figures = {f["key"]: (f["count"], f["outOf"]) for f in dashboard["data"]["oversight"]["figures"]}
    assert figures["conflicting-plans"] == (1, 1)
    listed = nodes(server.graphql(assurance, DECISIONS, **_period())["data"]["oversightDecisions"])
    assert {row["recordId"] for row in listed} == {record_id} and len(listed) == 2
    assert "disagree about CPR" in listed[0]["label"]


def _everything(server: ApiServer, token: str) -> dict[str, Any]:
    response = httpx.get(
        f"{server.url}/fhir/Patient/{VALID_NHS_NUMBER}/$everything",
        headers={"authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    bundle: dict[str, Any] = response.json()
    return bundle


def _conflict_code(flag: dict[str, Any]) -> str | None:
    codings = flag["code"].get("coding", [])
    found = [c["code"] for c in codings if c["system"].endswith("/CodeSystem/plan-conflict")]
    return found[0] if found else None
