"""The whole catalogue, loaded: every event type by its stable name."""

from __future__ import annotations

from carerecord_events import access, assurance, conversations, corrections, people, plans
from carerecord_events.base import CATALOGUE, CareRecordEvent

MODULES = (people, conversations, plans, corrections, assurance, access)


def event_class(type_name: str) -> type[CareRecordEvent] | None:
    return CATALOGUE.get(type_name)


def all_event_types() -> list[type[CareRecordEvent]]:
    return list(CATALOGUE.values())
