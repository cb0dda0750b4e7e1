"""One batch of projection work, inside the caller's transaction: the records' versions and states, read
once for the batch, and the inserts every read model buffers."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg2.extras

from carerecord_events.record.state import PersonRecord
from carerecord_projections.current_plan.projection import CurrentPlans


class Batch:
    """Inserts are buffered and record states are held in memory;
    any other statement first flushes the buffers, so statements still run in event order."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor
        self.versions: dict[UUID, int] = {}
        self.plans = CurrentPlans()
        self.touched: dict[UUID, tuple[int, int]] = {}
        self._buffers: dict[str, list[tuple[Any, ...]]] = {}

    def execute(self, statement: str, parameters: Any = None) -> None:
        self.flush_inserts()
        self.cursor.execute(statement, parameters)

    def insert(self, statement: str, row: tuple[Any, ...]) -> None:
        """Buffers a row for `statement`, an INSERT ... VALUES %s."""
        self._buffers.setdefault(statement, []).append(row)

    def load(self, record_ids: set[UUID]) -> None:
        if not record_ids:
            return
        self.cursor.execute(
            "SELECT record_id, version, state FROM projected_records WHERE record_id = ANY(%s) FOR UPDATE",
            (list(record_ids),),
        )
        rows = self.cursor.fetchall()
        self.versions.update({record_id: version for record_id, version, _ in rows})
        self.plans.load(rows)

    def state(self, record_id: UUID) -> PersonRecord:
        """The record as it stood before the event being applied."""
        return self.plans.state(record_id)

    def flush_inserts(self) -> None:
        for statement, rows in self._buffers.items():
            psycopg2.extras.execute_values(self.cursor, statement, rows)
        self._buffers = {}

    def flush(self) -> None:
        self.flush_inserts()
        self.plans.flush(self.cursor, self.touched)
        rows = [
            (record_id, version, self.plans.encoded(record_id))
            for record_id, (version, _) in self.touched.items()
        ]
        if rows:
            psycopg2.extras.execute_values(
                self.cursor,
                """INSERT INTO projected_records (record_id, version, state) VALUES %s
                   ON CONFLICT (record_id) DO UPDATE SET version = EXCLUDED.version, state = EXCLUDED.state""",
                rows,
            )
