"""Signed checkpoints on the real PostgreSQL: made from the store, kept beside it, and later proving (in another
process, as a second organisation would) that history was not rewritten after them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from carerecord.checkpoints import Checkpointer
from carerecord_services.chain import event_hash
from carerecord_services.checkpoint_store import ChainsBroken, CheckpointLog, verify_against_store
from carerecord_services.integrity import verify_chains
from carerecord_services.store import ChainedEvent
from tests.builders import recommendation, register, valid_nhs_numbers
from tests.conftest import CareRecordStack, open_stack, wait_until

PLAIN_EDIT = "convert_to(replace(convert_from(state, 'UTF8'), 'Metastatic', 'Localised'), 'UTF8')"


def _people(stack: CareRecordStack, count: int, start: int = 401_000_000) -> list[UUID]:
    ids = []
    for number in valid_nhs_numbers(count, start=start):
        record_id = stack.care_records.register_person(register(nhs_number=number)).record_id
        stack.care_records.execute(record_id, recommendation())
        ids.append(record_id)
    return ids


def _log(stack: CareRecordStack, key: Ed25519PrivateKey | None = None) -> CheckpointLog:
    return CheckpointLog(stack.store, key or Ed25519PrivateKey.generate(), clock=lambda: datetime.now(UTC))


def _rewrite_consistently(database_url: str, stack: CareRecordStack, record_id: UUID) -> None:
    """What a careful insider would do: edit version 2's payload and recompute every later hash, so that the
    record's chain still checks out on its own."""
    stored = stack.store.recorder.select_events(record_id)
    chained = [stack.store.mapper.to_chained_event(item) for item in stored]
    previous = chained[0].hash
    connection = psycopg2.connect(database_url)
    with connection, connection.cursor() as cursor:
        for item in chained[1:]:
            payload = dict(item.payload)
            if item.originator_version == 2:
                payload["reasoning"] = payload["reasoning"].replace("Metastatic", "Localised")
            digest = event_hash(record_id, item.originator_version, item.topic, payload, previous)
            rewritten = ChainedEvent(
                record_id, item.originator_version, item.topic, payload, previous, digest
            )
            state = stack.store.mapper.to_stored_event(rewritten).state
            cursor.execute(
                f"UPDATE {stack.schema}.carerecord_events SET state = %s "
                "WHERE originator_id = %s AND originator_version = %s",
                (state, str(record_id), item.originator_version),
            )
            previous = digest
    connection.close()


def test_a_checkpoint_covers_every_chain_and_still_holds_after_more_events(stack: CareRecordStack) -> None:
    people = _people(stack, 3)
    checkpoints = _log(stack)
    made = checkpoints.make()
    assert made.position == stack.store.last_position() == 9  # 3 x (registered, index entry, recommendation)
    assert {leaf.record_id for leaf in made.leaves} >= {str(record_id) for record_id in people}
    assert len(made.leaves) == 6  # three people and their three NHS number index entries
    stack.care_records.execute(people[0], recommendation())
    _people(stack, 1, start=402_000_000)
    result = verify_against_store(stack.store, made)
    assert result.holds, (result.rewritten, result.breaks)
    assert result.store_position == 13
    assert checkpoints.latest() == made


def test_the_next_checkpoint_continues_from_the_last_and_equals_one_made_from_scratch(
    stack: CareRecordStack,
) -> None:
    key = Ed25519PrivateKey.generate()
    people = _people(stack, 2)
    first = _log(stack, key).make()
    stack.care_records.execute(people[1], recommendation())
    second = _log(stack, key).make()
    from_scratch = _log(stack).make()  # another key: nothing to continue from
    assert second.position == first.position + 1
    assert second.root == from_scratch.root != first.root
    assert second.leaves == from_scratch.leaves


def test_a_consistent_rewrite_passes_the_chain_check_but_not_the_checkpoint(
    stack: CareRecordStack, test_database_url: str
) -> None:
    people = _people(stack, 2)
    made = _log(stack).make()
    _rewrite_consistently(test_database_url, stack, people[0])
    assert verify_chains(stack.store).intact  # the record's own chain was recomputed: it checks out
    result = verify_against_store(stack.store, made)
    assert not result.holds
    assert [(found.record_id, found.problem) for found in result.rewritten] == [
        (
            str(people[0]),
            "the event at version 2 no longer has the chain hash the checkpoint holds "
            "(its chain was rewritten and recomputed)",
        )
    ]


