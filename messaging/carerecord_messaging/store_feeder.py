"""Feeds the read models straight from the event store's notification log: the embedded default (no Kafka),
and rebuilds "from the store". The same projection code as the Kafka workers, a different transport."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from carerecord_projections.database import transaction
from carerecord_projections.projector import Positioned, apply_batch
from carerecord_projections.registry import Projection
from carerecord_services.event_log import EventLog, LoggedEvent
from carerecord_services.schema_changes import lock_schema_changes

Progress = Callable[[int, int], None]
ApplyBatch = Callable[[Any, list[tuple[int, Positioned]]], int]


def one_by_one(projection: Projection) -> ApplyBatch:
    """A projection fed on its own applies events one at a time; the region's read models take the batch."""

    def apply(cursor: Any, items: list[tuple[int, Positioned]]) -> int:
        return sum(projection.apply(cursor, version, item) for version, item in items)

    return apply


def _positioned(logged: LoggedEvent) -> Positioned:
    return Positioned(logged.position, logged.stored.decode())


class StoreFeeder:
    """Feeds one projection (by default the region's read models) from the store, at its own position."""

    def __init__(
        self,
        event_log: EventLog,
        dsn: str,
        *,
        consumer: str = "in-process",
        batch: int = 500,
        projection: Projection | None = None,
    ) -> None:
        self._log = event_log
        self._dsn = dsn
        self._consumer = projection.name if projection else consumer
        self._batch = batch
        self._apply = apply_batch if projection is None else one_by_one(projection)
        self._lock = threading.Lock()  # held by the thread feeding this projection
        self._state = threading.Lock()  # guards `_again` and the moment `_lock` is released
        self._again = False  # a caller gave up waiting: the feeding thread goes round once more for it
        if projection is not None:
            with transaction(dsn) as cursor:
                lock_schema_changes(cursor)
                projection.prepare(cursor)

    def catch_up(
        self, stop_at: int | None = None, progress: Progress | None = None, wait: float | None = None
    ) -> int:
        """Applies every event not yet applied, up to `stop_at` (default: the store's last). Returns how many
        store positions it read (the NHS number index entries among them change no read model).

        One thread of the process feeds the projection at a time. `wait`: how long to wait for the thread
        feeding it now (None: as long as it takes). A caller that gives up waiting (a change made while a
        large backlog is applied, as at start-up) returns 0 at once, and the feeding thread goes round once
        more, to the store's last position, so that the caller's events are applied all the same."""
        while not self._lock.acquire(timeout=-1 if wait is None else wait):
            with self._state:
                if self._lock.locked():
                    self._again = True
                    return 0
        applied, released = 0, False
        try:
            while True:
                applied += self._to(self._log.last_position() if stop_at is None else stop_at, progress)
                with self._state:
                    if not self._again:
                        self._lock.release()  # under _state: no caller sees it held after `_again` was read
                        released = True
                        return applied
                    self._again, stop_at = False, None
        finally:
            if not released:
                self._lock.release()

    def _to(self, last: int, progress: Progress | None) -> int:
        applied = 0
        while True:
            done, position = self._one_batch(last)
            applied += done
            if progress:
                progress(position, last)
            if done == 0 or position >= last:
                return applied

    def position(self) -> int:
        with transaction(self._dsn) as cursor:
            cursor.execute("SELECT position FROM projection_position WHERE consumer = %s", (self._consumer,))
            row = cursor.fetchone()
            return int(row[0]) if row else 0

    def _one_batch(self, last: int) -> tuple[int, int]:
        """One batch, applied under the position row's lock so that each event is applied once, whichever
        API process gets there first. Several processes feed the same projection after each of their changes,
        so the lock is held only to apply: one that finds the position already at `last` (another process
        applied the batch holding its event) returns without locking, and the batch is read from the log
        before locking, kept only for the events that are still to be applied once the lock is held."""
        seen = self.position()
        if seen >= last:
            return 0, seen
        read_ahead = self._log.notifications_after(seen, min(self._batch, last - seen))
        with transaction(self._dsn) as cursor:
            cursor.execute(
                "INSERT INTO projection_position (consumer, position) VALUES (%s, 0) ON CONFLICT DO NOTHING",
                (self._consumer,),
            )
            cursor.execute(
                "SELECT position FROM projection_position WHERE consumer = %s FOR UPDATE", (self._consumer,)
            )
            position = int(cursor.fetchone()[0])
            if position >= last:
                return 0, position
            logged = [each for each in read_ahead if each.position > position]
            if position < seen or not logged:  # the position went back (a rebuild), or past what was read
                logged = list(self._log.notifications_after(position, min(self._batch, last - position)))
            self._apply(cursor, [(each.stored.originator_version, _positioned(each)) for each in logged])
            position = logged[-1].position if logged else position
            cursor.execute(
                "UPDATE projection_position SET position = %s WHERE consumer = %s", (position, self._consumer)
            )
            return len(logged), position
