"""Checkpoints on the store side: making them from the event store, keeping them in a table beside it, and
proving that the store still reproduces one made earlier.

Making a checkpoint walks the chains of both stores, the clinical records and the access audit (checking every
link), from the latest checkpoint this key signed, or from the start; a store whose chains are broken is never
signed. A v1 checkpoint (clinical records only) is continued for the clinical chains, and the audit's chains are
walked from the start. The table `carerecord_checkpoints` lives in the event
store's schema and holds each signed document as written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.postgres import PostgresDatastore
from psycopg.sql import SQL, Identifier

from carerecord_services.chain import ACCESS_AUDIT, CARE_RECORD
from carerecord_services.checkpoint import (
    Checkpoint,
    CheckpointInvalid,
    Leaf,
    key_id,
    open_checkpoint,
    sign_checkpoint,
)
from carerecord_services.integrity import (
    ChainBreak,
    ChainHead,
    VerificationReport,
    verify_record_chain,
    walk_chains,
)
from carerecord_services.schema_changes import lock_schema_changes
from carerecord_services.store import EventStore

Progress = Callable[[int, int], None]

TABLE = "carerecord_checkpoints"
DDL = """CREATE TABLE IF NOT EXISTS {table} (
    id bigserial PRIMARY KEY,
    position bigint NOT NULL,
    root text NOT NULL,
    record_count integer NOT NULL,
    key_id text NOT NULL,
    created_at timestamptz NOT NULL,
    document jsonb NOT NULL
)"""


class ChainsBroken(Exception):
    """The chains do not check out, so no checkpoint is signed."""

    def __init__(self, breaks: list[ChainBreak]) -> None:
        super().__init__(f"{len(breaks)} broken chain(s): run `carerecord verify`")
        self.breaks = breaks


class CheckpointLog:
    """Signed checkpoints of one event store, kept in its schema."""

    def __init__(
        self,
        store: EventStore,
        key: Ed25519PrivateKey,
        *,
        clock: Callable[[], datetime],
        audit_store: EventStore | None = None,
    ) -> None:
        datastore = getattr(store.recorder, "datastore", None)
        if not isinstance(datastore, PostgresDatastore):
            raise TypeError("checkpoints are kept in PostgreSQL: the event store must be on PostgreSQL")
        self._store = store
        self._audit_store = audit_store
        self._datastore = datastore
        self._key = key
        self._clock = clock
        self._table = Identifier(datastore.schema, TABLE)
        with datastore.transaction(commit=True) as cursor:
            lock_schema_changes(cursor, datastore.schema)
            cursor.execute(SQL(DDL).format(table=self._table))

    @property
    def key_id(self) -> str:
        return key_id(self._key.public_key())

    def latest(self) -> Checkpoint | None:
        """The newest stored checkpoint whose signature and root check out, whoever signed it."""
        with self._datastore.transaction() as cursor:
            cursor.execute(
                SQL("SELECT document FROM {table} ORDER BY position DESC, id DESC LIMIT 1").format(
                    table=self._table
                )
            )
            row = cursor.fetchone()
        if row is None:
            return None
        return open_checkpoint(_document(row["document"]))

    def make(self, progress: Progress | None = None) -> Checkpoint:
        """Signs and stores a checkpoint of every chain as it stands now. Continues from the latest checkpoint
        signed with this key (its leaves are the chain heads there); raises ChainsBroken if a link fails."""
        try:
            previous = self.latest()
        except CheckpointInvalid:
            previous = None  # a stored document that does not check out is never built on
        if previous is not None and previous.key_id != self.key_id:
            previous = None
        walked = self._walk(self._store, CARE_RECORD, previous, progress)
        audit = self._walk(self._audit_store, ACCESS_AUDIT, previous, progress) if self._audit_store else None
        breaks = walked.breaks + (audit.breaks if audit else [])
        if breaks:
            raise ChainsBroken(breaks)
        leaves = [Leaf(record, head.version, head.hash) for record, head in walked.heads.items()]
        if audit is not None:
            leaves += [
                Leaf(stream, head.version, head.hash, ACCESS_AUDIT) for stream, head in audit.heads.items()
            ]
        document = sign_checkpoint(
            self._key,
            leaves,
            position=walked.position,
            created_at=self._clock(),
            audit_position=audit.position if audit else 0,
        )
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(
                SQL(
                    "INSERT INTO {table} (position, root, record_count, key_id, created_at, document) "
                    "VALUES (%s, %s, %s, %s, %s, %s)"
                ).format(table=self._table),
                (
                    document["position"],
                    document["root"],
                    document["record_count"],
                    document["key_id"],
                    document["created_at"],
                    json.dumps(document),
                ),
            )
        return open_checkpoint(document)

    @staticmethod
    def _walk(
        store: EventStore, name: str, previous: Checkpoint | None, progress: Progress | None
    ) -> VerificationReport:
        """One store's chains, continued from the previous checkpoint's leaves of that store if it has them."""
        if previous is None or (name == ACCESS_AUDIT and not previous.covers_audit):
            return walk_chains(store, progress=progress, store_name=name)
        start = {
            leaf.record_id: ChainHead(leaf.version, leaf.chain_hash) for leaf in previous.leaves_of(name)
        }
        after = previous.position if name == CARE_RECORD else previous.audit_position
        return walk_chains(store, start_heads=start, after=after, progress=progress, store_name=name)


def _document(value: Any) -> dict[str, Any]:
    document = json.loads(value) if isinstance(value, str | bytes) else value
    assert isinstance(document, dict)
    return document


@dataclass(frozen=True)
class Rewritten:
    """A stream whose history no longer matches what the checkpoint holds."""

    record_id: str
    problem: str
    store: str = CARE_RECORD


@dataclass
class CheckpointVerification:
    checkpoint: Checkpoint
    store_position: int = 0
    events_checked: int = 0
    records_checked: int = 0
    rewritten: list[Rewritten] = field(default_factory=list)
    breaks: list[ChainBreak] = field(default_factory=list)
    audit_position: int = 0
    audit_events_checked: int = 0
    audit_streams_checked: int = 0

    @property
    def holds(self) -> bool:
        return not self.rewritten and not self.breaks


def verify_against_store(
    store: EventStore,
    checkpoint: Checkpoint,
    progress: Progress | None = None,
    *,
    audit_store: EventStore | None = None,
) -> CheckpointVerification:
    """One pass over each store: every chain is checked from the start to now, and each chain's head as it stood
    at the checkpoint's position must be exactly the checkpoint's leaf (no stream missing, added or changed).
    A v1 checkpoint holds no audit leaves: the audit's chains are then checked, but not against it."""
    walked = walk_chains(store, snapshot_at=checkpoint.position, progress=progress)
    result = CheckpointVerification(
        checkpoint,
        store_position=walked.position,
        events_checked=walked.events_checked,
        records_checked=walked.records_checked,
        breaks=list(walked.breaks),
    )
    result.rewritten += _compare(
        store, CARE_RECORD, checkpoint.position, walked, checkpoint.leaves_of(CARE_RECORD)
    )
    if audit_store is not None:
        at = checkpoint.audit_position if checkpoint.covers_audit else None
        audit = walk_chains(audit_store, snapshot_at=at, progress=progress, store_name=ACCESS_AUDIT)
        result.breaks += audit.breaks
        result.audit_position = audit.position
        result.audit_events_checked = audit.events_checked
        result.audit_streams_checked = audit.records_checked
        if at is not None:
            result.rewritten += _compare(
                audit_store, ACCESS_AUDIT, at, audit, checkpoint.leaves_of(ACCESS_AUDIT)
            )
    return result


