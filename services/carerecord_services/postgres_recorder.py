"""The event store's PostgreSQL infrastructure: the eventsourcing library's tables, written without
serialising the region, with every wait bounded.

The library's PostgreSQL recorder takes `LOCK TABLE ... IN EXCLUSIVE MODE` in every insert and holds it through
COMMIT (fsync included), so that positions (notification ids, from a sequence) are handed out in commit order
and a reader tailing the log never passes a position that a slower transaction fills in later. That lock made
every writer in the region wait for every other's commit. This recorder (chosen through the library's own
settings: PERSISTENCE_MODULE names `CareRecordPostgresFactory`) keeps the reader's promise another way:

- Each row records the transaction that wrote it (`transaction_id`, `pg_current_xact_id()`, a column this
  recorder adds; rows stored before it was added hold 0, which every reader sees).
- An append is one statement, one round trip, committed on its own (`carerecord_append_<table>`): under an
  advisory lock it takes its transaction id, marks itself as writing (an advisory lock on its own id, held
  until it ends) and takes its positions; it releases the first lock before COMMIT. So nothing is held
  through another's commit and appends commit side by side, but a higher position always has a higher
  transaction id.
- A reader of "events after position P" (`carerecord_log_<table>`, `carerecord_last_<table>`) first finds the
  oldest append still running (the lock table), then reads only rows of older transactions (all rows, when
  none runs). An append still running holds back every position after its own (they have higher
  transaction ids); a position, once passed, is never filled in later. Other transactions on the server (a
  read model's, another database's) hold nothing back.
- An append returns once its events can be read (at most SETTLE_WAIT after its COMMIT, while an older append
  is still committing), so a use case's own events are in the read models fed in process when it returns.

So the log's order is still the order of positions, and a reader never skips an event committed late. A
position is a number a committed event holds for ever; positions increase along the log, and one can be
missing (an append that rolled back, on a version conflict or when interrupted, took it).

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
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import psycopg
from eventsourcing.persistence import InterfaceError, Notification, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresFactory
from eventsourcing.utils import Environment, retry
from psycopg import Connection, Cursor
from psycopg.sql import SQL, Identifier, Literal

from carerecord_services import schema_changes

log = logging.getLogger("carerecord.store")

STATEMENT_TIMEOUT = "CARERECORD_STATEMENT_TIMEOUT_MS"
LOCK_TIMEOUT = "CARERECORD_LOCK_TIMEOUT_MS"
ATTEMPTS = 10  # as the library's own insert: a restarted server costs a reconnect, not a failed command
RETRY_WAIT = 0.2
LOCAL_WAIT = (
    0.05  # seconds an append waits to see older appends of this process end, before asking the server
)
ENDED_KEPT = 10_000
SETTLE_WAIT = 2.0  # seconds an insert waits, after COMMIT, for older transactions to end (see insert_events)


class InsertInterrupted(OperationalError):
    """The insert was stopped from outside after its caller's deadline passed."""


