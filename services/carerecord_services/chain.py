"""The hash chain: every stored event is chained to the previous event of the same record.

What the hash covers, exactly: SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8) of

    {"record": <record id>, "version": <version>, "type": <topic column>, "payload": <payload as written>,
     "previous": <hash of the previous event of this record, or 64 zeros for the first>}

The payload is the JSON written at the time, before any upcasting, and the hash is taken before encryption.
So the chain survives upcasting (verification reads stored payloads, not upcast ones) and encryption (it is
checked on the decrypted text), and it catches an edit to any stored column: id, version, type or payload. A
payload that no longer decrypts counts as a break.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from uuid import UUID

GENESIS = "0" * 64

# The two stores whose chains verify and checkpoints cover: people's clinical histories, and the access audit.
CARE_RECORD = "care-record"
ACCESS_AUDIT = "access-audit"


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(record_id: UUID, version: int, topic: str, payload: dict[str, Any], previous: str) -> str:
    material = {
        "record": str(record_id),
        "version": version,
        "type": topic,
        "payload": payload,
        "previous": previous,
    }
    return hashlib.sha256(canonical_json(material)).hexdigest()


def encoded_hash(record_id: UUID, version: int, topic: str, payload_json: bytes, previous: str) -> str:
    """`event_hash`, given the payload already as canonical JSON (`canonical_json(payload)`): the very bytes
    `event_hash` hashes, made without encoding the payload again (the keys in their sorted order)."""
    material = b"".join(
        (
            b'{"payload":',
            payload_json,
            b',"previous":',
            canonical_json(previous),
            b',"record":',
            canonical_json(str(record_id)),
            b',"type":',
            canonical_json(topic),
            b',"version":',
            canonical_json(version),
            b"}",
        )
    )
    return hashlib.sha256(material).hexdigest()


def envelope_json(payload_json: bytes, previous: str, digest: str) -> bytes:
    """`canonical_json({"payload": ..., "previous": ..., "hash": ...})`, given the payload as canonical JSON."""
    return b"".join(
        (
            b'{"hash":',
            canonical_json(digest),
            b',"payload":',
            payload_json,
            b',"previous":',
            canonical_json(previous),
            b"}",
        )
    )
