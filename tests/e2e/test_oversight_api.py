"""Oversight over HTTP: who may see it, drill-downs recorded as reads, CSV exports that spreadsheets cannot run."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from carerecord_projections.reference import parse_organisations
from tests.e2e.test_api_end_to_end import (
    ASSURANCE,
    GP,
    RECOMMEND,
    REGISTER,
    START,
    person_input,
    recommendation_input,
)
from tests.support.api_server import SYNTHETIC, ApiServer, errors, nodes

DASHBOARD = """query($from: DateTime!, $to: DateTime!, $region: String, $org: String) {
  oversight(periodStart: $from, periodEnd: $to, region: $region, organisation: $org) {
    scope demo figures { key count outOf } charts { key rows { label count } } timings { key count }
  } }"""
DECISIONS = """query($figure: String!, $from: DateTime!, $to: DateTime!) {
  oversightDecisions(figure: $figure, periodStart: $from, periodEnd: $to) { edges { node { planId recordId organisation setting settingLabel planStatus planStatusLabel label } } } }"""
HISTORY = "query($id: UUID!) { accessHistory(recordId: $id) { edges { node { role organisation operation granted } } } }"
FORMULA = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
def server(test_database_url: str, fresh_schema: str, tmp_path: Path) -> Iterator[ApiServer]:
    api = ApiServer(test_database_url, fresh_schema, tmp_path).start()
    try:
        imported = subprocess.run(
            [sys.executable, "-m", "carerecord.cli", "import", "organisations", "--synthetic"],
            env=api.env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert imported.returncode == 0, imported.stderr
        rows = len(parse_organisations((SYNTHETIC / "organisations.csv").read_text()))
        assert imported.stdout == (
            f"organisation register: {rows} rows imported (the previous organisation register was replaced)\n"
        )
        yield api
    finally:  # a failed check above must not leave the server running
        api.stop()


def _period() -> dict[str, str]:
    now = datetime.now(UTC)
    return {"from": (now - timedelta(days=1)).isoformat(), "to": (now + timedelta(hours=1)).isoformat()}


def _one_decision(server: ApiServer, organisation: str = "K81003") -> str:
    gp = server.token(**{**GP, "org": organisation})
    record_id: str = server.graphql(gp, REGISTER, input=person_input())["data"]["registerPerson"]["recordId"]
    server.graphql(
        gp,
        START,
        id=record_id,
        input={"organisation": organisation, "setting": "GP_PRACTICE", "basis": "REGISTERED_WITH_PRACTICE"},
    )
    made = server.graphql(gp, RECOMMEND, id=record_id, input=recommendation_input())
    assert made["data"]["makeRecommendation"]["__typename"] == "RecordChanged", made
    return record_id


def test_an_assurance_team_sees_its_region_and_every_drill_down_is_a_recorded_read(server: ApiServer) -> None:
    record_id = _one_decision(server)
    assurance = server.token(**ASSURANCE)
    dashboard = server.graphql(assurance, DASHBOARD, **_period())["data"]["oversight"]
    figures = {figure["key"]: (figure["count"], figure["outOf"]) for figure in dashboard["figures"]}
    assert dashboard["scope"] == "region QWE"
    assert figures["decisions-made"] == (1, None)
    assert figures["person-involved"] == (1, 1)
    listed = server.graphql(assurance, DECISIONS, figure="person-involved", **_period())["data"]
    assert [row["recordId"] for row in nodes(listed["oversightDecisions"])] == [record_id]
    (row,) = nodes(listed["oversightDecisions"])  # the codes as enums, each with its words
    assert (row["setting"], row["settingLabel"]) == ("GP_PRACTICE", "GP practice")
    assert (row["planStatus"], row["planStatusLabel"]) == ("ACTIVE", "in force")
    history = nodes(server.graphql(assurance, HISTORY, id=record_id)["data"]["accessHistory"])
    assert {
        "role": "ASSURANCE",
        "organisation": "QWE",
        "operation": "oversight drill-down: person-involved",
        "granted": True,
    } in history


def test_others_are_refused_and_the_refusal_is_recorded(
    server: ApiServer, test_database_url: str, fresh_schema: str
) -> None:
    _one_decision(server)
    refused = server.graphql(server.token(**GP), DASHBOARD, **_period())
    assert errors(refused) == ["only assurance teams and administrators may see oversight views"]
    other_region = server.graphql(server.token(**ASSURANCE), DASHBOARD, region="QXA", **_period())
    assert errors(other_region) == ["your token covers the integrated care board QWE only"]
    unknown = server.graphql(server.token(**ASSURANCE), DECISIONS, figure="everything", **_period())
    assert "no drill-down 'everything'" in errors(unknown)[0]
    from carerecord_projections.database import transaction
    from tests.conftest import dsn

    with transaction(dsn(test_database_url, fresh_schema)) as cursor:
        cursor.execute("SELECT role, refusal_reason FROM access_log WHERE NOT granted ORDER BY at")
        assert cursor.fetchall() == [
            ("gp", "only assurance teams and administrators may see oversight views"),
            ("assurance", "your token covers the integrated care board QWE only"),
        ]


def _csv(server: ApiServer, token: str, **parameters: Any) -> httpx.Response:
    period = _period()
    query = {"periodStart": period["from"], "periodEnd": period["to"], **parameters}
    return httpx.get(
        f"{server.url}/oversight/export.csv", params=query, headers={"authorization": f"Bearer {token}"}
    )


def test_csv_exports_escape_spreadsheet_formulas(server: ApiServer) -> None:
    _one_decision(server, organisation="K81003")
    assurance = server.token(**ASSURANCE)
    exported = _csv(server, assurance)
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0] == ["section", "figure", "key", "count", "out of", "share (%)", "median (hours)"]
    assert ["Decisions", "Recommendations made", "decisions-made", "1", "", "", ""] in rows
    shares = [row for row in rows[1:] if row[5]]
    assert shares and all(0 <= float(row[5]) <= 100 for row in shares)  # per cent, never a median
    medians = [row for row in rows[1:] if row[6]]
    assert all(not row[5] and not row[4] for row in medians)
    # Dates are dates: the period is the whole of each day in Europe/London.
    by_date = _csv(server, assurance, periodStart=_period()["from"][:10], periodEnd=_period()["to"][:10])
    assert by_date.status_code == 200, by_date.text
    assert ["Decisions", "Recommendations made", "decisions-made", "1", "", "", ""] in list(
        csv.reader(io.StringIO(by_date.text))
    )
    alerts = _csv(server, assurance, part="alerts")
    assert alerts.status_code == 200
    assert next(csv.reader(io.StringIO(alerts.text)))[:4] == [
        "summary",
        "patterns",
        "what was seen",
        "decisions",
    ]
    equality = list(csv.reader(io.StringIO(_csv(server, assurance, part="equality").text)))
    assert equality[0][:3] == ["characteristic", "group", "dnacpr"] and len(equality) > 1
    unknown = _csv(server, assurance, part="everything")
    assert unknown.status_code == 400 and "figures, alerts, equality" in unknown.text
    decisions = _csv(server, assurance, figure="decisions-made")
    assert decisions.status_code == 200
    (header, row) = list(csv.reader(io.StringIO(decisions.text)))
    assert header[-1] == "why it is listed" and row[2] == "K81003"
    assert _csv(server, "not-a-token").status_code == 401
    assert _csv(server, assurance, periodStart="yesterday").status_code == 400


def test_spreadsheet_safe_quotes_every_formula_start() -> None:
    from carerecord_graphql.oversight_export import spreadsheet_safe

    for dangerous in (FORMULA, "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"):
        assert spreadsheet_safe(dangerous) == "'" + dangerous
    assert spreadsheet_safe("Willow Court") == "Willow Court"
    assert spreadsheet_safe(None) == ""


def test_a_bad_register_file_changes_nothing_and_names_each_line(server: ApiServer, tmp_path: Path) -> None:
    bad = tmp_path / "register.csv"
    bad.write_text(
        "ods_code,name,setting,icb_code,icb_name,region\nRXF,Riverside,hospital,QWE,South Downs,South East\n"
        "??,Nowhere,moon,QWE,South Downs,South East\n"
    )
    refused = subprocess.run(
        [sys.executable, "-m", "carerecord.cli", "import", "organisations", str(bad)],
        env=server.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 1
    assert "nothing imported: organisation register: 2 problem(s)" in refused.stderr
    assert "line 3: '??' is not an ODS code" in refused.stderr
    _one_decision(server)  # the synthetic register is still there: K81003 is in region QWE
    dashboard = server.graphql(server.token(**ASSURANCE), DASHBOARD, **_period())["data"]["oversight"]
    assert {f["key"]: f["count"] for f in dashboard["figures"]}["decisions-made"] == 1


REVIEW = """mutation($id: UUID!, $ok: Boolean!, $notes: String!) { reviewBreakGlass(accessId: $id, appropriate: $ok, notes: $notes) {
  __typename ... on BreakGlassReviewed { accessId appropriate } ... on Refused { rule message } ... on NotAllowedResult { message } } }"""
ACCESSES = "query($id: UUID!) { accessHistory(recordId: $id) { edges { node { accessId operation } } } }"


def test_an_assurance_team_reviews_a_break_glass_access_once(server: ApiServer) -> None:
    from tests.e2e.test_api_end_to_end import BREAK_GLASS, PARAMEDIC

    record_id = _one_decision(server)
    opened = server.graphql(
        server.token(**PARAMEDIC), BREAK_GLASS, id=record_id, reason="cardiac arrest at home now"
    )
    assert opened["data"]["breakGlass"]["__typename"] == "BreakGlassGranted", opened
    assurance = server.token(**ASSURANCE)
    figures = server.graphql(assurance, DASHBOARD, **_period())["data"]["oversight"]["figures"]
    assert {f["key"]: (f["count"], f["outOf"]) for f in figures}["break-glass-awaiting-review"] == (1, 1)
    history = nodes(server.graphql(assurance, ACCESSES, id=record_id)["data"]["accessHistory"])
    (access_id,) = [entry["accessId"] for entry in history if entry["operation"] == "breakGlass"]

    by_gp = server.graphql(server.token(**GP), REVIEW, id=access_id, ok=True, notes="looks fine to me")
    assert by_gp["data"]["reviewBreakGlass"] == {
        "__typename": "NotAllowedResult",
        "message": "only assurance teams review break-glass accesses",
    }
    reviewed = server.graphql(
        assurance, REVIEW, id=access_id, ok=True, notes="arrest at home; the plan was needed"
    )
    assert reviewed["data"]["reviewBreakGlass"] == {
        "__typename": "BreakGlassReviewed",
        "accessId": access_id,
        "appropriate": True,
    }
    again = server.graphql(assurance, REVIEW, id=access_id, ok=False, notes="second thoughts about it")
    assert again["data"]["reviewBreakGlass"]["rule"] == "already-reviewed"
    figures = server.graphql(assurance, DASHBOARD, **_period())["data"]["oversight"]["figures"]
    assert {f["key"]: (f["count"], f["outOf"]) for f in figures}["break-glass-awaiting-review"] == (0, 1)
