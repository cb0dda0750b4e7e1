"""The event store's PostgreSQL infrastructure: the eventsourcing library's tables, written without
serialising the region, with every wait bounded.

The library's PostgreSQL recorder takes `LOCK TABLE ... IN EXCLUSIVE MODE` in every insert and holds it through
COMMIT (fsync included), so that positions (notification ids, from a sequence) are handed out in commit order
and a reader tailing the log never passes a position that a slower transaction fills in later. That lock made
every writer in the region wait for every other's commit. This recorder (chosen through the library's own
settings: PERSISTENCE_MODULE names `CareRecordPostgresFactory`) keeps the reader's promise another way:

- Each row records the transaction that wrote it (`transaction_id`, `pg_current_xact_id()`, a column this
  recorder adds; rows stored before it was added hold 0, which every reader sees).
- An insert is one statement, one round trip, committed on its own (`carerecord_insert_events_*`): it takes an
  advisory lock, takes its transaction id and its positions, inserts, and releases the lock before COMMIT. So
  the lock is held for the insert only, never through the commit, and transactions commit concurrently; but
  a transaction with a higher position always has a higher transaction id.
- A reader of "events after position P" reads only rows whose transaction id is below
  `pg_snapshot_xmin(pg_current_snapshot())`: every transaction below that has ended, so no row can appear
  later below it. A transaction still in flight holds back every position after its own (they all have
  higher transaction ids), and a position, once passed, is never filled in later.

So the log's order is still the order of positions, and a reader never skips an event committed late. A
position is a number a committed event holds for ever; positions increase along the log, and one can be
missing (a transaction that rolled back, a version conflict, took it). The held-back tail is as long as the
oldest write transaction running on the whole PostgreSQL server (any database: transaction ids are
server-wide), so a write transaction left open elsewhere delays the log, never corrupts it.

Every connection carries a statement timeout, a lock timeout and a TCP user timeout
(CARERECORD_STATEMENT_TIMEOUT_MS, CARERECORD_LOCK_TIMEOUT_MS in the store's environment), so the server never
holds a statement, and the network never holds a send, without end. An insert that is stuck anyway can be
interrupted from another thread (`interrupt`): its server process is terminated, so its transaction rolls
back, its advisory lock is released, and its connection, now broken, is discarded by the pool instead of
being lent again; the interrupted insert raises and is not retried. Inserts are never pipelined (psycopg's
pure-Python implementation can deadlock there with large data: psycopg issue 685).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

import psycopg
from eventsourcing.persistence import InterfaceError, Notification, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresFactory
from eventsourcing.utils import Environment, retry
from psycopg import Connection
from psycopg.sql import SQL, Identifier, Literal

log = logging.getLogger("carerecord.store")

STATEMENT_TIMEOUT = "CARERECORD_STATEMENT_TIMEOUT_MS"
LOCK_TIMEOUT = "CARERECORD_LOCK_TIMEOUT_MS"
ATTEMPTS = 10  # as the library's own insert: a restarted server costs a reconnect, not a failed command
RETRY_WAIT = 0.2


class InsertInterrupted(OperationalError):
    """The insert was stopped from outside after its caller's deadline passed."""


def _lock_key(table: str) -> int:
    """The advisory lock that orders one table's inserts: a stable 63-bit number named by the table."""
    return int.from_bytes(hashlib.sha256(f"carerecord positions {table}".encode()).digest()[:8]) >> 1


# Read by every reader of the log: rows of transactions that have ended, however they ended (see above).
SETTLED = SQL("transaction_id < pg_snapshot_xmin(pg_current_snapshot())")


