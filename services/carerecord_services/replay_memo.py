"""Replayed states of recent records, kept so that a record is replayed from its nearest kept state."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from uuid import UUID

from carerecord_events.base import CareRecordEvent
from carerecord_events.codec import UPCASTERS
from carerecord_events.record.evolve import FOLD_VERSION, evolve
from carerecord_events.record.state import PersonRecord


def fold_key(fold_version: int = FOLD_VERSION, upcasters: Iterable[tuple[str, int]] = UPCASTERS) -> str:
    """What made a kept state: the fold's own version and the upcasters the events went through. A state kept
    under one key is never given out under another, so a change to either cannot leave a stale state."""
    steps = ",".join(f"{name}/{step}" for name, step in sorted(upcasters))
    return hashlib.sha256(f"{fold_version}|{steps}".encode()).hexdigest()[:16]


class ReplayMemo:
    """Replayed states of recent records: every `every` versions, and the latest state asked for (the decided
    state a command decides on), so that the record as it stood at any version is replayed from the nearest
    earlier state instead of from the start, and the record as it is now from where the last command left
    it. States are immutable and a record's history only grows, so a kept state stays true. Only for
    prefixes of a record's history (the record as it stood after its first N events), never for a selection
    of its events. States are kept under the fold's key (`fold_key`)."""

    def __init__(self, every: int = 100, max_records: int = 2000, fold: str | None = None) -> None:
        self._every = every
        self._max_records = max_records
        self._fold = fold or fold_key()
        self._states: OrderedDict[tuple[str, UUID], dict[int, PersonRecord]] = OrderedDict()
        self._heads: dict[tuple[str, UUID], int] = {}
        self._lock = threading.Lock()

    @property
    def fold(self) -> str:
        return self._fold

    def replay(self, record_id: UUID, events: Sequence[CareRecordEvent]) -> PersonRecord:
        key = (self._fold, record_id)
        with self._lock:
            kept = self._states.setdefault(key, {})
            self._states.move_to_end(key)
            while len(self._states) > self._max_records:
                dropped, _ = self._states.popitem(last=False)
                self._heads.pop(dropped, None)
            start = max((version for version in kept if version <= len(events)), default=0)
            record = kept[start] if start else PersonRecord(record_id=record_id)
        made: dict[int, PersonRecord] = {}
        for version in range(start, len(events)):
            record = evolve(record, events[version])
            if (version + 1) % self._every == 0:
                made[version + 1] = record
        self._keep(key, made, len(events), record)
        return record

    def _keep(
        self, key: tuple[str, UUID], made: dict[int, PersonRecord], head: int, record: PersonRecord
    ) -> None:
        with self._lock:
            kept = self._states.setdefault(key, {})
            kept.update(made)
            previous = self._heads.get(key)
            if head and (previous is None or head > previous):
                if previous is not None and previous % self._every:
                    kept.pop(previous, None)  # one latest state per record, besides the every-N ones
                kept[head] = record
                self._heads[key] = head
