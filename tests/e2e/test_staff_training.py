"""Staff knowledge through the real API (`carerecord serve` on the real PostgreSQL): an organisation's
administrator reports its training figures from a checked CSV, a bad file is refused by row and column with
nothing changed, and oversight shows the figures beside the quality of the decisions the organisation made."""

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

from tests.e2e.test_api_end_to_end import (
    ASSURANCE,
    RECOMMEND,
    recommendation_input,
    registered_with_gp,
)
from tests.support.api_server import ApiServer, errors

REPORT = """mutation($csv: String!) { reportStaffTraining(csv: $csv) { __typename
  ... on StaffTrainingReported { organisation rows quarters }
  ... on StaffTrainingRefusedResult { message problems { row column problem } }
  ... on NotAllowedResult { message } } }"""
KNOWLEDGE = """query($from: DateTime!, $to: DateTime!) { oversight(periodStart: $from, periodEnd: $to) {
  staffKnowledge { organisation name
    training { quarter role staff trainedInAdvanceCarePlanning shareTrainedInDnacprConversations }
    decisions { key count outOf } } } }"""
ADMINISTRATOR = {"sub": "k81003-admin", "role": "administrator", "org": "K81003"}
HEADER = "quarter,role,staff,trained_in_advance_care_planning,trained_in_dnacpr_conversations\n"


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


def _report(server: ApiServer, token: str, text: str) -> dict[str, Any]:
    result = server.graphql(token, REPORT, csv=text)
    assert not errors(result), errors(result)
    answer: dict[str, Any] = result["data"]["reportStaffTraining"]
    return answer


def _knowledge(server: ApiServer) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    period = {"from": (now - timedelta(days=1)).isoformat(), "to": (now + timedelta(hours=1)).isoformat()}
    result = server.graphql(server.token(**ASSURANCE), KNOWLEDGE, **period)
    assert not errors(result), errors(result)
    found: list[dict[str, Any]] = result["data"]["oversight"]["staffKnowledge"]
    return found


def _quarter() -> str:
    today = datetime.now(UTC).date()
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


def test_an_administrator_reports_training_shown_beside_decision_quality_and_a_bad_file_changes_nothing(
    server: ApiServer,
) -> None:
    gp, record_id = registered_with_gp(server)
    made = server.graphql(gp, RECOMMEND, id=record_id, input=recommendation_input())
    assert made["data"]["makeRecommendation"]["__typename"] == "RecordChanged", made

    admin = server.token(**ADMINISTRATOR)
    quarter = _quarter()
    reported = _report(server, admin, HEADER + f"{quarter},gp,8,6,4\n{quarter},nurse,20,15,10\n")
    assert reported == {
        "__typename": "StaffTrainingReported",
        "organisation": "K81003",
        "rows": 2,
        "quarters": [quarter],
    }

    refused = _report(server, admin, HEADER + f"{quarter},gp,8,6,4\n{quarter},nurse,20,25,x\n")
    assert refused["__typename"] == "StaffTrainingRefusedResult"
    assert refused["problems"] == [
        {
            "row": 3,
            "column": "trained_in_dnacpr_conversations",
            "problem": "'x' is not a whole number (digits 0-9)",
        },
        {
            "row": 3,
            "column": "trained_in_advance_care_planning",
            "problem": "25 trained is more than the 20 staff",
        },
    ]
    assert _report(server, gp, HEADER + f"{quarter},gp,8,8,8\n")["__typename"] == "NotAllowedResult"

    (practice,) = _knowledge(server)
    assert (practice["organisation"], practice["name"]) == ("K81003", "Meadow Lane Surgery")
    assert practice["training"] == [  # the refused file changed nothing
        {
            "quarter": quarter,
            "role": "GP",
            "staff": 8,
            "trainedInAdvanceCarePlanning": 6,
            "shareTrainedInDnacprConversations": 0.5,
        },
        {
            "quarter": quarter,
            "role": "NURSE",
            "staff": 20,
            "trainedInAdvanceCarePlanning": 15,
            "shareTrainedInDnacprConversations": 0.5,
        },
    ]
    decisions = {figure["key"]: (figure["count"], figure["outOf"]) for figure in practice["decisions"]}
    assert decisions["decisions-made"] == (1, None)
    assert decisions["person-involved"] == (1, 1)

    corrected = _report(
        server, admin, HEADER + f"{quarter},gp,8,8,8\n"
    )  # a quarter reported again replaces it
    assert corrected["rows"] == 1
    (practice,) = _knowledge(server)
    assert [(row["role"], row["trainedInAdvanceCarePlanning"]) for row in practice["training"]] == [("GP", 8)]

    with httpx.Client(base_url=server.url, follow_redirects=False, timeout=30) as browser:
        form = browser.get("/portal/sign-in").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert csrf
        token = server.token(**ASSURANCE)
        assert (
            browser.post("/portal/sign-in", data={"token": token, "csrf_token": csrf.group(1)}).status_code
            == 303
        )
        page = browser.get("/portal/dashboard")
    assert page.status_code == 200
    assert "Staff knowledge and decision quality" in page.text and "Meadow Lane Surgery (K81003)" in page.text
    assert f"{quarter}, gp" in page.text and "8 (100%)" in page.text

    now = datetime.now(UTC)
    exported = httpx.get(
        f"{server.url}/oversight/export.csv",
        params={
            "periodStart": (now - timedelta(days=1)).isoformat(),
            "periodEnd": (now + timedelta(hours=1)).isoformat(),
        },
        headers={"authorization": f"Bearer {server.token(**ASSURANCE)}"},
        timeout=30,
    )
    assert exported.status_code == 200
    assert (
        f'Staff knowledge,"Meadow Lane Surgery (K81003), {quarter}, gp: trained in DNACPR conversations",'
        "staff-trained-in-dnacpr-conversations,8,8,100.0,"
    ) in exported.text
