"""How a batch of events changes the current plan: each person's record state is read once from the
projector's tracking table, evolved by the one `evolve` event by event, and written back once with the document
selected from it."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import psycopg2.extras

from carerecord_events.base import CareRecordEvent
from carerecord_events.codec import decode, encode
from carerecord_events.people import PersonRegistered
from carerecord_events.record.evolve import evolve
from carerecord_events.record.state import PersonRecord
from carerecord_projections.current_plan.document import document_of

INSERT = """INSERT INTO current_plan (record_id, nhs_number, given_name, family_name, date_of_birth,
    postcode, died, version, position, document) VALUES %s"""
UPDATE = """UPDATE current_plan AS p SET document = v.document::jsonb, version = v.version::integer,
    position = v.position::bigint, died = v.died::boolean
    FROM (VALUES %s) AS v (record_id, document, version, position, died) WHERE p.record_id = v.record_id::uuid"""


class StaleTracking(Exception):
    """A record was projected before the projector kept its state: the read models must be rebuilt."""


def records_without_state(cursor: Any) -> int:
    """How many people the read models hold whose state was not kept (projected by an earlier version)."""
    cursor.execute("SELECT count(*) FROM projected_records WHERE state IS NULL")
    count: int = cursor.fetchone()[0]
    return count


class CurrentPlans:
    """The record states of one batch's people, and the people registered in it."""

    def __init__(self) -> None:
        self.states: dict[UUID, PersonRecord] = {}
        self.registered: dict[UUID, PersonRegistered] = {}

    def load(self, rows: list[tuple[UUID, int, Any]]) -> None:
        """`rows`: the projector's tracking rows (record, version, state) for the batch's known records."""
        for record_id, _, state in rows:
            if state is None:
                raise StaleTracking(f"record {record_id} has no projected state: rebuild the read models")
            self.states[record_id] = decode(PersonRecord, state)

    def state(self, record_id: UUID) -> PersonRecord:
        return self.states.get(record_id) or PersonRecord(record_id=record_id)

    def apply(self, event: CareRecordEvent) -> None:
        self.states[event.record_id] = evolve(self.state(event.record_id), event)
        if isinstance(event, PersonRegistered):
            self.registered[event.record_id] = event

    def encoded(self, record_id: UUID) -> str:
        return json.dumps(encode(self.states[record_id]))

    def flush(self, cursor: Any, touched: dict[UUID, tuple[int, int]]) -> None:
        """Writes the document of every person the batch touched, at the version and position it reached."""
        new, changed = [], []
        for record_id, (version, position) in touched.items():
            state = self.states[record_id]
            document = json.dumps(document_of(state))
            if record_id in self.registered:
                new.append((*_person(self.registered[record_id]), state.died, version, position, document))
            else:
                changed.append((record_id, document, version, position, state.died))
        if new:
            psycopg2.extras.execute_values(cursor, INSERT, new)
        if changed:
            psycopg2.extras.execute_values(cursor, UPDATE, changed)


def _person(event: PersonRegistered) -> tuple[Any, ...]:
    return (
        event.record_id,
        event.nhs_number,
        event.given_name,
        event.family_name,
        event.date_of_birth,
        event.postcode,
    )
