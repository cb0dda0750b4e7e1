"""`carerecord import plans`: a region's plans moved in from FHIR NDJSON through the real command on the real
PostgreSQL: a run killed part-way resumes from its checkpoint without doubles, and every refused Bundle is in the
report once, with its reasons, and held for the organisation to correct."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg2

from carerecord.settings import load_settings
from carerecord.tokens import development_keys, issue_token
from tests.builders import valid_nhs_numbers
from tests.conftest import dsn, wait_until
from tests.e2e.test_access_matrix import GROUP_REASONING
from tests.e2e.test_api_end_to_end import CARE_HOME, GP
from tests.fhir_bundles import bundle_for

PLANS = 240
SAME_PERSON = (30, 150)  # line 150 is a second plan for the person of line 30
REFUSED_AT = {7: "reasoning-rests-on-group-characteristic", 55: "bundle-identifier-required"}


def environment(database_url: str, schema: str, data_dir: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": database_url,
        "CARERECORD_SCHEMA": schema,
        "CARERECORD_DATA_DIR": str(data_dir),
    }


def token(env: dict[str, str], claims: dict[str, str]) -> str:
    settings = load_settings(env)
    return issue_token(
        development_keys(Path(env["CARERECORD_DATA_DIR"])),
        claims,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        minutes=30,
    )


def region_file(path: Path, count: int) -> Path:
    lines = []
    numbers = valid_nhs_numbers(count, start=402_200_000)
    if count > SAME_PERSON[1]:
        numbers[SAME_PERSON[1] - 1] = numbers[SAME_PERSON[0] - 1]
    for line, number in enumerate(numbers, start=1):
        bundle: dict[str, Any]
        if REFUSED_AT.get(line) == "reasoning-rests-on-group-characteristic":
            bundle = bundle_for(number, reasoning=GROUP_REASONING)
        else:
            bundle = bundle_for(number)
        if REFUSED_AT.get(line) == "bundle-identifier-required":
            del bundle["identifier"]
        lines.append(json.dumps(bundle))
    path.write_text("\n".join(lines) + "\n")
    return path


def import_command(source: Path, gp_token: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "carerecord.cli",
        "import",
        "plans",
        str(source),
        "--token",
        gp_token,
        "--relationship-basis",
        "registered-with-the-practice",
        "--relationship-setting",
        "gp-practice",
    ]


def stored(database_url: str, schema: str, kind: str) -> int:
    with psycopg2.connect(dsn(database_url, schema)) as connection, connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {schema}.carerecord_events WHERE topic LIKE %s", (f"{kind}/%",))
        found: int = cursor.fetchone()[0]
        return found


def checkpoint_line(path: Path) -> int:
    try:
        return int(json.loads(path.read_text())["line"])
    except (FileNotFoundError, ValueError, KeyError):
        return 0


def test_an_import_killed_part_way_resumes_without_doubles_and_reports_every_refusal_once(
    test_database_url: str, fresh_schema: str, tmp_path: Path
) -> None:
    env = environment(test_database_url, fresh_schema, tmp_path)
    source = region_file(tmp_path / "region.ndjson", PLANS)
    checkpoint = tmp_path / "region.ndjson.checkpoint"
    command = import_command(source, token(env, GP))

    crashed = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until(lambda: checkpoint_line(checkpoint) >= 80 or crashed.poll() is not None, timeout=120)
    crashed.send_signal(signal.SIGKILL)
    crashed.wait(timeout=30)
    interrupted_at = checkpoint_line(checkpoint)
    assert 80 <= interrupted_at < PLANS, "the run was stopped part-way"
    assert stored(test_database_url, fresh_schema, "RecommendationMade") >= interrupted_at - len(REFUSED_AT)

    resumed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resumed after line {interrupted_at}" in resumed.stdout
    assert f"/{PLANS} Bundles" in resumed.stderr, "a progress bar"
    taken_in = PLANS - len(REFUSED_AT)
    assert stored(test_database_url, fresh_schema, "RecommendationMade") == taken_in, "no doubles"
    assert stored(test_database_url, fresh_schema, "PlanTakenIn") == taken_in
    # one person registered whose plan a rule refused; one person with two plans, registered once
    assert stored(test_database_url, fresh_schema, "PersonRegistered") == taken_in + 1 - 1

    report = [
        json.loads(line) for line in (tmp_path / "region.ndjson.refused.ndjson").read_text().splitlines()
    ]
    assert {entry["line"]: entry["reasons"][0]["rule"] for entry in report} == REFUSED_AT
    assert all(entry["reasons"][0]["expression"].startswith("Bundle") for entry in report)

    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode == 0 and f"resumed after line {PLANS}" in again.stdout
    assert stored(test_database_url, fresh_schema, "RecommendationMade") == taken_in


def test_an_import_with_a_role_that_may_not_make_plans_takes_nothing_in(
    test_database_url: str, fresh_schema: str, tmp_path: Path
) -> None:
    env = environment(test_database_url, fresh_schema, tmp_path)
    source = region_file(tmp_path / "small.ndjson", 3)
    refused = subprocess.run(
        import_command(source, token(env, CARE_HOME)),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert refused.returncode == 0, refused.stderr
    assert "0 taken in" in refused.stdout and "3 refused" in refused.stdout
    assert stored(test_database_url, fresh_schema, "PersonRegistered") == 0
    report = (tmp_path / "small.ndjson.refused.ndjson").read_text()
    assert report.count('"not-permitted"') == 3

    forged = subprocess.run(
        import_command(source, "not-a-token"),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert forged.returncode == 1 and "--token" in forged.stderr
