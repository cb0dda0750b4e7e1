"""The investigation bundle's parts, as types: one person's history over a period, as it stood when the bundle
was made (investigation.py makes it).

The bundle is also one JSON document (`carerecord-investigation/v1`): `as_json()` and `document()` give it,
exactly what `carerecord investigate` writes to bundle.json. The document is the evidence an assurance team
keeps; everything in it that is signed or hashed (the checkpoint's header, the leaf, the inclusion proof) is
there as signed, so the proof can be checked from the document alone. Each type's fields are the document's
keys, in its order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

from carerecord_events.roles import Role
from carerecord_events.vocabulary import AccessKind
from carerecord_services.chain import canonical_json
from carerecord_services.checkpoint import UNSIGNED, Leaf
from carerecord_services.snapshot import RecordSnapshot, jsonable

FORMAT = "carerecord-investigation/v1"


@dataclass(frozen=True)
class InvestigatedPeriod:
    """The period investigated, [from, to): an event is in it if either of its clocks falls inside."""

    start: datetime = field(metadata={"json": "from", "description": "The period's first instant (`from`)"})
    end: datetime = field(
        metadata={"json": "to", "description": "The instant the period ends, not included (`to`)"}
    )


@dataclass(frozen=True)
class Investigator:
    """Who asked for the bundle: it is recorded as their access to the record."""

    user_id: str
    """Their user id"""
    role: Role
    """Their role"""
    organisation: str
    """Their organisation, by its ODS code"""


@dataclass(frozen=True)
class RecordedBy:
    """Who recorded an event, as the event says."""

    user_id: str
    """Their user id"""
    name: str | None
    """Their name, when the event gives it"""
    role: Role
    """Their role when they recorded it"""
    organisation: str
    """Their organisation, by its ODS code"""


@dataclass(frozen=True)
class InvestigatedEvent:
    """One event of the record in the period, as stored: which change, by both clocks, by whom, in words, and
    the record after it where the plans or the care changed."""

    version: int
    """The record's version this event made (1 for the first event)"""
    event_id: UUID
    """The event's id, as the store and every feed give it"""
    type: str
    """The event's stable type name (such as RecommendationMade or PlanRevoked)"""
    label: str
    """What kind of change it was, in words"""
    occurred_at: datetime
    """When it happened, as the person recording it said (earlier than `recordedAt` for a late entry)"""
    recorded_at: datetime
    """When it was recorded in the store"""
    recorded_by: RecordedBy
    """Who recorded it"""
    summary: str
    """What it says, in plain language"""
    plans_changed: bool
    """Whether it changed the plans, the organisations caring for the person, or whether they have died"""
    record_after: RecordSnapshot | None = field(
        default=None,
        metadata={
            "description": "The record replayed up to this event, when it changed the plans or the care"
        },
    )


@dataclass(frozen=True)
class RecordedAccess:
    """One access to the record in the period, from the access log: a read, a refusal, a search or break glass."""

    access_id: UUID
    kind: AccessKind
    user_id: str
    role: Role
    """Their role when they looked"""
    organisation: str
    operation: str
    purpose: str
    granted: bool
    version_shown: int | None
    refusal_reason: str
    via_break_glass: bool
    at: datetime
    expires_at: datetime | None
    """For a break-glass access: when it ends"""


@dataclass(frozen=True)
class Disclosure:
    """One event sent to a provider organisation's feed in the period."""

    organisation: str
    """The organisation whose feed carried it, by its ODS code"""
    event_id: UUID
    """The event sent (`InvestigatedEvent.eventId`)"""
    position: int
    """The event's position in the store's notification log"""
    event_type: str
    """The event's stable type name"""
    disclosed_at: datetime
    """When the feed sent it"""


@dataclass(frozen=True)
class ChainCheck:
    """The record's hash chain, recomputed from the stored events when the bundle was made."""

    intact: bool
    """Whether every stored event still chains to the one before it"""
    version: int
    """The last version that checked out"""
    head_hash: str
    """The chain hash at that version (SHA-256, hex)"""
    problem: str
    """What is wrong, when the chain is broken; empty when intact"""
    broken_at_version: int | None
    """The first version that does not check out; none when intact"""


@dataclass(frozen=True)
class CheckpointHeader:
    """The latest signed checkpoint's header: every field its Ed25519 signature covers, and the signature (the
    leaves are left out: the root commits to them)."""

    format: str
    """The checkpoint's format (carerecord-checkpoint/v2; v1 covers the clinical records only)"""
    position: int
    """The clinical store's position the checkpoint covers up to"""
    audit_position: int | None
    """The access audit store's position it covers up to; none for a v1 checkpoint"""
    record_count: int
    """How many records' chains it covers"""
    audit_stream_count: int | None
    """How many access audit streams' chains it covers; none for a v1 checkpoint"""
    root: str
    """The Merkle root (RFC 6962, SHA-256, hex) over every chain's leaf"""
    created_at: datetime
    """When it was signed"""
    algorithm: str
    """The signature's algorithm (Ed25519)"""
    key_id: str
    """The signing key's id: the first 16 hex digits of the SHA-256 of the raw public key"""
    public_key: str
    """The signing key's raw public key, base64"""
    signature: str
    """The Ed25519 signature, base64, over `signedText`"""
    signed_text: str = field(
        metadata={
            "json": None,
            "description": "Exactly the text the signature covers: the canonical JSON (sorted keys, no spaces, "
            "UTF-8) of every field of the header but the signature. Verify the signature over these bytes with "
            "`publicKey` (or the key you were given), then read the fields from it",
        }
    )

    @staticmethod
    def of(document: dict[str, Any]) -> CheckpointHeader:
        """The header of a checkpoint document as stored."""
        header = {key: value for key, value in document.items() if key != "leaves"}
        signed = {key: value for key, value in header.items() if key not in UNSIGNED}
        return CheckpointHeader(
            format=header["format"],
            position=header["position"],
            audit_position=header.get("audit_position"),
            record_count=header["record_count"],
            audit_stream_count=header.get("audit_stream_count"),
            root=header["root"],
            created_at=datetime.fromisoformat(header["created_at"]),
            algorithm=header["algorithm"],
            key_id=header["key_id"],
            public_key=header["public_key"],
            signature=header["signature"],
            signed_text=canonical_json(signed).decode(),
        )

    def as_json(self) -> dict[str, Any]:
        """The header exactly as signed (the signed fields as the signed text gives them)."""
        return {**json.loads(self.signed_text), "signature": self.signature}


