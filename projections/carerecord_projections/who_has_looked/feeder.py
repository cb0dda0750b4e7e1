"""Feeds the access audit's read models from its store, position-tracked, in the caller's process: each audit
append is followed by a catch-up, so a read is in access_log before its response is sent."""

from __future__ import annotations

import threading

from carerecord_projections.database import transaction
from carerecord_projections.refused_requests.tables import REFUSED_REQUESTS_DDL
from carerecord_projections.schema import FEED_DDL
from carerecord_projections.who_has_looked.handlers import apply_audit_event
from carerecord_projections.who_has_looked.tables import ACCESS_LOG_DDL
from carerecord_services.event_log import EventLog
from carerecord_services.schema_changes import lock_schema_changes

CONSUMER = "access-audit"


class AccessLogFeeder:
    """Applies the audit stream to access_log, position-tracked, in the caller's process."""

    def __init__(self, log: EventLog, dsn: str) -> None:
        self._log = log
        self._dsn = dsn
        self._lock = threading.Lock()
        self._tickets_lock = threading.Lock()
        self._issued = 0  # catch-up requests so far, each made after its append committed
        self._covered = 0  # requests made before the last finished catch-up started
        with transaction(dsn) as cursor:
            lock_schema_changes(cursor)
            cursor.execute(ACCESS_LOG_DDL)
            cursor.execute(REFUSED_REQUESTS_DDL)
            cursor.execute(FEED_DDL)
            cursor.execute(
                "INSERT INTO projection_position (consumer, position) VALUES (%s, 0) ON CONFLICT DO NOTHING",
                (CONSUMER,),
            )

    def catch_up(self) -> None:
        """Called after each audit append. Concurrent callers share one catch-up: a caller whose append was
        already committed when a catch-up started is covered by it and returns without a transaction."""
        with self._tickets_lock:
            self._issued += 1
            ticket = self._issued
        with self._lock:
            if self._covered >= ticket:
                return
            with self._tickets_lock:
                covering = self._issued
            self._catch_up()
            self._covered = covering

    def catch_up_to(self, position: int) -> None:
        """Up to a position and no further (a check rebuilds to where the live read models stand)."""
        with self._lock:
            self._catch_up(stop_at=position)

    def position(self) -> int:
        with transaction(self._dsn) as cursor:
            cursor.execute("SELECT position FROM projection_position WHERE consumer = %s", (CONSUMER,))
            row = cursor.fetchone()
            return int(row[0]) if row else 0

    def _catch_up(self, stop_at: int | None = None) -> None:
        with transaction(self._dsn) as cursor:
            cursor.execute(
                "SELECT position FROM projection_position WHERE consumer = %s FOR UPDATE", (CONSUMER,)
            )
            position = int(cursor.fetchone()[0])
            while stop_at is None or position < stop_at:
                limit = 500 if stop_at is None else min(500, stop_at - position)
                logged = self._log.notifications_after(position, limit)
                logged = [item for item in logged if stop_at is None or item.position <= stop_at]
                if not logged:
                    break
                for item in logged:
                    apply_audit_event(cursor, item.position, item.stored.decode())
                    position = item.position
            cursor.execute(
                "UPDATE projection_position SET position = %s WHERE consumer = %s", (position, CONSUMER)
            )
