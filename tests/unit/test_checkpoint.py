"""Signed checkpoints, pure: the Merkle tree (RFC 6962), inclusion proofs, and what a verifier refuses."""

from __future__ import annotations

import copy
import hashlib
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from carerecord_services.chain import ACCESS_AUDIT, CARE_RECORD, canonical_json
from carerecord_services.checkpoint import (
    FORMAT,
    CheckpointInvalid,
    Leaf,
    inclusion_proof,
    load_public_key,
    merkle_root,
    open_checkpoint,
    public_key_pem,
    sign_checkpoint,
    verify_inclusion,
)

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _leaves(count: int) -> list[Leaf]:
    return [Leaf(str(uuid4()), n + 1, hashlib.sha256(str(n).encode()).hexdigest()) for n in range(count)]


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def test_the_root_is_rfc_6962_for_small_trees() -> None:
    a, b, c = (hashlib.sha256(bytes([n])).digest() for n in range(3))
    assert merkle_root([]) == hashlib.sha256(b"").digest()
    assert merkle_root([a]) == a
    assert merkle_root([a, b]) == _node(a, b)
    assert merkle_root([a, b, c]) == _node(_node(a, b), c)


@given(st.integers(min_value=1, max_value=70), st.data())
def test_every_leaf_has_an_inclusion_proof_that_leads_to_the_root(size: int, data: st.DataObject) -> None:
    hashes = [hashlib.sha256(n.to_bytes(4, "big")).digest() for n in range(size)]
    root = merkle_root(hashes)
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    proof = inclusion_proof(hashes, index)
    assert verify_inclusion(hashes[index], index, size, proof, root)
    other = (index + 1) % size
    if other != index:
        assert not verify_inclusion(hashes[other], index, size, proof, root)
    assert not verify_inclusion(hashes[index], index, size, proof, hashlib.sha256(b"another root").digest())


def test_a_signed_checkpoint_opens_and_proves_each_record() -> None:
    key = Ed25519PrivateKey.generate()
    document = sign_checkpoint(key, _leaves(5), position=42, created_at=NOW)
    opened = open_checkpoint(document, trusted=key.public_key())
    assert opened.position == 42
    assert [leaf.record_id for leaf in opened.leaves] == sorted(leaf.record_id for leaf in opened.leaves)
    for index, leaf in enumerate(opened.leaves):
        assert opened.leaf_for(leaf.record_id) == (index, leaf)
        proof = [bytes.fromhex(node) for node in opened.proof_for(index)]
        assert verify_inclusion(leaf.hash, index, 5, proof, bytes.fromhex(opened.root))


def _tampered(document: dict[str, Any], change: str) -> dict[str, Any]:
    altered = copy.deepcopy(document)
    if change == "position":
        altered["position"] += 1
    elif change == "leaf":
        altered["leaves"][0]["version"] += 1
    elif change == "dropped leaf":
        altered["leaves"].pop()
    elif change == "signature":
        altered["signature"] = altered["signature"][:-4] + (
            "AAA=" if altered["signature"][-4:] != "AAA=" else "BBB="
        )
    elif change == "re-signed by another key":
        altered = sign_checkpoint(
            Ed25519PrivateKey.generate(),
            [Leaf(item["record_id"], item["version"], item["chain_hash"]) for item in document["leaves"]],
            position=document["position"],
            created_at=NOW,
        )
    return altered


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("position", "signature does not verify"),
        ("leaf", "leaves do not make the signed root"),
        ("dropped leaf", "record count"),
        ("signature", "signature does not verify"),
        ("re-signed by another key", "not by the trusted key"),
    ],
)
def test_an_altered_checkpoint_is_refused(change: str, message: str) -> None:
    key = Ed25519PrivateKey.generate()
    document = sign_checkpoint(key, _leaves(4), position=9, created_at=NOW)
    with pytest.raises(CheckpointInvalid, match=message):
        open_checkpoint(_tampered(document, change), trusted=key.public_key())


def test_a_public_key_reads_as_pem_or_as_the_checkpoints_base64() -> None:
    key = Ed25519PrivateKey.generate()
    document = sign_checkpoint(key, _leaves(1), position=1, created_at=NOW)
    from_pem = load_public_key(public_key_pem(key.public_key()).encode())
    from_document = load_public_key(document["public_key"].encode())
    assert (
        open_checkpoint(document, trusted=from_pem).key_id
        == open_checkpoint(document, trusted=from_document).key_id
    )


def test_an_audit_streams_leaf_never_hashes_as_a_records_and_a_records_hashes_as_in_version_1() -> None:
    chain = hashlib.sha256(b"head").hexdigest()
    record = Leaf(str(uuid4()), 3, chain)
    audit = Leaf(record.record_id, 3, chain, ACCESS_AUDIT)
    version_1 = {"record": record.record_id, "version": 3, "chain": chain}
    assert record.hash == hashlib.sha256(b"\x00" + canonical_json(version_1)).digest()
    assert audit.hash != record.hash


def test_a_checkpoint_covers_both_stores_and_their_positions_are_signed() -> None:
    key = Ed25519PrivateKey.generate()
    streams = [Leaf(str(uuid4()), 2, hashlib.sha256(b"a").hexdigest(), ACCESS_AUDIT)]
    document = sign_checkpoint(key, streams + _leaves(3), position=42, created_at=NOW, audit_position=7)
    opened = open_checkpoint(document, trusted=key.public_key())
    assert (opened.format, opened.covers_audit, opened.audit_position) == (FORMAT, True, 7)
    assert [leaf.store for leaf in opened.leaves] == [CARE_RECORD] * 3 + [ACCESS_AUDIT]
    assert opened.leaf_for(streams[0].record_id, ACCESS_AUDIT) == (3, streams[0])
    assert opened.leaf_for(streams[0].record_id) is None
    altered = copy.deepcopy(document)
    altered["audit_position"] = 6
    with pytest.raises(CheckpointInvalid, match="signature does not verify"):
        open_checkpoint(altered)
    relabelled = copy.deepcopy(document)
    relabelled["leaves"][3]["store"] = CARE_RECORD  # an audit leaf passed off as a record's
    with pytest.raises(CheckpointInvalid):
        open_checkpoint(relabelled)
