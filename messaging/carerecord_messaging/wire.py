"""The wire format on Kafka: CloudEvents 1.0 in binary content mode (written by the `cloudevents` SDK's Kafka binding,
read by `from_message` from the headers directly).

- `type`: `uk.nhs.carerecord.<EventType>.v<version>` (stable name and schema version, never a Python path)
- `source`: the region; `subject` and the message key: the person's record id (one person, one partition)
- `id`: the event id, so consumers can de-duplicate; `time`: when it was recorded
- `dataschema`: the JSON Schema of that type and version, under the schema base URL (the setting
  `CARERECORD_SCHEMA_BASE_URL`; the API serves them at `/schemas/`, see `published_schema`)
- `data`: on the region's topic, the payload exactly as stored
- header `carerecord_position`: the event's position in the store: unique, increasing in the order the relay
  publishes (a later message of a partition has a higher one), and it can skip numbers (a transaction that
  did not commit took them); every event below a position published is already published (see
  postgres_recorder)
Events outside a person's record (the NHS number index, the idempotency streams) are keyed by the person they
concern, never by their own stream's id: the index stream's id is derived from the NHS number.

A provider's feed carries each event with the person's NHS number beside the stored payload (`feed_message`:
`data` is `{"nhs_number": ..., "payload": ...}`, its `dataschema` the feed schema under `feed/`), so that the
provider can match it to its patient. It also carries `PlansInForce` (see `plans_in_force_message`): not a
stored event, since nothing happened to the record, but the plans in force sent to an organisation when it
starts caring for the person, or is granted a region's plans (urgent and emergency care).
No NHS number or other personal data is ever put in keys or headers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid5

from cloudevents.core.bindings.kafka import KafkaMessage, to_binary_event
from cloudevents.core.v1.event import CloudEvent

from carerecord_events.jsonschema import SCHEMA_FOLDER
from carerecord_services.event_log import LoggedEvent

TYPE_PREFIX = "uk.nhs.carerecord."
POSITION_HEADER = "carerecord_position"
SCHEMA_BASE = "http://127.0.0.1:8000/schemas/"  # CARERECORD_SCHEMA_BASE_URL's default: the local API
FEED_SCHEMAS = "feed/"
PLANS_IN_FORCE = "PlansInForce"
PLANS_IN_FORCE_VERSION = 2
MESSAGE_SCHEMAS = Path(__file__).resolve().parent / "schemas"
"""The schemas of the feed messages that are not stored events (the events' own are in events/)."""
OUTSIDE_RECORDS = frozenset({"NhsNumberIndexed", "RequestRecorded"})
"""Events kept in streams of their own rather than the person's record; each names the person it concerns."""
_SCHEMA_NAME = re.compile(
    r"(?P<feed>feed/)?(?P<type>[A-Za-z]{1,64})\.v(?P<version>[1-9][0-9]{0,2})\.schema\.json"
)


@dataclass(frozen=True)
class WireEvent:
    position: int
    record_id: UUID
    version: int
    type_name: str
    schema_version: int
    event_id: UUID
    recorded_at: datetime
    payload: dict[str, Any]


def from_logged(logged: LoggedEvent) -> WireEvent:
    """An event as the store's log gives it; its id and time of recording are in its payload."""
    stored, payload = logged.stored, logged.stored.payload
    return WireEvent(
        logged.position,
        stored.originator_id,
        stored.originator_version,
        stored.type_name,
        stored.schema_version,
        UUID(payload["event_id"]),
        datetime.fromisoformat(payload["recorded_at"]),
        payload,
    )


def schema_name(type_name: str, version: int) -> str:
    return f"{type_name}.v{version}.schema.json"


def person_key(event: WireEvent) -> UUID:
    """The person an event concerns: its record, or the record named by an event outside records."""
    if event.type_name in OUTSIDE_RECORDS:
        return UUID(str(event.payload["person_record_id"]))
    return event.record_id


def to_message(event: WireEvent, source: str, schema_base: str = SCHEMA_BASE) -> KafkaMessage:
    """The event as it goes on the region's topic: its payload exactly as stored."""
    schema = schema_base + schema_name(event.type_name, event.schema_version)
    return _at_position(to_binary_event(_cloud_event(event, source, schema, event.payload)), event.position)


def feed_message(
    event: WireEvent, source: str, nhs_number: str, schema_base: str = SCHEMA_BASE
) -> KafkaMessage:
    """The event as it goes on a provider's feed: the person's NHS number beside the payload as stored, in the
    data (never in the key or the headers), so that the provider can match it to its patient."""
    schema = schema_base + FEED_SCHEMAS + schema_name(event.type_name, event.schema_version)
    data = {"nhs_number": nhs_number, "payload": event.payload}
    return _at_position(to_binary_event(_cloud_event(event, source, schema, data)), event.position)


def _cloud_event(event: WireEvent, source: str, schema: str, data: dict[str, Any]) -> CloudEvent:
    return CloudEvent(
        attributes={
            "id": str(event.event_id),
            "source": source,
            "type": f"{TYPE_PREFIX}{event.type_name}.v{event.schema_version}",
            "subject": str(event.record_id),
            "time": event.recorded_at,
            "datacontenttype": "application/json",
            "dataschema": schema,
            "partitionkey": str(person_key(event)),
            "carerecordversion": event.version,
        },
        data=data,
    )


def _at_position(message: KafkaMessage, position: int) -> KafkaMessage:
    """The message as it goes on Kafka: its store position in a header, its key (the person's record id)."""
    headers = dict(message.headers)
    headers[POSITION_HEADER] = str(position).encode()
    key = message.key.encode() if isinstance(message.key, str) else message.key
    return KafkaMessage(headers=headers, key=key, value=message.value)


def feed_payload(data: dict[str, Any]) -> dict[str, Any]:
    """The stored payload in a feed message's data (beside the NHS number)."""
    payload = data["payload"]
    assert isinstance(payload, dict)
    return payload


class NotOurWireFormat(ValueError):
    """A message on the region's topic that is not a carerecord event in this wire format (named by what is
    wrong with it, never by its content)."""


def from_message(
    headers: list[tuple[str, bytes]] | dict[str, bytes], key: bytes | None, value: bytes
) -> WireEvent:
    """The event a message carries, decoded from its `ce_*` headers directly (not through the SDK: it was a
    sixth of a rebuild's apply pass, dateutil's time parsing most of it), with the checks the wire format
    promises: CloudEvents 1.0, every attribute we send present and well formed (the SDK's own checks: id,
    source, type and subject not empty, time an RFC 3339 instant with its offset, extension names of lowercase
    letters and digits), JSON data that is an object, and the store position in its header."""
    found = _headers(headers)
    if found.get("ce_specversion") != "1.0":
        raise NotOurWireFormat(f"specversion {found.get('ce_specversion')!r}: not CloudEvents 1.0")
    type_name, schema_version = _event_type(_required(found, "ce_type"))
    if found.get("content-type") != "application/json":
        raise NotOurWireFormat(f"datacontenttype {found.get('content-type')!r}: not application/json")
    if not _required(found, "ce_source"):
        raise NotOurWireFormat("source is empty")
    try:
        data = json.loads(value)
    except ValueError:
        raise NotOurWireFormat("data is not JSON") from None
    if not isinstance(data, dict):
        raise NotOurWireFormat("data is not a JSON object")
    return WireEvent(
        position=_number(found, POSITION_HEADER),
        record_id=_uuid(found, "ce_subject"),
        version=_number(found, "ce_carerecordversion"),
        type_name=type_name,
        schema_version=schema_version,
        event_id=_uuid(found, "ce_id"),
        recorded_at=_time(_required(found, "ce_time")),
        payload=data,
    )


_EXTENSION_HEADER = re.compile(r"ce_[a-z0-9]+")
_NUMBER = re.compile(r"[0-9]{1,18}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})"
)
_TYPE = re.compile(re.escape(TYPE_PREFIX) + r"(?P<name>[A-Za-z]{1,64})\.v(?P<version>[1-9][0-9]{0,2})")


def _headers(headers: list[tuple[str, bytes]] | dict[str, bytes]) -> dict[str, str]:
    """The headers by lowercase name, as text; a CloudEvents attribute named other than the spec allows, or a
    header that is not UTF-8, is refused (as the SDK refused them)."""
    found: dict[str, str] = {}
    for name, raw in headers.items() if isinstance(headers, dict) else headers:
        name = name.lower()
        if name.startswith("ce_") and _EXTENSION_HEADER.fullmatch(name) is None:
            raise NotOurWireFormat(f"header {name!r}: not a CloudEvents attribute name")
        try:
            found[name] = raw.decode()
        except (UnicodeDecodeError, AttributeError):
            raise NotOurWireFormat(f"header {name!r}: not UTF-8 text") from None
    return found


def _required(found: dict[str, str], name: str) -> str:
    text = found.get(name)
    if text is None:
        raise NotOurWireFormat(f"no {name} header")
    return text


def _event_type(text: str) -> tuple[str, int]:
    matched = _TYPE.fullmatch(text)
    if matched is None:
        raise NotOurWireFormat(f"not a carerecord event: {text}")
    return matched["name"], int(matched["version"])


def _number(found: dict[str, str], name: str) -> int:
    text = _required(found, name)
    if _NUMBER.fullmatch(text) is None:
        raise NotOurWireFormat(f"{name} {text!r}: not a number")
    return int(text)


def _uuid(found: dict[str, str], name: str) -> UUID:
    text = _required(found, name)
    if _UUID.fullmatch(text) is None:
        raise NotOurWireFormat(f"{name} {text!r}: not a record or event id")
    return UUID(text)


def _time(text: str) -> datetime:
    """An RFC 3339 instant: with its offset (Z or ±hh:mm), never a local time."""
    if _RFC3339.fullmatch(text) is None:
        raise NotOurWireFormat(f"time {text!r}: not an RFC 3339 instant")
    try:
        return datetime.fromisoformat(text)  # digits beyond the microsecond are dropped
    except ValueError:  # a month 13, an hour 24
        raise NotOurWireFormat(f"time {text!r}: not an RFC 3339 instant") from None


@dataclass(frozen=True)
class PlansAt:
    """Where a PlansInForce message stands: a record at a version, as the store stood at `position`, at `time`."""

    record_id: UUID
    version: int
    position: int
    time: datetime


def plans_in_force_message(
    started: WireEvent,
    source: str,
    plans: list[dict[str, Any]],
    conflicts: list[dict[str, Any]],
    nhs_number: str,
    schema_base: str = SCHEMA_BASE,
) -> tuple[KafkaMessage, UUID]:
    """The plans in force when an organisation started caring for the person (`started`, its
    CareRelationshipStarted), at that version of the record, so that the receiving system can file them, with
    why they conflict (`conflicts`, empty when they do not: the current plan's `plan_conflicts`) and the
    person's NHS number beside them as on every feed message. Its id follows from the relationship's event, so
    a copy sent again is the same message."""
    message_id = uuid5(started.event_id, PLANS_IN_FORCE)
    at = PlansAt(started.record_id, started.version, started.position, started.recorded_at)
    because = {"relationship_started_event_id": str(started.event_id)}
    organisation = str(started.payload["organisation"])
    message = _plans_in_force(
        message_id, at, organisation, because, (plans, conflicts), nhs_number, source, schema_base
    )
    return message, message_id


def shared_plans_message(
    grant_id: UUID,
    organisation: str,
    at: PlansAt,
    source: str,
    plans: list[dict[str, Any]],
    conflicts: list[dict[str, Any]],
    nhs_number: str,
    schema_base: str = SCHEMA_BASE,
) -> tuple[KafkaMessage, UUID]:
    """The plans in force on one person's record (and why they conflict) sent to an urgent and emergency care service under its grant
    of the region's plans (`grant_id`, the grant's access id). Its id follows from the grant and the version."""
    message_id = uuid5(grant_id, f"{at.record_id}/{at.version}")
    because = {"urgent_care_sharing_id": str(grant_id)}
    message = _plans_in_force(
        message_id, at, organisation, because, (plans, conflicts), nhs_number, source, schema_base
    )
    return message, message_id


def _plans_in_force(
    message_id: UUID,
    at: PlansAt,
    organisation: str,
    because: dict[str, str],
    plans_and_conflicts: tuple[list[dict[str, Any]], list[dict[str, Any]]],
    nhs_number: str,
    source: str,
    schema_base: str,
) -> KafkaMessage:
    plans, conflicts = plans_and_conflicts
    cloud_event = CloudEvent(
        attributes={
            "id": str(message_id),
            "source": source,
            "type": f"{TYPE_PREFIX}{PLANS_IN_FORCE}.v{PLANS_IN_FORCE_VERSION}",
            "subject": str(at.record_id),
            "time": at.time,
            "datacontenttype": "application/json",
            "dataschema": schema_base + FEED_SCHEMAS + schema_name(PLANS_IN_FORCE, PLANS_IN_FORCE_VERSION),
            "partitionkey": str(at.record_id),
            "carerecordversion": at.version,
        },
        data={
            "nhs_number": nhs_number,
            "payload": {
                "record_id": str(at.record_id),
                "version": at.version,
                "organisation": organisation,
                **because,
                "plans": plans,
                "plan_conflicts": conflicts,
            },
        },
    )
    return _at_position(to_binary_event(cloud_event), at.position)


def published_schema(name: str, schema_base: str = SCHEMA_BASE) -> dict[str, Any] | None:
    """The JSON Schema a message's `dataschema` names, by its name under the schema base URL (what the API
    serves at /schemas/{name}): a stored event's or a feed message's own (`PlansInForce`), or, under `feed/`,
    the feed's: the NHS number beside that payload. Its `$id` is where it is served. None for any other name."""
    found = _SCHEMA_NAME.fullmatch(name)
    if found is None:
        return None
    inner_name = schema_name(found["type"], int(found["version"]))
    inner_path = next(
        (
            folder / inner_name
            for folder in (SCHEMA_FOLDER, MESSAGE_SCHEMAS)
            if (folder / inner_name).is_file()
        ),
        None,
    )
    if inner_path is None:
        return None
    if not found["feed"]:
        inner: dict[str, Any] = json.loads(inner_path.read_text())
        return {**inner, "$id": schema_base + inner_name}
    return _feed_schema(found["type"], inner_name, schema_base)


def _feed_schema(type_name: str, inner_name: str, schema_base: str) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_base + FEED_SCHEMAS + inner_name,
        "title": f"{type_name} on a provider's feed",
        "description": "A message on an organisation's feed: the person's NHS number (so that the provider "
        "can match the message to its patient), beside the payload exactly as stored (or, for PlansInForce, "
        "as sent). The NHS number is never in the message's key or headers.",
        "type": "object",
        "properties": {
            "nhs_number": {"type": "string", "pattern": "^[0-9]{10}$"},
            "payload": {"$ref": f"../{inner_name}"},
        },
        "required": ["nhs_number", "payload"],
        "additionalProperties": False,
    }
