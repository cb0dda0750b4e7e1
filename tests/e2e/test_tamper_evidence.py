"""Tamper evidence: an edit to any stored column, with or without encryption, is reported by verify."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import psycopg2
import pytest

from carerecord_services.integrity import verify_chains
from tests.builders import recommendation, register
from tests.conftest import CareRecordStack, open_stack

TAMPERING = {
    "payload": "UPDATE {table} SET state = {edited_state} WHERE originator_id = %s AND originator_version = 2",
    "type": "UPDATE {table} SET topic = 'PlanRevoked/v1' WHERE originator_id = %s AND originator_version = 2",
    "version": "UPDATE {table} SET originator_version = 7 WHERE originator_id = %s AND originator_version = 2",
    "id": "UPDATE {table} SET originator_id = gen_random_uuid() WHERE originator_id = %s AND originator_version = 2",
    "deleted": "DELETE FROM {table} WHERE originator_id = %s AND originator_version = 2",
}
PLAIN_EDIT = "convert_to(replace(convert_from(state, 'UTF8'), 'Metastatic', 'Localised'), 'UTF8')"
ENCRYPTED_EDIT = "set_byte(state, 40, get_byte(state, 40) # 1)"


def _person_with_three_events(stack: CareRecordStack) -> Any:
    service = stack.care_records
    record_id = service.register_person(register()).record_id
    service.execute(record_id, recommendation())
    service.execute(record_id, recommendation())
    return record_id


def _tamper(test_database_url: str, stack: CareRecordStack, statement: str, record_id: Any) -> None:
    encrypted = stack.store.mapper.cipher is not None
    sql = statement.format(
        table=f"{stack.schema}.carerecord_events", edited_state=ENCRYPTED_EDIT if encrypted else PLAIN_EDIT
    )
    connection = psycopg2.connect(test_database_url)
    with connection, connection.cursor() as cursor:
        cursor.execute(sql, (str(record_id),))
        assert cursor.rowcount == 1
    connection.close()


def test_an_untouched_store_verifies(stack: CareRecordStack) -> None:
    _person_with_three_events(stack)
    report = verify_chains(stack.store)
    assert report.intact
    assert report.events_checked == 4  # three on the record, one on the NHS number index
    assert report.records_checked == 2


@pytest.mark.parametrize("column", list(TAMPERING))
def test_an_edit_to_any_stored_column_is_reported_as_the_first_break(
    stack: CareRecordStack, test_database_url: str, column: str
) -> None:
    record_id = _person_with_three_events(stack)
    _tamper(test_database_url, stack, TAMPERING[column], record_id)
    report = verify_chains(stack.store)
    mine = [found for found in report.breaks if found.record_id == str(record_id)]
    assert len(mine) == 1, report.breaks
    assert mine[0].version in (2, 3, 7)
    if column == "payload" and stack.store.mapper.cipher is not None:
        assert mine[0].problem == "the stored payload does not decrypt or parse"


def test_the_verify_command_reports_a_break_and_fails(
    test_database_url: str, fresh_schema: str, tmp_path: Any
) -> None:
    stack = open_stack(test_database_url, fresh_schema, encrypted=False)
    record_id = _person_with_three_events(stack)
    stack.close()
    _tamper(test_database_url, stack, TAMPERING["payload"], record_id)
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": test_database_url,
        "CARERECORD_SCHEMA": fresh_schema,
        "CARERECORD_DATA_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-m", "carerecord.cli", "verify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"BREAK record {record_id} at version 2" in result.stdout
