"""The wire format's keys and the schemas its messages name (no broker needed: the e2e feed tests use one)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from uuid import uuid4

from carerecord_messaging.wire import WireEvent, feed_message, from_message, published_schema, to_message

BASE = "https://record.example.nhs.uk/schemas/"


def _wire(type_name: str, payload: dict[str, object], version: int = 1) -> WireEvent:
    return WireEvent(7, uuid4(), 1, type_name, version, uuid4(), datetime.now(UTC), payload)


def test_the_nhs_number_index_is_keyed_by_the_person_not_by_its_own_stream() -> None:
    person = uuid4()
    indexed = _wire("NhsNumberIndexed", {"person_record_id": str(person)})
    message = to_message(indexed, "/carerecord/regions/test", BASE)
    assert message.key == str(person).encode() and message.headers["ce_partitionkey"] == str(person).encode()
    assert str(indexed.record_id).encode() not in (message.key or b"")


def test_a_feed_message_carries_the_nhs_number_beside_the_payload_and_names_the_feed_schema() -> None:
    wire = _wire("ConversationRecorded", {"what_matters": "her garden"})
    message = feed_message(wire, "/carerecord/regions/test", "9434765919", BASE)
    assert json.loads(message.value) == {
        "nhs_number": "9434765919",
        "payload": {"what_matters": "her garden"},
    }
    assert b"9434765919" not in b"".join(message.headers.values()) + (message.key or b"")
    assert message.headers["ce_dataschema"] == f"{BASE}feed/ConversationRecorded.v1.schema.json".encode()
    region = to_message(wire, "/carerecord/regions/test", BASE)
    assert from_message(region.headers, region.key, region.value).payload == wire.payload


def test_the_schemas_are_published_under_the_base_each_feed_schema_referring_to_the_payloads() -> None:
    event = published_schema("ConversationRecorded.v1.schema.json", BASE)
    assert event is not None and event["$id"] == f"{BASE}ConversationRecorded.v1.schema.json"
    feed = published_schema("feed/PlansInForce.v1.schema.json", BASE)
    assert feed is not None and feed["properties"]["payload"] == {"$ref": "../PlansInForce.v1.schema.json"}
    for unknown in ("NoSuch.v1.schema.json", "../pyproject.toml", "feed/feed/X.v1.schema.json", "x"):
        assert published_schema(unknown, BASE) is None
