"""Connections to the read-model database (psycopg2), reused from a small pool per database.

Opening a PostgreSQL connection (with password authentication) costs more than most read-model queries, so
each process keeps a few open per DSN and lends them out one transaction at a time. A connection that fails is
thrown away, never lent again; before an idle one is lent it is asked a trivial query (two round trips, a
fraction of a millisecond here against several milliseconds for a new connection), so a connection ended by a
database restart is replaced rather than failing a request. Only a handful of DSNs keep pools
(a test run makes a schema per test): the least recently used one is closed when another is needed.

Text the read models cannot hold (PostgreSQL text holds no NUL character, and a lone surrogate cannot be encoded)
is written with U+FFFD in its place, whichever projection writes it: the event keeps what was recorded, and one
odd character in an event can never stop a projection (every later event would wait behind it for good)."""

from __future__ import annotations

import queue
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg2
import psycopg2.extensions
import psycopg2.extras

from carerecord_projections.schema import create_tables

psycopg2.extras.register_uuid()  # type: ignore[no-untyped-call]  # UUIDs in and out as uuid.UUID (adapter registration, no I/O)

_UNHOLDABLE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def holdable(text: str) -> str:
    """The text as the read models can hold it: NUL and lone surrogates replaced by U+FFFD."""
    return _UNHOLDABLE.sub(REPLACEMENT, text) if _UNHOLDABLE.search(text) else text


class _HoldableText:
    """psycopg2's adapter for str, given text the database can hold (see the module's docstring)."""

    def __init__(self, text: str) -> None:
        self._quoted = psycopg2.extensions.QuotedString(holdable(text))

    def prepare(self, connection: Any) -> None:
        self._quoted.prepare(connection)

    def getquoted(self) -> bytes:
        quoted: bytes = self._quoted.getquoted()
        return quoted


psycopg2.extensions.register_adapter(str, _HoldableText)

POOL_SIZE = 8  # connections per DSN and process, at most
POOLED_DSNS = 4  # DSNs per process that keep a pool
BROKEN = (psycopg2.OperationalError, psycopg2.InterfaceError)


class _Pool:
    def __init__(self, dsn: str, size: int) -> None:
        self._dsn = dsn
        self._slots = threading.BoundedSemaphore(size)
        self._idle: queue.LifoQueue[Any] = queue.LifoQueue()
        self.closed = False

    def borrow(self) -> Any:
        self._slots.acquire()
        try:
            while True:
                try:
                    connection = self._idle.get_nowait()
                except queue.Empty:
                    return psycopg2.connect(self._dsn)
                if not connection.closed and _answers(connection):
                    return connection
                connection.close()
        except BaseException:
            self._slots.release()
            raise

    def give_back(self, connection: Any, broken: bool) -> None:
        try:
            if broken or self.closed or connection.closed:
                connection.close()
            else:
                self._idle.put(connection)
        finally:
            self._slots.release()

    def close(self) -> None:
        self.closed = True
        while True:
            try:
                connection = self._idle.get_nowait()
            except queue.Empty:
                return
            connection.close()


def _answers(connection: Any) -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        connection.rollback()
        return True
    except BROKEN:
        return False


_pools: OrderedDict[str, _Pool] = OrderedDict()
_pools_lock = threading.Lock()


def _pool(dsn: str) -> _Pool:
    with _pools_lock:
        pool = _pools.get(dsn)
        if pool is None:
            pool = _pools[dsn] = _Pool(dsn, POOL_SIZE)
            while len(_pools) > POOLED_DSNS:
                _, evicted = _pools.popitem(last=False)
                evicted.close()
        _pools.move_to_end(dsn)
        return pool


@contextmanager
def transaction(dsn: str) -> Iterator[Any]:
    """One connection, one transaction: committed if the block finishes, rolled back if it raises."""
    pool = _pool(dsn)
    connection = pool.borrow()
    broken = False
    try:
        with connection, connection.cursor() as cursor:
            yield cursor
    except BROKEN:
        broken = True
        raise
    except BaseException:
        broken = connection.closed != 0
        raise
    finally:
        pool.give_back(connection, broken)


def close_pools() -> None:
    """Closes every idle pooled connection (for processes that are about to stop, and for tests)."""
    with _pools_lock:
        while _pools:
            _, pool = _pools.popitem()
            pool.close()


def prepare(dsn: str) -> None:
    with transaction(dsn) as cursor:
        create_tables(cursor)  # under the schema-changes lock


def dicts(cursor: Any) -> list[dict[str, Any]]:
    """The rows a statement returned, each a dict by column name."""
    names = [column.name for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def rows(dsn: str, statement: str, parameters: Any) -> list[dict[str, Any]]:
    """Runs one query in its own transaction: its rows, each a dict by column name."""
    with transaction(dsn) as cursor:
        cursor.execute(statement, parameters)
        return dicts(cursor)
