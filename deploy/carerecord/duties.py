"""Duties done once per deployment, however many API processes (or deployments) share one store: signing
checkpoints. Whoever holds a PostgreSQL advisory lock, on a connection of its own, does the duty; the others
try again next time, so that when the holder stops (its connection ends, and the lock with it) another takes
over. The lock is named by the duty and the schema, so stores in other schemas of one database do not wait on
each other."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading

import psycopg2

log = logging.getLogger("carerecord")


def _lock_key(duty: str, schema: str) -> int:
    digest = hashlib.sha256(f"carerecord:{schema}:{duty}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class OncePerDeployment:
    """`held()` is True in exactly one process at a time among those sharing the store."""

    def __init__(self, dsn: str, duty: str, schema: str) -> None:
        self._dsn = dsn
        self._duty = duty
        self._key = _lock_key(duty, schema)
        self._connection: psycopg2.extensions.connection | None = None
        self._holding = False
        self._lock = threading.Lock()

    def held(self) -> bool:
        """Takes the lock if no one holds it; True while this process holds it (checked on the server: a
        connection that was lost lost the lock too)."""
        with self._lock:
            try:
                if self._connection is None or self._connection.closed:
                    self._connection = psycopg2.connect(self._dsn, connect_timeout=5)
                    self._connection.autocommit = True
                    self._holding = False
                with self._connection.cursor() as cursor:
                    if self._holding:
                        cursor.execute("SELECT 1")
                    else:
                        cursor.execute("SELECT pg_try_advisory_lock(%s)", (self._key,))
                        row = cursor.fetchone()
                        self._holding = bool(row and row[0])
                        if self._holding:
                            log.info("this process now %s for the deployment", self._duty)
            except psycopg2.Error as error:
                log.warning("could not tell who %s (%s)", self._duty, type(error).__name__)
                self._drop()
            return self._holding

    def close(self) -> None:
        """Gives the duty up at once (ending the connection would too, once the server has seen it end)."""
        with self._lock:
            if self._holding and self._connection is not None and not self._connection.closed:
                with contextlib.suppress(psycopg2.Error), self._connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", (self._key,))
            self._drop()

    def _drop(self) -> None:
        self._holding = False
        if self._connection is not None:
            with contextlib.suppress(psycopg2.Error):
                self._connection.close()
        self._connection = None
