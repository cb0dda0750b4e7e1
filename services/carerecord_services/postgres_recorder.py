"""The event store's PostgreSQL infrastructure: the eventsourcing library's, with every wait bounded.

Two changes to the library's PostgreSQL recorder, chosen through its own settings (PERSISTENCE_MODULE names
`CareRecordPostgresFactory`):

- Inserts run as plain statements in a transaction, not in pipeline mode. The library pipelines the table
  lock, the NOTIFY and the INSERT; psycopg's pure-Python implementation can deadlock there with large data
  (psycopg issue 685: the server waits on ClientRead, the client in `Pipeline.sync`), which froze the API
  three times here. The statements are the library's own, so the gap-free order (EXCLUSIVE lock) is kept;
  without the pipeline they cost a few more round trips, paid once per group by the group writer.
- Every connection carries a statement timeout, a lock timeout and a TCP user timeout
  (CARERECORD_STATEMENT_TIMEOUT_MS, CARERECORD_LOCK_TIMEOUT_MS in the store's environment), so the server
  never holds a statement, and the network never holds a send, without end.

An insert that is stuck anyway can be interrupted from another thread (`interrupt`): its server process is
terminated, so its transaction rolls back and its connection, now broken, is discarded by the pool instead of
being lent again; the interrupted insert raises and is not retried.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresFactory
from eventsourcing.utils import Environment

log = logging.getLogger("carerecord.store")

STATEMENT_TIMEOUT = "CARERECORD_STATEMENT_TIMEOUT_MS"
LOCK_TIMEOUT = "CARERECORD_LOCK_TIMEOUT_MS"
ATTEMPTS = 10  # as the library's own insert: a restarted server costs a reconnect, not a failed command
RETRY_WAIT = 0.2


class InsertInterrupted(OperationalError):
    """The insert was stopped from outside after its caller's deadline passed."""


class CareRecordRecorder(PostgresApplicationRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_flight: dict[int, int] = {}  # thread ident -> server process id of its insert
        self._interrupted: set[int] = set()
        self._lock = threading.Lock()

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        thread = threading.get_ident()
        with self._lock:
            self._interrupted.discard(thread)
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return self._insert_once(thread, stored_events, **kwargs)
            except (InterfaceError, OperationalError) as error:
                with self._lock:
                    interrupted = thread in self._interrupted
                if interrupted:
                    raise InsertInterrupted("the insert was interrupted after its deadline") from error
                if attempt == ATTEMPTS:
                    raise
                time.sleep(RETRY_WAIT)
        raise AssertionError("unreachable")  # pragma: no cover

    def _insert_once(
        self, thread: int, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        with self.datastore.get_connection() as conn:
            with self._lock:
                self._in_flight[thread] = conn.info.backend_pid
            try:
                with conn.transaction(), conn.cursor() as curs:
                    self._insert_events(curs, stored_events, **kwargs)
                    if not stored_events:
                        return []
                    self._insert_stored_events(curs, stored_events, **kwargs)  # lock, notify, insert
                    return self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
            except BaseException:
                if thread in self._interrupted:
                    conn.close()  # never lent again, whatever state it was left in
                raise
            finally:
                with self._lock:
                    self._in_flight.pop(thread, None)

    def interrupt(self, thread: int) -> bool:
        """Stops the insert that `thread` is running, if any: True if one was stopped."""
        with self._lock:
            pid = self._in_flight.get(thread)
            if pid is None:
                return False
            self._interrupted.add(thread)
        pool_kwargs = self.datastore.pool.kwargs
        kwargs = dict(pool_kwargs) if isinstance(pool_kwargs, dict) else {}
        kwargs.pop("row_factory", None)
        try:
            with psycopg.connect(**kwargs, autocommit=True, connect_timeout=5) as conn:
                conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        except psycopg.Error as error:  # the server is away: the TCP user timeout ends the stuck send
            log.warning("could not interrupt a stuck insert (%s)", type(error).__name__)
            return False
        log.warning("interrupted an insert that outlived its caller's deadline; its connection is discarded")
        return True


class CareRecordPostgresFactory(PostgresFactory):
    application_recorder_class = CareRecordRecorder

    def __init__(self, env: Environment | dict[str, str] | None) -> None:
        super().__init__(env)
        # The pool opens lazily (on the first statement), so these reach every connection it makes.
        kwargs = self.datastore.pool.kwargs
        assert isinstance(kwargs, dict)
        kwargs.update(connection_options(self.env.get(STATEMENT_TIMEOUT), self.env.get(LOCK_TIMEOUT)))


def connection_options(statement_timeout_ms: str | None, lock_timeout_ms: str | None) -> dict[str, Any]:
    """libpq connection options bounding every wait: 0 or unset leaves a timeout off."""
    statement = int(statement_timeout_ms or 0)
    lock = int(lock_timeout_ms or 0)
    options: dict[str, Any] = {
        "options": f"-c statement_timeout={statement} -c lock_timeout={lock}",
        "keepalives": 1,
        "keepalives_idle": 30,
        "keepalives_interval": 10,
        "keepalives_count": 3,
    }
    if statement:
        options["tcp_user_timeout"] = statement + 5000  # a send unacknowledged this long: the server is gone
    return options