class CareRecordRecorder(PostgresApplicationRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_flight: dict[int, int] = {}  # thread ident -> server process id of its insert
        self._interrupted: set[int] = set()
        self._lock = threading.Lock()
        schema, table = Identifier(self.datastore.schema), Identifier(self.events_table_name)
        self.lock_key = _lock_key(f"{self.datastore.schema}.{self.events_table_name}")
        self.insert_function_name = f"carerecord_insert_{self.events_table_name}"[:63]
        function = Identifier(self.insert_function_name)
        self.sql_create_statements += [
            # Existing stores: the column is added once, its rows holding 0 (seen by every reader); the
            # default then names each new row's transaction. Checked first, so a restart takes no table lock.
            SQL(
                "DO $migrate$ BEGIN "
                "IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = {schema_name} "
                "AND table_name = {table_name} AND column_name = 'transaction_id') THEN "
                "ALTER TABLE {schema}.{table} ADD COLUMN IF NOT EXISTS transaction_id xid8 NOT NULL DEFAULT '0'; "
                "ALTER TABLE {schema}.{table} ALTER COLUMN transaction_id SET DEFAULT pg_current_xact_id(); "
                "END IF; END $migrate$"
            ).format(
                schema=schema,
                table=table,
                schema_name=Literal(self.datastore.schema),
                table_name=Literal(self.events_table_name),
            ),
            SQL(
                "CREATE OR REPLACE FUNCTION {schema}.{function}(events {schema}.{event}[]) "
                "RETURNS SETOF bigint LANGUAGE plpgsql AS $insert$ "
                "BEGIN "
                "PERFORM pg_advisory_lock({key}); "
                "PERFORM pg_current_xact_id(); "  # this transaction's id, taken under the lock
                "RETURN QUERY INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state) "
                "SELECT originator_id, originator_version, topic, state FROM unnest(events) "
                "RETURNING notification_id; "
                "PERFORM pg_advisory_unlock({key}); "
                "END $insert$"
            ).format(
                schema=schema,
                table=table,
                function=function,
                event=Identifier(self.stored_event_type_name),
                key=Literal(self.lock_key),
            ),
        ]
        self.insert_statement = SQL("SELECT * FROM {schema}.{function}(%s)").format(
            schema=schema, function=function
        )
        self.max_notification_id_statement = (
            SQL("SELECT MAX(notification_id) FROM {schema}.{table} WHERE ").format(schema=schema, table=table)
            + SETTLED
        )

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        if not stored_events:
            return []
        thread = threading.get_ident()
        with self._lock:
            self._interrupted.discard(thread)
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return self._insert_once(thread, stored_events)
            except (InterfaceError, OperationalError) as error:
                with self._lock:
                    interrupted = thread in self._interrupted
                if interrupted:
                    raise InsertInterrupted("the insert was interrupted after its deadline") from error
                if attempt == ATTEMPTS:
                    raise
                time.sleep(RETRY_WAIT)
        raise AssertionError("unreachable")  # pragma: no cover

    def _insert_once(self, thread: int, stored_events: Sequence[StoredEvent]) -> Sequence[int]:
        """One statement in its own transaction (the pool's connections commit each statement)."""
        events = [
            self.construct_pg_stored_event(e.originator_id, e.originator_version, e.topic, e.state)
            for e in stored_events
        ]
        with self.datastore.get_connection() as conn:
            assert conn.autocommit
            with self._lock:
                self._in_flight[thread] = conn.info.backend_pid
            try:
                with conn.cursor() as curs:
                    curs.execute(self.insert_statement, (events,), prepare=True)
                    return [row[self.insert_function_name] for row in curs.fetchall()]
            except BaseException:
                self._release_lock(conn, thread)
                raise
            finally:
                with self._lock:
                    self._in_flight.pop(thread, None)

    def _release_lock(self, conn: Connection[Any], thread: int) -> None:
        """A failed insert (a version conflict, a timeout) may have left the advisory lock held by its
        session: released here, or the connection is closed (its server process ends, and the lock with it)
        so that it is never lent again holding the lock."""
        if thread in self._interrupted or conn.closed:
            conn.close()
            return
        try:
            conn.execute("SELECT pg_advisory_unlock_all()")
        except psycopg.Error:
            conn.close()

    @retry((InterfaceError, OperationalError), max_attempts=ATTEMPTS, wait=RETRY_WAIT)
    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        """The library's read of the log, of settled rows only (see the module's description)."""
        conditions = [SETTLED]
        params: list[Any] = []
        if start is not None:
            conditions.append(SQL("notification_id >= %s" if inclusive_of_start else "notification_id > %s"))
            params.append(start)
        if stop is not None:
            conditions.append(SQL("notification_id <= %s"))
            params.append(stop)
        if topics:
            conditions.append(SQL("topic = ANY(%s)"))
            params.append(list(topics))
        params.append(limit)
        statement = (
            SQL("SELECT * FROM {schema}.{table} WHERE ").format(
                schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name)
            )
            + SQL(" AND ").join(conditions)
            + SQL(" ORDER BY notification_id LIMIT %s")
        )
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, params, prepare=True)
            return [
                Notification(
                    id=row["notification_id"],
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                for row in curs.fetchall()
            ]

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