def test_nothing_is_signed_over_a_broken_chain(stack: CareRecordStack, test_database_url: str) -> None:
    (record_id,) = _people(stack, 1)
    connection = psycopg2.connect(test_database_url)
    with connection, connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {stack.schema}.carerecord_events WHERE originator_id = %s AND originator_version = 1",
            (str(record_id),),
        )
    connection.close()
    with pytest.raises(ChainsBroken) as broken:
        _log(stack).make()
    assert [found.record_id for found in broken.value.breaks] == [str(record_id)]
    assert _log(stack).latest() is None


def test_the_serve_process_thread_signs_checkpoints_every_so_often(stack: CareRecordStack) -> None:
    _people(stack, 1)
    checkpoints = _log(stack)
    checkpointer = Checkpointer(checkpoints, seconds=1).start()
    try:
        wait_until(lambda: (latest := checkpoints.latest()) is not None and latest.position == 3, timeout=30)
        _people(stack, 1, start=403_000_000)
        wait_until(lambda: (latest := checkpoints.latest()) is not None and latest.position == 6, timeout=30)
    finally:
        checkpointer.stop()


def _cli(tmp_path: Path, database_url: str, schema: str, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": database_url,
        "CARERECORD_SCHEMA": schema,
        "CARERECORD_DATA_DIR": str(tmp_path / "data"),
    }
    return subprocess.run(
        [sys.executable, "-m", "carerecord.cli", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_second_organisation_verifies_history_against_its_checkpoint_in_another_process(
    test_database_url: str, fresh_schema: str, tmp_path: Path
) -> None:
    stack = open_stack(test_database_url, fresh_schema, encrypted=False)
    people = _people(stack, 2)
    stack.close()  # each process holds its own connections; the servers are shared
    exported, public_key = tmp_path / "checkpoint.json", tmp_path / "signer.pem"
    made = _cli(
        tmp_path, test_database_url, fresh_schema, "checkpoint", "--out", str(exported),
        "--public-key-out", str(public_key),
    )  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr
    assert "signed checkpoint at position 6 over 4 records" in made.stdout
    assert (tmp_path / "data" / "checkpoint-signing-key.pem").stat().st_mode & 0o777 == 0o600
    stack = open_stack(test_database_url, fresh_schema, encrypted=False)
    stack.care_records.execute(people[0], recommendation())
    stack.close()

    verify = ("verify", "--checkpoint", str(exported), "--public-key", str(public_key))
    held = _cli(tmp_path, test_database_url, fresh_schema, *verify)
    assert held.returncode == 0, held.stdout + held.stderr
    assert "history up to position 6 is exactly as the checkpoint holds" in held.stdout
    assert "intact from there to position 7" in held.stdout

    document: dict[str, Any] = json.loads(exported.read_text())
    document["record_count"] = document["record_count"] - 1
    altered = tmp_path / "altered.json"
    altered.write_text(json.dumps(document))
    refused = _cli(tmp_path, test_database_url, fresh_schema, "verify", "--checkpoint", str(altered))
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "the signature does not verify" in refused.stdout

    connection = psycopg2.connect(test_database_url)
    with connection, connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {fresh_schema}.carerecord_events SET state = {PLAIN_EDIT} WHERE originator_id = %s "
            "AND originator_version = 2",
            (str(people[1]),),
        )
    connection.close()
    rewritten = _cli(tmp_path, test_database_url, fresh_schema, *verify)
    assert rewritten.returncode == 1, rewritten.stdout + rewritten.stderr
    assert (
        f"REWRITTEN record {people[1]}: version 2 was changed or removed (the event's content does not match"
        in rewritten.stdout
    )
    assert f"BREAK record {people[1]} at version 2" in rewritten.stdout
    assert "FAILED" in rewritten.stdout
