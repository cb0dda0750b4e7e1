"""Writing events straight into the store, past every door: what an older carerecord (or a bug) left there."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from carerecord_events.base import CareRecordEvent
from carerecord_services.chain import event_hash
from carerecord_services.store import ChainedEvent, EventStore


def append_stored(store: EventStore, record_id: UUID, topic: str, payload: dict[str, Any]) -> int:
    """Chains one payload, of any type and schema version ("CapacityAssessed/v1"), onto a record as it is
    stored. Returns the record's new version."""
    loaded = store.load(record_id)
    version = loaded.version + 1
    digest = event_hash(record_id, version, topic, payload, loaded.head_hash)
    envelope = ChainedEvent(record_id, version, topic, payload, loaded.head_hash, digest)
    store.insert([store.mapper.to_stored_event(envelope)])
    return version


def append_events(store: EventStore, record_id: UUID, events: list[CareRecordEvent]) -> None:
    """Events decided elsewhere (under other rules), appended as they are."""
    store.insert(store.chain(store.load(record_id), events))
