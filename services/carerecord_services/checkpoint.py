"""Signed checkpoints of every chain: a Merkle root over each stream's latest chain hash, signed with Ed25519.

A checkpoint is a JSON document that a second organisation keeps. Later, anyone holding it can prove that the
history it covers was not rewritten: the store must still reproduce every leaf (see checkpoint_store.py).

The tree is RFC 6962's (Certificate Transparency) with SHA-256, so leaves and inner nodes can never be
confused:

    leaf  = SHA-256(0x00 || canonical JSON of {"record": <record id>, "version": <version>, "chain": <hash>})
            for a clinical record; an access-audit stream's leaf adds "store": "access-audit" to that JSON
    node  = SHA-256(0x01 || left || right)
    empty = SHA-256("")

Format v2 (`carerecord-checkpoint/v2`) covers both stores: the clinical records' leaves sorted by record id,
then the access audit's streams' leaves sorted by stream id; `position` is the clinical store's position and
`audit_position` the audit store's. Format v1, made before the access audit was chained, covers the clinical
store only (its leaves hash exactly as v2's clinical leaves do); it still opens and verifies, and says so. The
signature covers the canonical JSON of every field of the document except `signature` and `leaves` (the root
commits to the leaves).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from carerecord_services.chain import ACCESS_AUDIT, CARE_RECORD, canonical_json

FORMAT_V1 = "carerecord-checkpoint/v1"
FORMAT = "carerecord-checkpoint/v2"
ALGORITHM = "Ed25519"
UNSIGNED = ("signature", "leaves")


@dataclass(frozen=True)
class Leaf:
    """One chain's leaf in a checkpoint: the chain's head at the checkpoint's position."""

    record_id: str
    """The stream: a record's id, or an access audit stream's id"""
    version: int
    """The chain's version at the checkpoint"""
    chain_hash: str
    """The chain's hash at that version (SHA-256, hex)"""
    store: str = CARE_RECORD
    """Which store the chain is in: care-record or access-audit"""

    @property
    def leaf_hash(self) -> str:
        """The leaf's hash (hex): SHA-256 of 0x00 and the canonical JSON of its record, version and chain hash
        (and its store, for an access audit stream), as RFC 6962 hashes a leaf"""
        return self.hash.hex()

    @property
    def hash(self) -> bytes:
        material: dict[str, Any] = {
            "record": self.record_id,
            "version": self.version,
            "chain": self.chain_hash,
        }
        if self.store != CARE_RECORD:
            material["store"] = self.store
        return hashlib.sha256(b"\x00" + canonical_json(material)).digest()

    def as_json(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "record_id": self.record_id,
            "version": self.version,
            "chain_hash": self.chain_hash,
            "leaf_hash": self.leaf_hash,
        }


def _order(leaf: Leaf) -> tuple[bool, str]:
    return leaf.store != CARE_RECORD, leaf.record_id


def sorted_leaves(leaves: list[Leaf]) -> list[Leaf]:
    return sorted(leaves, key=_order)


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two smaller than `size` (size >= 2)."""
    k = 1
    while k * 2 < size:
        k *= 2
    return k


def merkle_root(hashes: list[bytes]) -> bytes:
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = _split(len(hashes))
    return _node(merkle_root(hashes[:k]), merkle_root(hashes[k:]))


def inclusion_proof(hashes: list[bytes], index: int) -> list[bytes]:
    """RFC 6962's audit path for the leaf at `index`: the sibling hashes from the leaf up to the root."""
    if len(hashes) <= 1:
        return []
    k = _split(len(hashes))
    if index < k:
        return [*inclusion_proof(hashes[:k], index), merkle_root(hashes[k:])]
    return [*inclusion_proof(hashes[k:], index - k), merkle_root(hashes[:k])]


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: list[bytes], root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2: does `proof` lead from the leaf at `index` of a tree of `size` to `root`?"""
    if index >= size:
        return False
    fn, sn, result = index, size - 1, leaf_hash
    for sibling in proof:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            result = _node(sibling, result)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            result = _node(result, sibling)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and result == root


def public_key_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """The first 16 hex digits of the SHA-256 of the raw public key."""
    return hashlib.sha256(public_key_bytes(key)).hexdigest()[:16]


def sign_checkpoint(
    key: Ed25519PrivateKey,
    leaves: list[Leaf],
    *,
    position: int,
    created_at: datetime,
    audit_position: int = 0,
) -> dict[str, Any]:
    ordered = sorted_leaves(leaves)
    public = key.public_key()
    document: dict[str, Any] = {
        "format": FORMAT,
        "position": position,
        "audit_position": audit_position,
        "record_count": sum(1 for leaf in ordered if leaf.store == CARE_RECORD),
        "audit_stream_count": sum(1 for leaf in ordered if leaf.store == ACCESS_AUDIT),
        "root": merkle_root([leaf.hash for leaf in ordered]).hex(),
        "created_at": created_at.isoformat(),
        "algorithm": ALGORITHM,
        "key_id": key_id(public),
        "public_key": base64.b64encode(public_key_bytes(public)).decode(),
    }
    document["signature"] = base64.b64encode(key.sign(_signed_bytes(document))).decode()
    document["leaves"] = [leaf.as_json() for leaf in ordered]
    return document


def _signed_bytes(document: dict[str, Any]) -> bytes:
    return canonical_json({name: value for name, value in document.items() if name not in UNSIGNED})


class CheckpointInvalid(Exception):
    """The checkpoint document is malformed, its signature does not verify, or its leaves do not make its root."""


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint whose signature and root have been checked."""

    document: dict[str, Any]
    leaves: list[Leaf]
    public_key: Ed25519PublicKey

    @property
    def position(self) -> int:
        return int(self.document["position"])

    @property
    def covers_audit(self) -> bool:
        """False for a v1 checkpoint, made before the access audit was chained: it covers clinical records only."""
        return bool(self.document["format"] != FORMAT_V1)

    @property
    def audit_position(self) -> int:
        return int(self.document.get("audit_position", 0))

    @property
    def format(self) -> str:
        return str(self.document["format"])

    def leaves_of(self, store: str) -> list[Leaf]:
        return [leaf for leaf in self.leaves if leaf.store == store]

    @property
    def root(self) -> str:
        return str(self.document["root"])

    @property
    def key_id(self) -> str:
        return str(self.document["key_id"])

    def leaf_for(self, record_id: UUID | str, store: str = CARE_RECORD) -> tuple[int, Leaf] | None:
        wanted = str(record_id)
        for index, leaf in enumerate(self.leaves):
            if leaf.record_id == wanted and leaf.store == store:
                return index, leaf
        return None

    def proof_for(self, index: int) -> list[str]:
        return [node.hex() for node in inclusion_proof([leaf.hash for leaf in self.leaves], index)]


