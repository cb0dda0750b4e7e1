"""The demo region: synthetic people from the NHS test range, a store marked as demo, the blanket-decision care
home caught by the alerts (and nothing else), equality monitoring with small numbers withheld."""

from __future__ import annotations

import html
import re
import shlex
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from carerecord_projections.database import transaction
from carerecord_services.identifiers import nhs_number_is_valid
from tests.conftest import dsn
from tests.e2e.test_api_end_to_end import ASSURANCE, GP, REGISTER, person_input
from tests.support.api_server import ApiServer, nodes

ALERTS = """query($from: DateTime!, $to: DateTime!) { blanketAlerts(periodStart: $from, periodEnd: $to) {
  edges { node { kind kindLabel kinds scope summary explanation planIds sharedFeatures organisation careHome careHomeCqcLocation } } } }"""
EQUALITY = """query($from: DateTime!, $to: DateTime!) { equalityMonitoring(periodStart: $from, periodEnd: $to) {
  rows { characteristic group dnacpr peopleInRecord registeredPopulation ratePerThousandInRecord } notRecordedForAnyone } }"""


def _demo(env: dict[str, str], people: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "carerecord.cli", "demo", "--people", str(people)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def test_the_demo_region_loads_is_marked_and_raises_the_care_home_alert(
    test_database_url: str, fresh_schema: str, tmp_path: Path
) -> None:
    server = ApiServer(test_database_url, fresh_schema, tmp_path)
    loaded = _demo(server.env, 150)
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    assert "150 people added" in loaded.stdout and "0 refused by the rules" in loaded.stdout
    assert "150/150 people" in loaded.stderr  # the progress bar
    read_models = dsn(test_database_url, fresh_schema)
    with transaction(read_models) as cursor:
        cursor.execute("SELECT nhs_number FROM current_plan")
        numbers = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT plan_id FROM decision_facts WHERE organisation = 'K81045' AND setting = 'care-home'"
        )
        care_home_decisions = {row[0] for row in cursor.fetchall()}
    assert len(numbers) == 150
    assert all(number.startswith("999") and nhs_number_is_valid(number) for number in numbers)
    assert len(care_home_decisions) == 20

    again = _demo(server.env, 150)  # topping up to the same size adds nobody
    assert again.returncode == 0 and "already loaded (150 people); nothing added" in again.stdout

    server.start()
    try:
        health = httpx.get(f"{server.url}/health").json()
        assert health["store"] == "DEMO: synthetic people, not real records"
        assurance = server.token(**ASSURANCE)
        now = datetime.now(UTC)
        period = {"from": (now - timedelta(days=60)).isoformat(), "to": now.isoformat()}
        alerts = nodes(server.graphql(assurance, ALERTS, **period)["data"]["blanketAlerts"])
        assert alerts, "the care home that got one reasoning for all must raise an alert"
        assert {alert["organisation"] for alert in alerts} == {"K81045"}
        named = {plan for alert in alerts for plan in alert["planIds"]}
        assert named == {str(plan) for plan in care_home_decisions}
        assert any(alert["kind"] == "NEAR_IDENTICAL_REASONING" for alert in alerts)
        # One alert per group of decisions, naming the deciding practice and the care home by their names.
        (alert,) = alerts
        assert alert["careHome"] == "VLAXP"
        assert alert["kindLabel"] == "near-identical reasoning for different people"
        assert alert["careHomeCqcLocation"] == "1-900000104"  # the register's optional column
        assert "decided by Old Forge Health Centre (K81045)" in alert["summary"]
        assert f"for {len(care_home_decisions)} residents of Seaview House (VLAXP)" in alert["summary"]
        assert "care home K81045" not in alert["explanation"]
        equality = server.graphql(assurance, EQUALITY, **period)["data"]["equalityMonitoring"]
        rows = equality["rows"]
        assert {row["characteristic"] for row in rows} >= {"age band", "sex", "ethnicity", "dementia"}
        for row in rows:  # nothing from 1 to 4 is ever published
            for value in (row["dnacpr"], row["peopleInRecord"]):
                assert value == "[c]" or not 1 <= int(value) <= 4
        refused = server.graphql(server.token(**GP), ALERTS, **period)
        assert (
            refused["errors"][0]["message"]
            == "only assurance teams and administrators may see oversight views"
        )
    finally:
        server.stop()


def test_demo_data_is_never_loaded_into_a_store_holding_real_records(
    test_database_url: str, fresh_schema: str, tmp_path: Path
) -> None:
    server = ApiServer(test_database_url, fresh_schema, tmp_path).start()
    try:
        gp = server.token(**GP)
        assert server.graphql(gp, REGISTER, input=person_input())["data"]["registerPerson"]["recordId"]
        health = httpx.get(f"{server.url}/health").json()
        assert health["store"] == "live"
    finally:
        server.stop()
    refused = _demo(server.env, 10)
    assert refused.returncode == 1
    assert "refused: this store already holds records and is not marked as the demo region" in refused.stderr
    with transaction(dsn(test_database_url, fresh_schema)) as cursor:
        cursor.execute("SELECT count(*) FROM current_plan")
        assert cursor.fetchone()[0] == 1


def test_a_second_load_after_the_walkthrough_adds_nobody_and_says_how_to_sign_in(
    test_database_url: str, fresh_schema: str, tmp_path: Path
) -> None:
    """`make run` twice, with the README's walkthrough person registered in between: it said "-1 people added"."""
    server = ApiServer(test_database_url, fresh_schema, tmp_path)
    first = _demo(server.env, 12)
    assert first.returncode == 0 and "12 people added" in first.stdout, first.stderr[-2000:]
    server.start()
    try:
        assert server.graphql(server.token(**GP), REGISTER, input=person_input())["data"]["registerPerson"]
    finally:
        server.stop()
    again = _demo(server.env, 12)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "already loaded (12 people); nothing added" in again.stdout
    assert "-1 people" not in again.stdout  # (a bare "-1" can be part of a record id in the sign-in lines)
    guide = again.stdout
    assert "Sign in at http://127.0.0.1:" in guide
    for role in ("gp", "paramedic", "care-home-staff", "assurance", "person"):
        assert " token --user " in guide and f"--role {role} " in guide
    assert "then find NHS number 999 " in guide, "a demo NHS number to try"

    # served by `demo --serve`, the sign-in page lists the same users; the person's command signs her in
    server.start("demo", "--people", "12", "--serve")
    try:
        with httpx.Client(base_url=server.url, follow_redirects=True) as browser:
            page = browser.get("/portal/sign-in").text
            assert "Demonstration users" in page and "--role person" in page
            command = re.search(r"<code>([^<]*--role person[^<]*)</code>", page)
            assert command is not None
            arguments = shlex.split(html.unescape(command.group(1)))[1:]  # after the program's path
            token = subprocess.run(
                [sys.executable, "-m", "carerecord.cli", *arguments],
                env=server.env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
            assert csrf is not None
            signed_in = browser.post("/portal/sign-in", data={"token": token, "csrf_token": csrf.group(1)})
            assert str(signed_in.url).endswith("/portal/my-plan") and "Your plan" in signed_in.text
    finally:
        server.stop()


@pytest.mark.parametrize("people", ["0", "-3"])
def test_demo_refuses_a_silly_size(people: str, tmp_path: Path) -> None:
    from carerecord.cli import main

    assert main(["demo", "--people", people]) == 2
