"""What `carerecord verify` checks and reports: the chains of both stores, a signed checkpoint, and
(`--read-models`) the read models against what the stores imply; and what `carerecord checkpoint` reports.

Every finding is one line that names what it is about: `BREAK record <id>` for a clinical record,
`BREAK audit stream <id> (accesses to record <id>)` for the access audit, `REWRITTEN ...` for a stream that no
longer matches a checkpoint, `DIFFERS table <t> record <id> column <c>` for a read-model row.
"""

from __future__ import annotations

import json
import secrets
import sys
from collections.abc import Callable
from pathlib import Path

from psycopg2 import sql

from carerecord.bootstrap import Services
from carerecord.settings import Settings
from carerecord_messaging.rebuild import rebuild_into
from carerecord_projections.database import close_pools, transaction
from carerecord_projections.read_model_check import compare
from carerecord_projections.who_has_looked import AccessLogFeeder
from carerecord_services.audit_streams import describe_audit_stream
from carerecord_services.chain import ACCESS_AUDIT
from carerecord_services.checkpoint import (
    Checkpoint,
    CheckpointInvalid,
    load_public_key,
    open_checkpoint,
    public_key_pem,
)
from carerecord_services.checkpoint_store import ChainsBroken, CheckpointVerification, verify_against_store
from carerecord_services.integrity import ChainBreak, verify_chains
from carerecord_services.store import EventStore

Progress = Callable[[int, int], None]


def verify_stores(settings: Settings, progress: Progress) -> int:
    services = Services(settings)
    try:
        clinical = verify_chains(services.store, progress=progress, check_identifiers=True)
        # the audit holds who looked, as their tokens said: its identifiers are not the record's to judge
        audit = verify_chains(
            services.audit_store, progress=progress, store_name=ACCESS_AUDIT, check_identifiers=False
        )
        print(f"\nchecked {clinical.events_checked} events in {clinical.records_checked} records")
        print(f"checked {audit.events_checked} access-audit events in {audit.records_checked} audit streams")
        breaks = clinical.breaks + audit.breaks
        for found in breaks:
            print(_break_line(services.audit_store, found))
        for odd in clinical.identifiers:
            print(
                f"IDENTIFIER record {odd.record_id} at version {odd.version} (position {odd.position}), "
                f"{odd.event_type} {odd.field}: {odd.problem}"
            )
    finally:
        services.close()
    if not breaks:
        print("every chain is intact")
    if not clinical.identifiers:
        print("every stored identifier is in its canonical form")
    return 0 if not breaks and not clinical.identifiers else 1


def verify_checkpoint(settings: Settings, path: Path, public_key: Path | None, progress: Progress) -> int:
    try:
        document = json.loads(path.read_text())
        trusted = load_public_key(public_key.read_bytes()) if public_key is not None else None
    except (OSError, ValueError) as error:
        print(f"carerecord: cannot read {error}", file=sys.stderr)
        return 2
    try:
        checkpoint = open_checkpoint(document, trusted)
    except CheckpointInvalid as invalid:
        print(f"FAILED checkpoint {path}: {invalid}")
        return 1
    _describe(checkpoint, trusted is not None)
    result = _against_the_stores(settings, checkpoint, progress)
    if not result.holds:
        print("FAILED: history was rewritten or a chain is broken")
        return 1
    print(
        f"history up to position {checkpoint.position} is exactly as the checkpoint holds (access audit up "
        f"to position {checkpoint.audit_position}), and every chain is intact from there to position "
        f"{result.store_position} (access audit: {result.audit_position})"
    )
    return 0


