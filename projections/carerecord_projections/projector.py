"""Applies events to the read models, inside the caller's transaction (psycopg2 cursor).

Each event is applied at most once: a record's events carry consecutive versions, and an event whose version
is not newer than the last one applied for its record is a duplicate (a redelivery, a relay resend) and changes
nothing. A version further ahead than the next one means an event is missing: that stops the projection loudly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from carerecord_events.base import CareRecordEvent
from carerecord_events.codec import from_payload
from carerecord_events.people import NhsNumberIndexed, RequestRecorded
from carerecord_events.record.evolve import facts_with_meaning
from carerecord_projections.batch import Batch
from carerecord_projections.care_relationships import handlers as caring
from carerecord_projections.decision_facts import handlers as decisions
from carerecord_projections.person_timeline import handlers as timeline

# Each read model's handlers, in the order they run for an event. The current plan follows them: it is
# selected from the record's state, which the event changes after they have seen the state before it.
MODELS = (timeline.project, caring.project, decisions.project)


class ProjectionGap(Exception):
    """An event arrived whose predecessor on the same record was never applied."""


@dataclass(frozen=True)
class Positioned:
    """An event with its place in the store's notification log."""

    position: int
    event: CareRecordEvent


def decode(position: int, type_name: str, schema_version: int, payload: dict[str, Any]) -> Positioned:
    """Raises UnknownEventType for a type this carerecord does not know: a worker stops rather than skip it."""
    return Positioned(position, from_payload(type_name, schema_version, payload))


def apply(cursor: Any, version: int, item: Positioned) -> bool:
    """Applies one event unless it was applied before. Returns whether it changed the read models."""
    return apply_batch(cursor, [(version, item)]) == 1


def apply_batch(cursor: Any, items: list[tuple[int, Positioned]]) -> int:
    """Applies events in order inside the caller's transaction, with few round trips: versions and record
    states are read for the whole batch at once, each person's plan document is written once, timeline rows go
    in one insert. Returns how many events changed the read models."""
    batch = Batch(cursor)
    batch.load({item.event.record_id for _, item in items if not _outside_records(item.event)})
    applied = 0
    for version, item in items:
        event = item.event
        if _outside_records(event):
            continue  # index and idempotency streams are not a person's record; nothing reads them from here
        done = batch.versions.get(event.record_id, 0)
        if version <= done:
            continue
        if version != done + 1:
            raise ProjectionGap(f"record {event.record_id}: version {version} arrived after version {done}")
        _project(batch, version, item)
        applied += 1
    batch.flush()
    return applied


def _project(batch: Batch, version: int, item: Positioned) -> None:
    event = item.event
    if type(event) not in _KNOWN:
        raise TypeError(f"the projector has no rule for {event.TYPE}")
    timeline.add_row(batch, version, item.position, event)
    for project in MODELS:
        project(event, batch)  # each sees the record as it stood before the event
    batch.plans.apply(event)
    batch.versions[event.record_id] = version
    batch.touched[event.record_id] = (version, item.position)


def _outside_records(event: CareRecordEvent) -> bool:
    return isinstance(event, NhsNumberIndexed | RequestRecorded)


def _rules(dispatch: Any) -> set[type]:
    return {kind for kind in dispatch.registry if kind is not object}


# The event types some read model has a rule for (the record's state counts: the current plan is made from it).
# Any other type stops the projection loudly rather than be skipped.
_KNOWN = facts_with_meaning().union(*(_rules(project) for project in MODELS))