def _compare(
    store: EventStore, name: str, position: int, walked: VerificationReport, leaves: list[Leaf]
) -> list[Rewritten]:
    found: list[Rewritten] = []
    if walked.position < position:
        found.append(
            Rewritten("-", f"the store ends at position {walked.position}, before the checkpoint's", name)
        )
    then = walked.snapshot or {}
    for leaf in leaves:
        head = then.get(leaf.record_id)
        if head is not None and head.version == leaf.version and head.hash == leaf.chain_hash:
            continue
        found.append(Rewritten(leaf.record_id, _explain(store, leaf), name))
    held = {leaf.record_id for leaf in leaves}
    for record in sorted(set(then) - held):
        found.append(
            Rewritten(record, f"has events at or before position {position} that the checkpoint lacks", name)
        )
    return found


def _explain(store: EventStore, leaf: Leaf) -> str:
    """Why a leaf does not match: recompute the record's chain up to the leaf's version."""
    check = verify_record_chain(store, UUID(leaf.record_id), up_to_version=leaf.version)
    if not check.intact:
        return f"version {check.broken_at_version} was changed or removed ({check.problem})"
    if check.version < leaf.version:
        return f"the event at version {leaf.version} is missing"
    if check.head_hash != leaf.chain_hash:
        return (
            f"the event at version {leaf.version} no longer has the chain hash the checkpoint holds "
            "(its chain was rewritten and recomputed)"
        )
    return f"it had not reached version {leaf.version} at the position the checkpoint covers"
