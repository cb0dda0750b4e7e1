"""The payload is encoded once for the hash and the envelope: the bytes are those of the one definition."""

from __future__ import annotations

import hashlib
import json
from typing import Any
from uuid import uuid4

import pytest

from carerecord_services.chain import GENESIS, canonical_json, encoded_hash, envelope_json, event_hash

PAYLOADS: list[dict[str, Any]] = [
    {},
    {"reasoning": "Ménière’s disease; ‘do not attempt’ – 日本語 \U0001f600", "n": 3, "x": None},
    {"z": [1, 2.5, {"b": True, "a": '\\"quoted"\n\t\x01'}], "a": {"nested": {"y": [], "x": {}}}},
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_hash_of_an_encoded_payload_is_the_chains_hash(payload: dict[str, Any]) -> None:
    record_id, previous = uuid4(), hashlib.sha256(b"previous").hexdigest()
    for version, before in ((1, GENESIS), (7, previous)):
        expected = event_hash(record_id, version, "PlanRecorded/v2", payload, before)
        assert (
            encoded_hash(record_id, version, "PlanRecorded/v2", canonical_json(payload), before) == expected
        )


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_envelope_is_the_canonical_json_of_payload_previous_and_hash(payload: dict[str, Any]) -> None:
    digest = hashlib.sha256(b"x").hexdigest()
    made = envelope_json(canonical_json(payload), GENESIS, digest)
    assert made == canonical_json({"payload": payload, "previous": GENESIS, "hash": digest})
    assert json.loads(made)["payload"] == payload
