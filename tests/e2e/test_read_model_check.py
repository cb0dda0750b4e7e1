"""`carerecord verify --read-models`: a read-model row edited in PostgreSQL is served by the API as if it were
the record; the check rebuilds the read models from the stores into a scratch schema and names each difference
by table, record id and column."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from uuid import UUID

import psycopg2

from carerecord_messaging.store_feeder import StoreFeeder
from tests.builders import GP, recommendation, register, valid_nhs_numbers
from tests.conftest import CareRecordStack, dsn
from tests.e2e.audit_support import AuditStack, open_audit


def _verify_read_models(tmp_path: Path, database_url: str, schema: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": database_url,
        "CARERECORD_SCHEMA": schema,
        "CARERECORD_DATA_DIR": str(tmp_path / "data"),
    }
    return subprocess.run(
        [sys.executable, "-m", "carerecord.cli", "verify", "--read-models"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def _region(stack: CareRecordStack, database_url: str) -> tuple[list[UUID], AuditStack, StoreFeeder]:
    """Two people with a plan each, read by their GP, with the read models caught up as `serve` keeps them."""
    feeder = StoreFeeder(stack.store, dsn(database_url, stack.schema))
    audit = open_audit(database_url, stack.schema)
    people = []
    for number in valid_nhs_numbers(2, start=405_000_000):
        record_id = stack.care_records.register_person(register(nhs_number=number)).record_id
        stack.care_records.execute(record_id, recommendation())
        audit.audit.record_access(GP, record_id, operation="person", purpose="direct care", granted=True)
        people.append(record_id)
    feeder.catch_up()
    return people, audit, feeder


def _edit(database_url: str, statement: str, *parameters: object) -> None:
    connection = psycopg2.connect(database_url)
    with connection, connection.cursor() as cursor:
        cursor.execute(statement, parameters)
        assert cursor.rowcount == 1
    connection.close()


def test_untouched_read_models_agree_with_the_stores(
    plain: CareRecordStack, test_database_url: str, tmp_path: Path
) -> None:
    _, audit, _ = _region(plain, test_database_url)
    result = _verify_read_models(tmp_path, test_database_url, plain.schema)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "the read models serve exactly what the stores imply" in result.stdout
    assert "DIFFERS" not in result.stdout and "BEHIND" not in result.stdout
    audit.close()


def test_an_edited_reasoning_in_current_plan_is_named_by_table_record_and_field(
    plain: CareRecordStack, test_database_url: str, tmp_path: Path
) -> None:
    people, audit, _ = _region(plain, test_database_url)
    edited = people[1]
    plan_id = str(plain.care_records.record(edited).active_plans()[0].plan_id)
    _edit(
        test_database_url,
        f"UPDATE {plain.schema}.current_plan SET document = jsonb_set(document, ARRAY['plans', %s, 'reasoning'], "
        "%s::jsonb) WHERE record_id = %s",
        plan_id,
        json.dumps("Localised disease, for active treatment."),
        str(edited),
    )
    result = _verify_read_models(tmp_path, test_database_url, plain.schema)
    assert result.returncode == 1, result.stdout + result.stderr
    differences = [line for line in result.stdout.splitlines() if line.startswith("DIFFERS")]
    assert differences == [
        f"DIFFERS table current_plan record {edited} column document.plans.{plan_id}.reasoning "
        f"(record_id={edited}): differs from what the store implies"
    ]
    audit.close()


def test_an_edited_access_log_row_and_a_deleted_decision_row_are_each_named(
    plain: CareRecordStack, test_database_url: str, tmp_path: Path
) -> None:
    people, audit, _ = _region(plain, test_database_url)
    _edit(
        test_database_url,
        f"UPDATE {plain.schema}.access_log SET purpose = 'audit' WHERE record_id = %s",
        str(people[0]),
    )
    _edit(
        test_database_url, f"DELETE FROM {plain.schema}.decision_facts WHERE record_id = %s", str(people[1])
    )
    result = _verify_read_models(tmp_path, test_database_url, plain.schema)
    assert result.returncode == 1, result.stdout + result.stderr
    differences = [line for line in result.stdout.splitlines() if line.startswith("DIFFERS")]
    assert len(differences) == 2, result.stdout
    assert differences[0].startswith(f"DIFFERS table decision_facts record {people[1]} column (row)")
    assert differences[0].endswith("missing from the read model")
    assert differences[1].startswith(f"DIFFERS table access_log record {people[0]} column purpose")
    audit.close()


def test_a_record_the_read_models_have_not_caught_up_with_is_behind_not_different(
    plain: CareRecordStack, test_database_url: str, tmp_path: Path
) -> None:
    people, audit, _ = _region(plain, test_database_url)
    plain.care_records.execute(people[0], recommendation())  # stored, not yet projected
    result = _verify_read_models(tmp_path, test_database_url, plain.schema)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"BEHIND record {people[0]}: the read models have not caught up with it yet" in result.stdout
    audit.close()