def _describe(checkpoint: Checkpoint, trusted: bool) -> None:
    trust = "the trusted key given" if trusted else "the public key inside the checkpoint only"
    audit_leaves = len(checkpoint.leaves_of(ACCESS_AUDIT))
    print(
        f"checkpoint ({checkpoint.format}) at position {checkpoint.position}: "
        f"{len(checkpoint.leaves) - audit_leaves} records, {audit_leaves} audit streams "
        f"(audit position {checkpoint.audit_position}), root {checkpoint.root}"
    )
    print(f"signature: valid, key {checkpoint.key_id} ({trust}), signed {checkpoint.document['created_at']}")
    if not checkpoint.covers_audit:
        print(
            "OLDER FORMAT: this checkpoint was made before the access audit was chained; it proves the clinical "
            "records only. The audit's chains are checked below, but not against it."
        )


def _against_the_stores(
    settings: Settings, checkpoint: Checkpoint, progress: Progress
) -> CheckpointVerification:
    services = Services(settings)
    try:
        result = verify_against_store(
            services.store, checkpoint, progress=progress, audit_store=services.audit_store
        )
        print(f"\nchecked {result.events_checked} events in {result.records_checked} records")
        print(
            f"checked {result.audit_events_checked} access-audit events in "
            f"{result.audit_streams_checked} audit streams"
        )
        for rewritten in result.rewritten:
            print(
                f"REWRITTEN {_stream_name(services.audit_store, rewritten.record_id, rewritten.store)}: "
                f"{rewritten.problem}"
            )
        for found in result.breaks:
            print(_break_line(services.audit_store, found))
    finally:
        services.close()
    return result


def _break_line(audit_store: EventStore, found: ChainBreak) -> str:
    return (
        f"BREAK {_stream_name(audit_store, found.record_id, found.store)} at version {found.version} "
        f"(position {found.position}): {found.problem}"
    )


def _stream_name(audit_store: EventStore, stream: str, store: str) -> str:
    if store != ACCESS_AUDIT:
        return f"record {stream}"
    if stream == "-":
        return "access audit"
    return f"audit stream {stream} ({describe_audit_stream(audit_store, stream)})"


def verify_read_models(settings: Settings, progress: Progress) -> int:
    """Rebuilds every read model from the stores into a scratch schema, compares, and drops the schema."""
    services = Services(settings)
    live_dsn = services.read_models_dsn
    scratch = f"carerecord_check_{secrets.token_hex(6)}"
    with transaction(live_dsn) as cursor:
        cursor.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(scratch)))
    try:
        audit_up_to = AccessLogFeeder(services.audit_store, live_dsn).position()
        print(f"rebuilding the read models into the scratch schema {scratch}", flush=True)
        scratch_dsn = services.database.dsn(scratch)
        rebuild_into(services.store, scratch_dsn, progress=progress)
        AccessLogFeeder(services.audit_store, scratch_dsn).catch_up_to(audit_up_to)
        report = compare(live_dsn, scratch)
    finally:
        with transaction(live_dsn) as cursor:
            cursor.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(scratch)))
        services.close()
        close_pools()
    print(f"\ncompared {report.rows_compared} rows of the read models with what the stores imply")
    for record_id in report.behind:
        print(f"BEHIND record {record_id}: the read models have not caught up with it yet (not compared)")
    for found in report.differences:
        print(
            f"DIFFERS table {found.table} record {found.record_id} column {found.column} ({found.key}): "
            f"{found.problem}"
        )
    if report.agrees:
        print("the read models serve exactly what the stores imply")
        return 0
    print(f"FAILED: {len(report.differences)} difference(s) between the read models and the stores")
    return 1


def nothing_signed(broken: ChainsBroken) -> int:
    print(f"\ncarerecord: nothing signed: {broken}", file=sys.stderr)
    for found in broken.breaks:
        what = "audit stream" if found.store == "access-audit" else "record"
        print(f"BREAK {what} {found.record_id} at version {found.version}: {found.problem}", file=sys.stderr)
    return 1


def export_checkpoint(made: Checkpoint, out: Path | None, public_key_out: Path | None) -> None:
    if out is not None:
        out.write_text(json.dumps(made.document, indent=2) + "\n")
        print(f"written to {out}")
    if public_key_out is not None:
        public_key_out.write_text(public_key_pem(made.public_key))
        print(f"public key written to {public_key_out}")
