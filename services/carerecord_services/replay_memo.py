"""Replayed states of recent records, kept so that a record is replayed from its nearest kept state."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from uuid import UUID

from carerecord_events.base import CareRecordEvent
from carerecord_events.record.evolve import evolve
from carerecord_events.record.state import PersonRecord


class ReplayMemo:
    """Replayed states of recent records, kept every `every` versions, so that the record as it stood at any
    version is replayed from the nearest earlier state instead of from the start. States are immutable and a
    record's history only grows, so a kept state stays true. Only for prefixes of a record's history (the
    record as it stood after its first N events), never for a selection of its events."""

    def __init__(self, every: int = 100, max_records: int = 2000) -> None:
        self._every = every
        self._max_records = max_records
        self._states: OrderedDict[UUID, dict[int, PersonRecord]] = OrderedDict()
        self._lock = threading.Lock()

    def replay(self, record_id: UUID, events: Sequence[CareRecordEvent]) -> PersonRecord:
        with self._lock:
            kept = self._states.setdefault(record_id, {})
            self._states.move_to_end(record_id)
            while len(self._states) > self._max_records:
                self._states.popitem(last=False)
            start = max((version for version in kept if version <= len(events)), default=0)
            record = kept[start] if start else PersonRecord(record_id=record_id)
        made: dict[int, PersonRecord] = {}
        for version in range(start, len(events)):
            record = evolve(record, events[version])
            if (version + 1) % self._every == 0:
                made[version + 1] = record
        if made:
            with self._lock:
                self._states.setdefault(record_id, {}).update(made)
        return record