@dataclass(frozen=True)
class CheckpointProof:
    """Where the record stands in the latest signed checkpoint: its leaf, and the inclusion proof from the leaf
    to the signed root."""

    checkpoint: CheckpointHeader
    """The checkpoint's signed header"""
    leaf: Leaf | None
    """The record's leaf in it; none when the record is newer than the checkpoint"""
    leaf_index: int | None = None
    """The leaf's place among the checkpoint's leaves (from 0); none without a leaf"""
    inclusion_proof: tuple[str, ...] | None = None
    """RFC 6962's audit path: the sibling hashes (hex) from the leaf up to the root; none without a leaf"""
    proof_verifies: bool | None = None
    """Whether the inclusion proof leads from the leaf to the signed root; none without a leaf"""
    store_matches_leaf: bool | None = None
    """Whether the stored event at the leaf's version still has the leaf's chain hash; none without a leaf"""
    versions_since_checkpoint: int | None = None
    """How many versions were recorded after the checkpoint; none without a leaf"""

    def as_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"checkpoint": self.checkpoint.as_json(), "leaf": None}
        if self.leaf is not None:
            document |= {
                "leaf": self.leaf.as_json(),
                "leaf_index": self.leaf_index,
                "inclusion_proof": list(self.inclusion_proof or ()),
                "proof_verifies": self.proof_verifies,
                "store_matches_leaf": self.store_matches_leaf,
                "versions_since_checkpoint": self.versions_since_checkpoint,
            }
        return document


@dataclass(frozen=True)
class IntegrityProof:
    """The proof that the record's history was not rewritten: its chain check, and its place in the latest
    signed checkpoint."""

    chain: ChainCheck
    """The record's hash chain, checked when the bundle was made"""
    checkpoint: CheckpointProof | None
    """The record's leaf and inclusion proof in the latest signed checkpoint; none before any checkpoint"""

    def as_json(self) -> dict[str, Any]:
        return {
            "chain": _plain(self.chain),
            "checkpoint": self.checkpoint.as_json() if self.checkpoint is not None else None,
        }


@dataclass(frozen=True)
class InvestigationBundle:
    """Everything that happened to one person's record in a period, as it stood when the bundle was made: every
    event by both clocks with who and a plain summary, the record after each change, every access and
    disclosure, and the integrity proof."""

    format: str
    """The bundle's format: carerecord-investigation/v1"""
    record_id: UUID
    """The record investigated"""
    period: InvestigatedPeriod
    """The period investigated"""
    generated_at: datetime
    """When the bundle was made"""
    generated_by: Investigator
    """Who asked for it"""
    current_version: int
    """The record's version when the bundle was made (the version recorded as shown)"""
    record_before: RecordSnapshot
    """The record as it stood before the period's first event (version 0: before anything was recorded)"""
    events: tuple[InvestigatedEvent, ...]
    """Every event whose either clock falls in the period, in version order"""
    accesses: tuple[RecordedAccess, ...]
    """Every access to the record in the period, oldest first"""
    disclosures: tuple[Disclosure, ...]
    """What went to provider feeds in the period, oldest first"""
    integrity: IntegrityProof
    """The proof that the history was not rewritten"""

    def as_json(self) -> dict[str, Any]:
        """The bundle as one JSON value (format carerecord-investigation/v1)."""
        document: dict[str, Any] = {
            "format": self.format,
            "record_id": str(self.record_id),
            "period": _plain(self.period),
            "generated_at": self.generated_at.isoformat(),
            "generated_by": _plain(self.generated_by),
            "current_version": self.current_version,
            "record_before": self.record_before.as_json(),
            "events": [_event(event) for event in self.events],
            "accesses": [_plain(access) for access in self.accesses],
            "disclosures": [_plain(item) for item in self.disclosures],
            "integrity": self.integrity.as_json(),
        }
        return document

    @property
    def document(self) -> str:
        """The bundle as one JSON document (format carerecord-investigation/v1), exactly as `carerecord
        investigate` writes bundle.json: keep it as the evidence. The checkpoint's signature and the inclusion
        proof can be checked from it alone (`integrity.checkpoint`: verify the signature over the canonical JSON
        of the header without `signature`, then the proof from `leaf.leaf_hash` to the header's `root`)"""
        return json.dumps(self.as_json(), indent=2, ensure_ascii=False) + "\n"


def _plain(value: Any) -> dict[str, Any]:
    """A dataclass of plain values as the document's object: its fields by their document names, in order."""
    document = {}
    for part in fields(value):
        name = part.metadata.get("json", part.name)
        if name is not None:
            item = getattr(value, part.name)
            document[name] = item.value if isinstance(item, Enum) else jsonable(item)
    return document


def _event(event: InvestigatedEvent) -> dict[str, Any]:
    document = _plain(event) | {"recorded_by": _plain(event.recorded_by)}
    if event.record_after is None:
        del document["record_after"]
    else:
        document["record_after"] = event.record_after.as_json()
    return document
