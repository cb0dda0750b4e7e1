"""The one writer every append goes through: group commit, several groups in flight.

Callers hand over their already-chained events and wait. A few transactions (`transactions`, one thread each)
are committed at once, none waiting for another's commit (the store holds no lock through COMMIT: see
postgres_recorder); while they are, the requests that arrive queue up, and the next free thread commits all
of them at once, so a round trip and a commit are paid once per group rather than once per caller. If the group's transaction meets a version
conflict, each caller's events are retried in a transaction of their own: the conflicting caller gets
VersionConflict, the others succeed. Each caller gets its own result.

A group is bounded in callers, events and bytes: a large burst is committed as several transactions, never
as one unbounded statement (one caller's events always stay in one transaction, however many).

A caller waits a bounded time, whatever the store does. If its events have not yet been handed to the store
by then, they never will be, and it hears StoreUnavailable (nothing recorded). If they have, the transaction
carrying them is interrupted (`interrupt`: the store stops it and discards its connection) and the caller
hears StoreUnavailable too: retryable, since with the same idempotency key a retry is recorded once whether
or not the interrupted transaction had committed. The other callers of that group hear the same.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass

from eventsourcing.persistence import StoredEvent

from carerecord_services.errors import StoreUnavailable, VersionConflict

Insert = Callable[[Sequence[StoredEvent]], None]
Interrupt = Callable[[int], object]  # stops the insert running on the given thread

MAX_GROUP_CALLERS = 256
MAX_GROUP_EVENTS = 2_000
MAX_GROUP_BYTES = 8 * 1024 * 1024
TRANSACTIONS = 2  # groups committed at once (4 measured no better on 2 cores); each holds a store connection


@dataclass
class WriterStatistics:
    callers: int = 0
    transactions: int = 0
    conflicts: int = 0


@dataclass
class _Request:
    events: Sequence[StoredEvent]
    result: Future[None]
    thread: int | None = None  # the writer thread that took it, once taken


def _size(events: Sequence[StoredEvent]) -> int:
    return sum(len(event.state) + len(event.topic) for event in events)


class GroupWriter:
    def __init__(
        self,
        insert: Insert,
        *,
        interrupt: Interrupt | None = None,
        max_group: int = MAX_GROUP_CALLERS,
        max_events: int = MAX_GROUP_EVENTS,
        max_bytes: int = MAX_GROUP_BYTES,
        transactions: int = TRANSACTIONS,
    ) -> None:
        self._insert = insert
        self._interrupt = interrupt
        self._max_group = max_group
        self._max_events = max_events
        self._max_bytes = max_bytes
        self._requests: queue.Queue[_Request | None] = queue.Queue()
        self._lock = threading.Lock()  # guards the statistics
        self.statistics = WriterStatistics()
        self._threads = [
            threading.Thread(target=self._run, name=f"carerecord-group-writer-{n}", daemon=True)
            for n in range(max(1, transactions))
        ]
        for thread in self._threads:
            thread.start()

    def append(self, events: Sequence[StoredEvent], timeout: float = 30.0) -> None:
        """Blocks until the events are committed, `timeout` seconds at most; raises VersionConflict, or
        StoreUnavailable when the store cannot be reached or did not answer in time."""
        if not events:
            return
        request = _Request(events, Future())
        self._requests.put(request)
        try:
            request.result.result(timeout=timeout)
        except TimeoutError:
            if not request.result.cancel():  # being written, and stuck: stop that transaction
                self._interrupt_stuck(request)
            raise StoreUnavailable() from None

    def _interrupt_stuck(self, request: _Request) -> None:
        if self._interrupt is not None and request.thread is not None:
            self._interrupt(request.thread)
        # the interrupted transaction ends at once; a store that cannot be reached still gets no longer wait
        with contextlib.suppress(Exception):
            request.result.result(timeout=1.0)

    def close(self) -> None:
        """Each thread stops at the first None it takes, having committed what it holds."""
        for _ in self._threads:
            self._requests.put(None)
        for thread in self._threads:
            thread.join(timeout=10)

    def _run(self) -> None:
        held: _Request | None = (
            None  # the request that did not fit this thread's last group: first in its next
        )
        while True:
            first, held = held or self._requests.get(), None
            if first is None:
                return
            group, held, stop = self._gather(first)
            # a caller that gave up waiting has been told nothing was recorded: keep that promise
            for request in group:
                request.thread = threading.get_ident()
            group = [request for request in group if request.result.set_running_or_notify_cancel()]
            if group:
                self._commit(group)
            if stop:
                return

    def _gather(self, first: _Request) -> tuple[list[_Request], _Request | None, bool]:
        """The requests waiting now, up to the group's bounds, and the one that would exceed them (first in
        the next group); and whether the writer is closing."""
        group = [first]
        events, size = len(first.events), _size(first.events)
        while len(group) < self._max_group:
            try:
                request = self._requests.get_nowait()
            except queue.Empty:
                return group, None, False
            if request is None:
                return group, None, True
            events, size = events + len(request.events), size + _size(request.events)
            if events > self._max_events or size > self._max_bytes:
                return group, request, False
            group.append(request)
        return group, None, False

    def _commit(self, group: list[_Request]) -> None:
        with self._lock:
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
        with self._lock:
            self.statistics.transactions += 1
        self._insert(events)

    def _settle(self, request: _Request, error: BaseException | None) -> None:
        if isinstance(error, VersionConflict):
            with self._lock:
                self.statistics.conflicts += 1
        if error is None:
            request.result.set_result(None)
        else:
            request.result.set_exception(error)
