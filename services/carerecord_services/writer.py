"""The one writer every append goes through: group commit.

Callers hand over their already-chained events and wait. While one transaction is being committed, the
requests that arrive queue up; the next transaction commits all of them at once, so the table lock and the
commit are paid once per group rather than once per caller. If the group's transaction meets a version
conflict, each caller's events are retried in a transaction of their own: the conflicting caller gets
VersionConflict, the others succeed. Each caller gets its own result.

A caller waits a bounded time. If its events have not yet been handed to the store by then, they never will
be, and it hears StoreUnavailable (nothing recorded); once they have been, it waits for the store's answer.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass

from eventsourcing.persistence import StoredEvent

from carerecord_services.errors import StoreUnavailable, VersionConflict

Insert = Callable[[Sequence[StoredEvent]], None]


@dataclass
class WriterStatistics:
    callers: int = 0
    transactions: int = 0
    conflicts: int = 0


@dataclass(frozen=True)
class _Request:
    events: Sequence[StoredEvent]
    result: Future[None]


class GroupWriter:
    def __init__(self, insert: Insert, *, max_group: int = 256) -> None:
        self._insert = insert
        self._max_group = max_group
        self._requests: queue.Queue[_Request | None] = queue.Queue()
        self._lock = threading.Lock()
        self.statistics = WriterStatistics()
        self._thread = threading.Thread(target=self._run, name="carerecord-group-writer", daemon=True)
        self._thread.start()

    def append(self, events: Sequence[StoredEvent], timeout: float = 60.0) -> None:
        """Blocks until the events are committed; raises VersionConflict, or StoreUnavailable when the store
        cannot be reached or the events still wait their turn after `timeout` seconds."""
        if not events:
            return
        request = _Request(events, Future())
        self._requests.put(request)
        try:
            request.result.result(timeout=timeout)
        except TimeoutError:
            if not request.result.cancel():  # already being written: its outcome is on its way
                request.result.result()
                return
            raise StoreUnavailable() from None

    def close(self) -> None:
        self._requests.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            first = self._requests.get()
            if first is None:
                return
            group = [first]
            stop = False
            while len(group) < self._max_group:
                try:
                    request = self._requests.get_nowait()
                except queue.Empty:
                    break
                if request is None:
                    stop = True
                    break
                group.append(request)
            # a caller that gave up waiting has been told nothing was recorded: keep that promise
            group = [request for request in group if request.result.set_running_or_notify_cancel()]
            if group:
                self._commit(group)
            if stop:
                return

    def _commit(self, group: list[_Request]) -> None:
        self.statistics.callers += len(group)
        try:
            self._transaction([event for request in group for event in request.events])
        except VersionConflict:
            if len(group) == 1:
                self._settle(
                    group[0], VersionConflict("the record changed since it was read", field="version")
                )
                return
            for request in group:
                self._commit_alone(request)
            return
        except Exception as error:  # the store is down: every caller in the group hears why
            for request in group:
                self._settle(request, error)
            return
        for request in group:
            self._settle(request, None)

    def _commit_alone(self, request: _Request) -> None:
        try:
            self._transaction(request.events)
        except Exception as error:
            self._settle(request, error)
        else:
            self._settle(request, None)

    def _transaction(self, events: Sequence[StoredEvent]) -> None:
        self.statistics.transactions += 1
        self._insert(events)

    def _settle(self, request: _Request, error: BaseException | None) -> None:
        if isinstance(error, VersionConflict):
            self.statistics.conflicts += 1
        if error is None:
            request.result.set_result(None)
        else:
            request.result.set_exception(error)
