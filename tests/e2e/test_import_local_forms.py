"""`carerecord import local-forms`: a region's own forms moved in through the mapping an administrator loaded, by
the real command on the real PostgreSQL: a run killed part-way resumes from its checkpoint without doubles; a
document that does not fit its mapping, or whose plan a rule refuses, is in the report once, naming the form's
field; what the canonical plan has no place for is kept on the plan."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg2

from tests.builders import valid_nhs_numbers
from tests.conftest import dsn, wait_until
from tests.e2e.test_access_matrix import GROUP_REASONING
from tests.e2e.test_api_end_to_end import GP
from tests.e2e.test_import_plans import checkpoint_line, environment, stored, token

FORMS = Path(__file__).resolve().parents[2] / "deploy" / "carerecord" / "reference" / "forms"
DOCUMENTS = 160
REFUSED_AT = {
    9: ("local-form-does-not-fit", "document.Resuscitation status"),
    70: ("reasoning-rests-on-group-characteristic", "document.Clinical rationale"),
}


def region_forms(path: Path, count: int) -> Path:
    answers: dict[str, str] = json.loads((FORMS / "nuh-tep.example.json").read_text())
    lines = []
    for line, number in enumerate(valid_nhs_numbers(count, start=402_600_000), start=1):
        fields = dict(answers)
        if line == 9:
            fields["Resuscitation status"] = "DNAR"  # not one of the form's answers
        if line == 70:
            fields["Clinical rationale"] = GROUP_REASONING
        document: dict[str, Any] = {
            "identifier": f"TEP-{line:06d}",
            "completed_at": "2026-10-01T09:30:00+00:00",
            "patient": {
                "nhs_number": number,
                "given_name": "Mary",
                "family_name": f"Hale{line}",
                "date_of_birth": "1938-04-02",
                "postcode": "NG7 2UH",
            },
            "responsible_clinician": {"name": "Dr Grey", "role": "gp", "registration": "2345678"},
            "fields": fields,
        }
        lines.append(json.dumps(document))
    path.write_text("\n".join(lines) + "\n")
    return path


def import_command(source: Path, gp_token: str, form: str = "nuh-tep") -> list[str]:
    return [
        sys.executable,
        "-m",
        "carerecord.cli",
        "import",
        "local-forms",
        str(source),
        "--form",
        form,
        "--token",
        gp_token,
        "--workers",
        "1",
        "--relationship-basis",
        "registered-with-the-practice",
        "--relationship-setting",
        "gp-practice",
    ]


def kept_fields(database_url: str, schema: str) -> list[list[dict[str, str]]]:
    with psycopg2.connect(dsn(database_url, schema)) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT document FROM current_plan")
        return [
            plan["local_form"]["kept"]
            for (document,) in cursor.fetchall()
            for plan in document["plans"].values()
        ]


def test_a_local_forms_import_killed_part_way_resumes_without_doubles_and_names_each_refused_field(
    test_database_url: str, fresh_schema: str, tmp_path: Path
) -> None:
    env = environment(test_database_url, fresh_schema, tmp_path)
    source = region_forms(tmp_path / "tep.ndjson", DOCUMENTS)
    command = import_command(source, token(env, GP))

    not_loaded = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert not_loaded.returncode == 1 and "forms load" in not_loaded.stderr, not_loaded.stderr
    assert stored(test_database_url, fresh_schema, "RecommendationMade") == 0
    loaded = subprocess.run(
        [sys.executable, "-m", "carerecord.cli", "forms", "load", str(FORMS / "nuh-tep.toml")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert loaded.returncode == 0, loaded.stderr

    checkpoint = tmp_path / "tep.ndjson.checkpoint"
    crashed = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until(lambda: checkpoint_line(checkpoint) >= 40 or crashed.poll() is not None, timeout=120)
    crashed.send_signal(signal.SIGKILL)
    crashed.wait(timeout=30)
    interrupted_at = checkpoint_line(checkpoint)
    assert 40 <= interrupted_at < DOCUMENTS, "the run was stopped part-way"

    resumed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resumed after line {interrupted_at}" in resumed.stdout
    assert f"/{DOCUMENTS} documents" in resumed.stderr, "a progress bar"
    taken_in = DOCUMENTS - len(REFUSED_AT)
    assert stored(test_database_url, fresh_schema, "RecommendationMade") == taken_in, "no doubles"
    assert stored(test_database_url, fresh_schema, "PlanTakenIn") == taken_in
    # the document that did not fit registered nobody; the one a rule refused registered its person
    assert stored(test_database_url, fresh_schema, "PersonRegistered") == taken_in + 1

    report = [json.loads(line) for line in (tmp_path / "tep.ndjson.refused.ndjson").read_text().splitlines()]
    assert {e["line"]: (e["reasons"][0]["rule"], e["reasons"][0]["expression"]) for e in report} == REFUSED_AT
    assert {e["identifier"] for e in report} == {"TEP-000009", "TEP-000070"}

    kept = kept_fields(test_database_url, fresh_schema)
    assert len(kept) == taken_in
    assert all({"label": "Oxygen target", "value": "88-92%"} in fields for fields in kept), "nothing lost"

    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode == 0 and f"resumed after line {DOCUMENTS}" in again.stdout
    assert stored(test_database_url, fresh_schema, "RecommendationMade") == taken_in