def open_checkpoint(document: dict[str, Any], trusted: Ed25519PublicKey | None = None) -> Checkpoint:
    """Checks the signature (against the document's own public key, and `trusted` if given), that the key id
    matches the key, and that the leaves make the signed root. Raises CheckpointInvalid naming the problem."""
    try:
        if document.get("format") not in (FORMAT, FORMAT_V1) or document.get("algorithm") != ALGORITHM:
            raise CheckpointInvalid(f"not a {FORMAT} (or {FORMAT_V1}) document signed with {ALGORITHM}")
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(document["public_key"], validate=True))
        signature = base64.b64decode(document["signature"], validate=True)
        leaves = [_leaf(item, document["format"]) for item in document["leaves"]]
        position = int(document["position"])
        record_count = int(document["record_count"])
        audit_count = int(document.get("audit_stream_count", 0))
        root = str(document["root"])
    except CheckpointInvalid:
        raise
    except (KeyError, TypeError, ValueError) as error:
        raise CheckpointInvalid(f"the checkpoint is malformed ({type(error).__name__}: {error})") from None
    if trusted is not None and public_key_bytes(trusted) != public_key_bytes(public):
        raise CheckpointInvalid(f"signed by key {key_id(public)}, not by the trusted key {key_id(trusted)}")
    if document.get("key_id") != key_id(public):
        raise CheckpointInvalid("the key id does not match the public key")
    try:
        public.verify(signature, _signed_bytes(document))
    except InvalidSignature:
        raise CheckpointInvalid("the signature does not verify: the checkpoint was altered") from None
    if leaves != sorted_leaves(leaves) or len({_order(leaf) for leaf in leaves}) != len(leaves):
        raise CheckpointInvalid("the leaves are not in record id order, or a record appears twice")
    audit_leaves = sum(1 for leaf in leaves if leaf.store == ACCESS_AUDIT)
    if (len(leaves) - audit_leaves, audit_leaves) != (record_count, audit_count) or position < 0:
        raise CheckpointInvalid("the record count does not match the leaves")
    if merkle_root([leaf.hash for leaf in leaves]).hex() != root:
        raise CheckpointInvalid("the leaves do not make the signed root: a leaf was altered")
    return Checkpoint(document, leaves, public)


def _leaf(item: dict[str, Any], format: str) -> Leaf:
    store = CARE_RECORD if format == FORMAT_V1 else str(item["store"])
    if store not in (CARE_RECORD, ACCESS_AUDIT):
        raise ValueError(f"unknown store {store!r}")
    return Leaf(str(UUID(item["record_id"])), int(item["version"]), str(item["chain_hash"]), store)


def load_public_key(data: bytes) -> Ed25519PublicKey:
    """A PEM public key, or the base64 of the raw 32 bytes (the form a checkpoint carries)."""
    text = data.strip()
    if text.startswith(b"-----BEGIN"):
        loaded = serialization.load_pem_public_key(text)
        if not isinstance(loaded, Ed25519PublicKey):
            raise ValueError("not an Ed25519 public key")
        return loaded
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))


def public_key_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