def _tag(name: str) -> int:
    """A stable signed 32-bit number for an advisory lock's first key, named by `name`."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], signed=True)


# The least transaction id among this table's appends still running, or NULL: read from the server's lock
# table, since their rows cannot be seen until they commit. Each append holds the advisory lock
# (table's tag, low 32 bits of its transaction id) until it ends; the full id is rebuilt next to the
# snapshot's xmax (ids in flight lie within 2^30 of it). `below` leaves out the caller's own and later ones.
_OLDER = """
SELECT x FROM (
    SELECT ((r - ((r - l.objid::bigint) & 4294967295))::text)::xid8 AS x
    FROM pg_locks l, (SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint + 1073741824 AS r) ref
    WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.granted
      AND l.classid = ({writing_tag}::bigint & 4294967295)::oid
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
) writing WHERE below IS NULL OR x < below
"""
_WRITING = "SELECT min(x) FROM (" + _OLDER + ") older"


class CareRecordRecorder(PostgresApplicationRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_flight: dict[int, int] = {}  # thread ident -> server process id of its insert
        self._interrupted: set[int] = set()
        self._lock = threading.Lock()
        self._settled = threading.Condition()
        self._ended: OrderedDict[str, None] = OrderedDict()  # transaction ids of this process's ended appends
        self._inserting = 0  # appends of this process whose statement has not returned yet
        schema, table = Identifier(self.datastore.schema), Identifier(self.events_table_name)
        named = f"{self.datastore.schema}.{self.events_table_name}"
        self.position_lock = (_tag("carerecord positions"), _tag(named))
        self.writing_tag = _tag(f"carerecord writing {named}")
        name = self.events_table_name
        self.insert_function_name = f"carerecord_append_{name}"[:63]
        writing, read, last = (
            Identifier(f"carerecord_{what}_{name}"[:63]) for what in ("writing", "log", "last")
        )
        names = {
            "schema": schema,
            "table": table,
            "writing": writing,
            "read": read,
            "last": last,
            "function": Identifier(self.insert_function_name),
            "event": Identifier(self.stored_event_type_name),
            "position_class": Literal(self.position_lock[0]),
            "position_key": Literal(self.position_lock[1]),
            "writing_tag": Literal(self.writing_tag),
        }
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
                **names,
                schema_name=Literal(self.datastore.schema),
                table_name=Literal(self.events_table_name),
            ),
            SQL(
                "CREATE OR REPLACE FUNCTION {schema}.{writing}(below xid8) RETURNS xid8 "
                "LANGUAGE sql VOLATILE AS $writing$" + _WRITING + "$writing$"
            ).format(**names),
            SQL(
                "CREATE OR REPLACE FUNCTION {schema}.{function}(events {schema}.{event}[]) "
                "RETURNS TABLE (positions bigint[], transaction_id xid8, older xid8[]) "
                "LANGUAGE plpgsql AS $append$ "
                "DECLARE taken bigint[]; mine xid8; "
                "BEGIN "
                "PERFORM pg_advisory_lock({position_class}, {position_key}); "
                "mine := pg_current_xact_id(); "  # this transaction's id, taken under the lock
                "PERFORM pg_advisory_xact_lock({writing_tag}, ((mine::text::bigint & 4294967295) "
                "- CASE WHEN (mine::text::bigint & 4294967295) >= 2147483648 THEN 4294967296 ELSE 0 END)::int4); "
                "WITH inserted AS (INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state) "
                "SELECT originator_id, originator_version, topic, state FROM unnest(events) "
                "RETURNING notification_id) "
                "SELECT array_agg(notification_id ORDER BY notification_id) INTO taken FROM inserted; "
                "PERFORM pg_advisory_unlock({position_class}, {position_key}); "
                # the older transactions still running (appends among them): these rows can be read once those
                # appends have ended too. Ids from the snapshot's xmax up are running, whether listed or not.
                "RETURN QUERY SELECT taken, mine, ARRAY(SELECT x FROM pg_snapshot_xip(pg_current_snapshot()) x "
                "WHERE x < mine UNION SELECT n::text::xid8 FROM generate_series("
                "pg_snapshot_xmax(pg_current_snapshot())::text::bigint, mine::text::bigint - 1) n); "
                "END $append$"
            ).format(**names),
            # The log as far as it is final: rows below every append still running (or, with none running,
            # every committed row). The bound is taken first, the rows then, each statement with a new snapshot:
            # an append that ends between the two is then seen, never passed over (so never under one snapshot
            # for the whole transaction: refused). The lock table is scanned once per read.
            SQL(
                "CREATE OR REPLACE FUNCTION {schema}.{read}(after bigint, stop bigint, topics text[], lim integer) "
                "RETURNS SETOF {schema}.{table} LANGUAGE plpgsql AS $read$ "
                "DECLARE bound xid8; "
                "BEGIN "
                "IF current_setting('transaction_isolation') <> 'read committed' THEN RAISE EXCEPTION "
                "'the log is read with a snapshot per statement (read committed), not %', "
                "current_setting('transaction_isolation'); END IF; "
                "bound := coalesce({schema}.{writing}(NULL), pg_snapshot_xmax(pg_current_snapshot())); "
                "RETURN QUERY SELECT * FROM {schema}.{table} WHERE notification_id > after "
                "AND (stop IS NULL OR notification_id <= stop) AND (topics IS NULL OR topic = ANY(topics)) "
                "AND transaction_id < bound ORDER BY notification_id LIMIT lim; "
                "END $read$"
            ).format(**names),
            SQL(
                "CREATE OR REPLACE FUNCTION {schema}.{last}() RETURNS bigint LANGUAGE plpgsql AS $last$ "
                "DECLARE bound xid8; "
                "BEGIN "
                "IF current_setting('transaction_isolation') <> 'read committed' THEN RAISE EXCEPTION "
                "'the log is read with a snapshot per statement (read committed), not %', "
                "current_setting('transaction_isolation'); END IF; "
                "bound := coalesce({schema}.{writing}(NULL), pg_snapshot_xmax(pg_current_snapshot())); "
                "RETURN (SELECT max(notification_id) FROM {schema}.{table} WHERE transaction_id < bound); "
                "END $last$"
            ).format(**names),
        ]
        self.insert_statement = SQL("SELECT * FROM {schema}.{function}(%s)").format(**names)
        self.read_statement = SQL(
            "SELECT * FROM {schema}.{read}(%s::bigint, %s::bigint, %s::text[], %s::integer)"
        ).format(**names)
        self.max_notification_id_statement = SQL("SELECT {schema}.{last}() AS max").format(**names)
        self.settled_statement = SQL("SELECT {schema}.{writing}(%s::xid8) IS NULL AS settled").format(**names)

    def create_table(self) -> None:
        """The library's statements, one process at a time (carerecord_services.schema_changes, on the
        store's schema): processes starting at once on a new store otherwise fail on each other's half-made
        types and functions. The lock is held on a connection of its own, outside the pool."""
        pool = self.datastore.pool
        conninfo = pool.conninfo() if callable(pool.conninfo) else pool.conninfo
        options = (pool.kwargs() if callable(pool.kwargs) else pool.kwargs) or {}
        with psycopg.Connection.connect(conninfo, **{**options, "autocommit": True}) as holder:
            holder.execute(schema_changes.SESSION_LOCK, (self.datastore.schema,))
            try:
                super().create_table()
            finally:
                holder.execute(schema_changes.SESSION_UNLOCK, (self.datastore.schema,))

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
            with self._settled:
                self._inserting += 1
            try:
                with conn.cursor() as curs:
                    curs.execute(self.insert_statement, (events,), prepare=True)
                    row = curs.fetchone()
                    assert row is not None
            except BaseException:
                self._ended_here(None)
                self._release_lock(conn, thread)
                with self._lock:
                    self._in_flight.pop(thread, None)
                raise
            # committed: from here on nothing raises that could make a caller retry (and meet its own events)
            try:
                self._ended_here(row["transaction_id"])
                if row["older"]:
                    with conn.cursor() as curs:
                        self._wait_until_settled(curs, row["transaction_id"], row["older"])
            except Exception as error:
                log.warning("could not wait for stored events to become readable (%s)", type(error).__name__)
                conn.close()  # whatever state it was left in, never lent again
            finally:
                with self._lock:
                    self._in_flight.pop(thread, None)
            return list(row["positions"])

    def _ended_here(self, transaction_id: object | None) -> None:
        """An append of this process has returned (committed, with its id; or failed): appends waiting on it
        stop waiting (see below)."""
        with self._settled:
            if transaction_id is not None:
                self._ended[str(transaction_id)] = None
                while len(self._ended) > ENDED_KEPT:
                    self._ended.popitem(last=False)
            self._inserting -= 1
            self._settled.notify_all()

    def _wait_until_settled(self, curs: Cursor[Any], transaction_id: object, older: Sequence[object]) -> None:
        """Returns once the older appends still running when this one inserted have ended, so that its events
        can be read from the log (a use case's own events are then in the read models fed in process as soon as
        it returns). The older transactions are known by id; those that are this process's appends are seen
        ending here, without asking the server. Any left once none of this process's is running (another
        process's append, or no append at all) the server is asked about. At most SETTLE_WAIT."""
        waiting = {str(each) for each in older}
        deadline = time.monotonic() + SETTLE_WAIT
        with self._settled:
            self._settled.wait_for(lambda: waiting <= self._ended.keys() or self._inserting == 0, SETTLE_WAIT)
            if waiting <= self._ended.keys():
                return
        pause = 0.0005
        while True:
            curs.execute(self.settled_statement, (transaction_id,), prepare=True)
            found = curs.fetchone()
            if found is not None and found["settled"]:
                return
            if time.monotonic() >= deadline:
                log.warning(
                    "stored events are not yet readable after %.1fs: an older append is still open",
                    SETTLE_WAIT,
                )
                return
            time.sleep(pause)
            pause = min(pause * 2, 0.01)

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
        """The library's read of the log, as far as it is final (see the module's description)."""
        after = None if start is None else start - 1 if inclusive_of_start else start
        statement = self.read_statement
        params = (after or 0, stop, list(topics) if topics else None, limit)
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
