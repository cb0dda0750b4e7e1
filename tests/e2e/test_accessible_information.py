"""Accessible information through the real API (`carerecord serve` on the real PostgreSQL): the formats offered
at a conversation, coded, and the reasonable adjustments made; shown on the timeline; counted in oversight for
the people whose record says they have a learning disability, dementia or a communication need."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.builders import valid_nhs_numbers
from tests.conftest import wait_until
from tests.e2e.test_api_end_to_end import ASSURANCE, GP, REGISTER, RESULT, START
from tests.support.api_server import ApiServer, errors, nodes

CONVERSATION = f"mutation($id: UUID!, $input: RecordConversationInput!) {{ recordConversation(recordId: $id, input: $input) {{ {RESULT} }} }}"
ERROR = f"mutation($id: UUID!, $input: MarkEnteredInErrorInput!) {{ markEnteredInError(recordId: $id, input: $input) {{ {RESULT} }} }}"
TIMELINE = "query($id: UUID!) { record(recordId: $id) { timeline { edges { node { eventType summary } } } } }"
DASHBOARD = """query($from: DateTime!, $to: DateTime!) {
  oversight(periodStart: $from, periodEnd: $to) { figures { key count outOf } } }"""
DECISIONS = """query($figure: String!, $from: DateTime!, $to: DateTime!) {
  oversightDecisions(figure: $figure, periodStart: $from, periodEnd: $to) { edges { node { recordId label } } } }"""
FIGURE = "accessible-information-offered"


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


def _registered(server: ApiServer, gp: str, nhs_number: str, **details: Any) -> str:
    person = {
        "nhsNumber": nhs_number,
        "givenName": "Margaret",
        "familyName": "Hale",
        "dateOfBirth": "1938-04-02",
        **details,
    }
    registered = server.graphql(gp, REGISTER, input=person)
    assert not errors(registered), errors(registered)
    record_id: str = registered["data"]["registerPerson"]["recordId"]
    basis = {"organisation": "K81003", "setting": "GP_PRACTICE", "basis": "REGISTERED_WITH_PRACTICE"}
    assert (
        server.graphql(gp, START, id=record_id, input=basis)["data"]["startCareRelationship"]["version"] == 2
    )
    return record_id


def _talk(**extra: Any) -> dict[str, Any]:
    return {
        "participants": [{"name": "Margaret Hale", "role": "the person"}],
        "personTookPart": True,
        "whatMatters": "being at home",
        **extra,
    }


def _recorded(server: ApiServer, gp: str, record_id: str, **extra: Any) -> dict[str, Any]:
    result = server.graphql(gp, CONVERSATION, id=record_id, input=_talk(**extra))
    assert not errors(result), errors(result)
    answer: dict[str, Any] = result["data"]["recordConversation"]
    return answer


def _period() -> dict[str, str]:
    now = datetime.now(UTC)
    return {"from": (now - timedelta(days=1)).isoformat(), "to": (now + timedelta(hours=1)).isoformat()}


def test_formats_offered_are_coded_shown_on_the_timeline_and_counted_for_those_who_need_them(
    server: ApiServer,
) -> None:
    gp = server.token(**GP)
    with_learning_disability, signer, without_needs = valid_nhs_numbers(3, start=402_300_000)
    a = _registered(server, gp, with_learning_disability, equality={"learningDisability": True})
    b = _registered(server, gp, signer, communicationNeeds=["uses British Sign Language"])
    c = _registered(server, gp, without_needs)

    offered = _recorded(
        server,
        gp,
        a,
        formatsOffered=["EASY_READ", "INTERPRETER"],
        interpreterLanguage="Polish",
        reasonableAdjustments=["a longer appointment, at home"],
    )
    assert offered["__typename"] == "RecordChanged", offered
    assert _recorded(server, gp, b)["__typename"] == "RecordChanged"  # nothing accessible offered
    assert _recorded(server, gp, c, formatsOffered=["LARGE_PRINT"])["__typename"] == "RecordChanged"

    refused = _recorded(server, gp, b, formatsOffered=["INTERPRETER"])
    assert (refused["__typename"], refused["field"]) == ("Refused", "interpreter_language")
    refused = _recorded(server, gp, b, interpreterLanguage="Polish")
    assert (refused["__typename"], refused["field"]) == ("Refused", "interpreter_language")

    summaries: list[str] = []

    def on_the_timeline() -> bool:
        edges = server.graphql(gp, TIMELINE, id=a)["data"]["record"]["timeline"]["edges"]
        summaries[:] = [
            e["node"]["summary"] for e in edges if e["node"]["eventType"] == "ConversationRecorded"
        ]
        return bool(summaries)

    wait_until(on_the_timeline, failure="the conversation did not reach the timeline")
    assert "Information offered in easy read, an interpreter (Polish)." in summaries[0]
    assert "Reasonable adjustments: a longer appointment, at home." in summaries[0]

    assurance = server.token(**ASSURANCE)
    counted: dict[str, Any] = {}

    def figure_counted() -> bool:
        dashboard = server.graphql(assurance, DASHBOARD, **_period())
        assert not errors(dashboard), errors(dashboard)
        counted.update(
            {f["key"]: (f["count"], f["outOf"]) for f in dashboard["data"]["oversight"]["figures"]}
        )
        return bool(counted[FIGURE][1] == 2)

    wait_until(figure_counted, failure="the conversations were not counted")
    assert counted[FIGURE] == (1, 2)  # A was offered easy read; B nothing; C needs nothing recorded
    (listed,) = nodes(
        server.graphql(assurance, DECISIONS, figure=FIGURE, **_period())["data"]["oversightDecisions"]
    )
    assert listed == {"recordId": a, "label": "conversation: offered easy read, an interpreter"}
    (missed,) = nodes(
        server.graphql(assurance, DECISIONS, figure="accessible-information-not-offered", **_period())[
            "data"
        ]["oversightDecisions"]
    )
    assert missed["recordId"] == b

    # a conversation entered in error is no longer counted
    error = {"entryEventId": offered["eventIds"][0], "reason": "recorded on the wrong person's record"}
    assert (
        server.graphql(gp, ERROR, id=a, input=error)["data"]["markEnteredInError"]["__typename"]
        == "RecordChanged"
    )

    def recounted() -> bool:
        dashboard = server.graphql(assurance, DASHBOARD, **_period())["data"]["oversight"]["figures"]
        return bool({f["key"]: (f["count"], f["outOf"]) for f in dashboard}[FIGURE] == (0, 1))

    wait_until(recounted, failure="the conversation entered in error was still counted")
