"""The wire format on Kafka: CloudEvents 1.0 in binary content mode (the `cloudevents` SDK's Kafka binding).

- `type`: `uk.nhs.carerecord.<EventType>.v<version>` (stable name and schema version, never a Python path)
- `source`: the region; `subject` and the message key: the person's record id (one person, one partition)
- `id`: the event id, so consumers can de-duplicate; `time`: when it was recorded
- `dataschema`: the JSON Schema of that type and version; `data`: the payload exactly as stored
- header `carerecord_position`: the event's gap-free position in the store
A provider's feed also carries `PlansInForce` (see `plans_in_force_message`): not a stored event, since nothing
happened to the record, but the plans in force sent to an organisation when it starts caring for the person.
No NHS number or other personal data is put in keys or headers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid5

from cloudevents.core.bindings.kafka import KafkaMessage, from_binary_event, to_binary_event
from cloudevents.core.v1.event import CloudEvent

from carerecord_services.event_log import LoggedEvent

TYPE_PREFIX = "uk.nhs.carerecord."
POSITION_HEADER = "carerecord_position"
SCHEMA_BASE = "https://carerecord.example.nhs.uk/schemas/"
PLANS_IN_FORCE = "PlansInForce"
PLANS_IN_FORCE_VERSION = 2
MESSAGE_SCHEMAS = Path(__file__).resolve().parent / "schemas"
"""The schemas of the feed messages that are not stored events (the events' own are in events/)."""


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


def to_message(event: WireEvent, source: str) -> KafkaMessage:
    cloud_event = CloudEvent(
        attributes={
            "id": str(event.event_id),
            "source": source,
            "type": f"{TYPE_PREFIX}{event.type_name}.v{event.schema_version}",
            "subject": str(event.record_id),
            "time": event.recorded_at,
            "datacontenttype": "application/json",
            "dataschema": f"{SCHEMA_BASE}{event.type_name}.v{event.schema_version}.schema.json",
            "partitionkey": str(event.record_id),
            "carerecordversion": event.version,
        },
        data=event.payload,
    )
    return _at_position(to_binary_event(cloud_event), event.position)


def _at_position(message: KafkaMessage, position: int) -> KafkaMessage:
    """The message as it goes on Kafka: its store position in a header, its key (the record id) as bytes."""
    headers = dict(message.headers)
    headers[POSITION_HEADER] = str(position).encode()
    key = message.key.encode() if isinstance(message.key, str) else message.key
    return KafkaMessage(headers=headers, key=key, value=message.value)


def from_message(
    headers: list[tuple[str, bytes]] | dict[str, bytes], key: bytes | None, value: bytes
) -> WireEvent:
    header_map = dict(headers)
    cloud_event = from_binary_event(KafkaMessage(headers=header_map, key=key, value=value))
    event_type = cloud_event.get_type()
    if not event_type.startswith(TYPE_PREFIX):
        raise ValueError(f"not a carerecord event: {event_type}")
    name, _, version = event_type[len(TYPE_PREFIX) :].rpartition(".v")
    data = cloud_event.get_data()
    assert isinstance(data, dict)
    time = cloud_event.get_time()
    assert time is not None
    return WireEvent(
        position=int(header_map[POSITION_HEADER]),
        record_id=UUID(str(cloud_event.get_subject())),
        version=int(cloud_event.get_extension("carerecordversion")),
        type_name=name,
        schema_version=int(version),
        event_id=UUID(cloud_event.get_id()),
        recorded_at=time,
        payload=data,
    )


def plans_in_force_message(
    started: WireEvent, source: str, plans: list[dict[str, Any]], conflicts: list[dict[str, Any]]
) -> tuple[KafkaMessage, UUID]:
    """The plans in force when an organisation started caring for the person (`started`, its
    CareRelationshipStarted), at that version of the record, so that the receiving system can file them, with why
    they conflict (`conflicts`, empty when they do not: the current plan's `plan_conflicts`). Its id
    follows from the relationship's event, so a copy sent again is the same message."""
    message_id = uuid5(started.event_id, PLANS_IN_FORCE)
    cloud_event = CloudEvent(
        attributes={
            "id": str(message_id),
            "source": source,
            "type": f"{TYPE_PREFIX}{PLANS_IN_FORCE}.v{PLANS_IN_FORCE_VERSION}",
            "subject": str(started.record_id),
            "time": started.recorded_at,
            "datacontenttype": "application/json",
            "dataschema": f"{SCHEMA_BASE}{PLANS_IN_FORCE}.v{PLANS_IN_FORCE_VERSION}.schema.json",
            "partitionkey": str(started.record_id),
            "carerecordversion": started.version,
        },
        data={
            "record_id": str(started.record_id),
            "version": started.version,
            "organisation": started.payload["organisation"],
            "relationship_started_event_id": str(started.event_id),
            "plans": plans,
            "plan_conflicts": conflicts,
        },
    )
    return _at_position(to_binary_event(cloud_event), started.position), message_id
