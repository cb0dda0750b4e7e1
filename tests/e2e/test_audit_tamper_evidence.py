"""The access audit proves itself: every access to one person is one chain, so a row deleted from
accessaudit_events in PostgreSQL is reported by `verify` and by `verify --checkpoint`, naming whose accesses
lost an entry; refused requests and feed disclosures are events of that store too."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg2
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from carerecord_events.access import RecordAccessed, RequestRefused
from carerecord_projections.database import transaction
from carerecord_projections.refused_requests import Refusal, RefusalLog
from carerecord_services.audit_streams import organisation_day_stream, person_stream
from carerecord_services.chain import ACCESS_AUDIT, canonical_json
from carerecord_services.checkpoint import Leaf, key_id, merkle_root, public_key_bytes, public_key_pem
from carerecord_services.checkpoint_store import CheckpointLog
from carerecord_services.integrity import verify_chains
from tests.builders import GP, PARAMEDIC, recommendation, register
from tests.conftest import CareRecordStack, open_stack
from tests.e2e.audit_support import AuditStack, open_audit


def _reads(audit: AuditStack, record_id: UUID, count: int) -> None:
    for _ in range(count):
        audit.audit.record_access(GP, record_id, operation="person", purpose="direct care", granted=True)


def _delete_access(database_url: str, schema: str, stream: UUID, version: int) -> None:
    connection = psycopg2.connect(database_url)
    with connection, connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {schema}.accessaudit_events WHERE originator_id = %s AND originator_version = %s",
            (str(stream), version),
        )
        assert cursor.rowcount == 1
    connection.close()


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
        timeout=180,
        check=False,
    )


def test_every_access_to_one_person_is_one_chain_even_when_two_processes_read_at_once(
    plain: CareRecordStack, test_database_url: str
) -> None:
    record_id = uuid4()
    here, elsewhere = open_audit(test_database_url, plain.schema), open_audit(test_database_url, plain.schema)
    failures: list[BaseException] = []

    def read(audit: AuditStack) -> None:
        try:
            _reads(audit, record_id, 25)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=read, args=(audit,)) for audit in [here, elsewhere] * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    chain = here.store.load(person_stream(record_id))
    assert chain.version == 200 and all(isinstance(e, RecordAccessed) for e in chain.events)
    assert verify_chains(here.store).intact
    with transaction(here.dsn) as cursor:
        cursor.execute("SELECT count(*) FROM access_log WHERE record_id = %s", (record_id,))
        assert cursor.fetchone()[0] == 200  # the read model by access_id still holds every access
    here.close()
    elsewhere.close()


def test_a_deleted_access_row_breaks_the_persons_chain_and_verify_names_it(
    test_database_url: str, fresh_schema: str, tmp_path: Path
) -> None:
    audit = open_audit(test_database_url, fresh_schema)
    record_id, someone_else = uuid4(), uuid4()
    _reads(audit, record_id, 3)
    _reads(audit, someone_else, 2)
    assert _cli(tmp_path, test_database_url, fresh_schema, "verify").returncode == 0
    _delete_access(test_database_url, fresh_schema, person_stream(record_id), 2)

    report = verify_chains(audit.store, store_name=ACCESS_AUDIT)
    assert [(b.record_id, b.version, b.problem, b.store) for b in report.breaks] == [
        (str(person_stream(record_id)), 3, "version 3 follows version 1", ACCESS_AUDIT)
    ]
    result = _cli(tmp_path, test_database_url, fresh_schema, "verify")
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        f"BREAK audit stream {person_stream(record_id)} (accesses to record {record_id}) at version 3"
        in result.stdout
    )
    assert str(someone_else) not in result.stdout
    audit.close()


def test_a_deleted_access_row_is_reported_against_a_checkpoint_made_before(
    test_database_url: str, fresh_schema: str, tmp_path: Path
) -> None:
    stack = open_stack(test_database_url, fresh_schema, encrypted=False)
    stack.care_records.register_person(register())
    audit = open_audit(test_database_url, fresh_schema)
    record_id, last_read = uuid4(), uuid4()
    _reads(audit, record_id, 3)
    _reads(audit, last_read, 2)
    exported, public_key = tmp_path / "checkpoint.json", tmp_path / "signer.pem"
    made = _cli(
        tmp_path, test_database_url, fresh_schema, "checkpoint", "--out", str(exported),
        "--public-key-out", str(public_key),
    )  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr
    document = json.loads(exported.read_text())
    assert document["format"] == "carerecord-checkpoint/v2" and document["audit_stream_count"] == 2
    verify = ("verify", "--checkpoint", str(exported), "--public-key", str(public_key))
    assert _cli(tmp_path, test_database_url, fresh_schema, *verify).returncode == 0

    _delete_access(test_database_url, fresh_schema, person_stream(record_id), 2)
    _delete_access(test_database_url, fresh_schema, person_stream(last_read), 2)  # a stream's last row
    assert [b.record_id for b in verify_chains(audit.store).breaks] == [str(person_stream(record_id))]
    result = _cli(tmp_path, test_database_url, fresh_schema, *verify)
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        f"REWRITTEN audit stream {person_stream(record_id)} (accesses to record {record_id}): "
        "version 3 was changed or removed (version 3 follows version 1)" in result.stdout
    )
    assert (  # no later link to break, but the checkpoint holds version 2
        f"REWRITTEN audit stream {person_stream(last_read)} (accesses to record {last_read}): "
        "the event at version 2 is missing" in result.stdout
    )
    assert f"BREAK audit stream {person_stream(record_id)}" in result.stdout
    stack.close()
    audit.close()


def test_a_checkpoint_made_before_the_audit_was_chained_still_verifies_and_says_it_is_older(
    test_database_url: str, fresh_schema: str, tmp_path: Path
) -> None:
    stack = open_stack(test_database_url, fresh_schema, encrypted=False)
    record_id = stack.care_records.register_person(register()).record_id
    stack.care_records.execute(record_id, recommendation())
    audit = open_audit(test_database_url, fresh_schema)
    _reads(audit, record_id, 2)
    key = Ed25519PrivateKey.generate()
    made = CheckpointLog(stack.store, key, clock=lambda: datetime.now(UTC), audit_store=audit.store).make()
    older = tmp_path / "v1.json"
    older.write_text(json.dumps(_as_version_1(key, made.leaves, made.position)))
    (tmp_path / "signer.pem").write_text(public_key_pem(key.public_key()))

    result = _cli(
        tmp_path, test_database_url, fresh_schema, "verify", "--checkpoint", str(older),
        "--public-key", str(tmp_path / "signer.pem"),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "checkpoint (carerecord-checkpoint/v1)" in result.stdout
    assert "OLDER FORMAT: this checkpoint was made before the access audit was chained" in result.stdout
    _delete_access(test_database_url, fresh_schema, person_stream(record_id), 1)
    result = _cli(
        tmp_path, test_database_url, fresh_schema, "verify", "--checkpoint", str(older),
    )  # fmt: skip
    assert result.returncode == 1  # the audit's chains are still checked, though not against a v1 checkpoint
    assert f"BREAK audit stream {person_stream(record_id)}" in result.stdout
    stack.close()
    audit.close()


def _as_version_1(key: Ed25519PrivateKey, leaves: list[Leaf], position: int) -> dict[str, Any]:
    """A checkpoint as the code before this change signed it: clinical leaves only, no store field."""
    clinical = [leaf for leaf in leaves if leaf.store != ACCESS_AUDIT]
    public = key.public_key()
    document: dict[str, Any] = {
        "format": "carerecord-checkpoint/v1",
        "position": position,
        "record_count": len(clinical),
        "root": merkle_root([leaf.hash for leaf in clinical]).hex(),
        "created_at": datetime.now(UTC).isoformat(),
        "algorithm": "Ed25519",
        "key_id": key_id(public),
        "public_key": base64.b64encode(public_key_bytes(public)).decode(),
    }
    document["signature"] = base64.b64encode(key.sign(canonical_json(document))).decode()
    document["leaves"] = [
        {"record_id": leaf.record_id, "version": leaf.version, "chain_hash": leaf.chain_hash}
        for leaf in clinical
    ]
    return document


def test_a_refused_request_is_an_audit_event_and_refused_requests_its_read_model(
    plain: CareRecordStack, test_database_url: str
) -> None:
    audit = open_audit(test_database_url, plain.schema)
    refusals = RefusalLog(audit.dsn, audit.audit.record_refusal)
    refusals.record(
        Refusal(kind="authentication", reason="expired", token_id="jti-1", client_address="10.0.0.9")
    )
    refusals.record(
        Refusal(kind="permission", reason="role-may-not", user_id=PARAMEDIC.user_id, role="paramedic",
                organisation=PARAMEDIC.organisation, operation="makeRecommendation", token_id="<script>")
    )  # fmt: skip
    for operation in (
        "portal blanket alert finding",
        "fhir:Patient/$everything",
        "portal:/x\nforged line",
        "two  spaces",
        " leading",
        "x" * 129,
    ):
        refusals.record(
            Refusal(
                kind="permission",
                reason="role-may-not",
                user_id=PARAMEDIC.user_id,
                role="paramedic",
                organisation=PARAMEDIC.organisation,
                operation=operation,
            )
        )
    today = datetime.now(UTC).date()
    unknown = audit.store.load(organisation_day_stream(None, today)).events
    paramedics = audit.store.load(organisation_day_stream(PARAMEDIC.organisation, today)).events
    assert [(type(e), e.reason) for e in unknown + paramedics] == [  # type: ignore[attr-defined]
        (RequestRefused, "expired"),
    ] + [(RequestRefused, "role-may-not")] * 7
    assert paramedics[0].token_id is None  # type: ignore[attr-defined]  # not an identifier: not kept
    served = refusals.recent()
    assert [(row["reason"], row["organisation"], row["operation"]) for row in served] == [
        *[("role-may-not", PARAMEDIC.organisation, None)]
        * 4,  # a forged line, odd spacing, too long: not kept
        ("role-may-not", PARAMEDIC.organisation, "fhir:Patient/$everything"),
        ("role-may-not", PARAMEDIC.organisation, "portal blanket alert finding"),
        ("role-may-not", PARAMEDIC.organisation, "makeRecommendation"),
        ("expired", None, None),
    ]
    assert verify_chains(audit.store).intact
    audit.close()
