"""The access log read model: who has looked at a record, from the access audit stream."""

from __future__ import annotations

import threading
from typing import Any

from carerecord_events.access import (
    BreakGlassAccessReviewed,
    BreakGlassAccessStarted,
    PeopleSearched,
    RecordAccessed,
)
from carerecord_projections.database import transaction
from carerecord_services.store import EventStore

ACCESS_LOG_DDL = """
CREATE TABLE IF NOT EXISTS access_log (
    access_id uuid PRIMARY KEY,
    position bigint NOT NULL,
    record_id uuid NOT NULL,
    kind text NOT NULL,
    user_id text NOT NULL,
    role text NOT NULL,
    organisation text NOT NULL,
    operation text NOT NULL,
    purpose text NOT NULL,
    granted boolean NOT NULL,
    version_shown integer,
    refusal_reason text NOT NULL DEFAULT '',
    via_break_glass boolean NOT NULL DEFAULT false,
    at timestamptz NOT NULL,
    expires_at timestamptz
);
ALTER TABLE access_log ADD COLUMN IF NOT EXISTS reviewed_at timestamptz;
ALTER TABLE access_log ADD COLUMN IF NOT EXISTS review_appropriate boolean;
CREATE INDEX IF NOT EXISTS access_log_by_record ON access_log (record_id, at);
CREATE INDEX IF NOT EXISTS access_log_break_glass ON access_log (user_id, record_id) WHERE kind = 'break-glass';
"""

CONSUMER = "access-audit"


class AccessLogFeeder:
    """Applies the audit stream to access_log, position-tracked, in the caller's process."""

    def __init__(self, store: EventStore, dsn: str) -> None:
        self._store = store
        self._dsn = dsn
        self._lock = threading.Lock()
        self._tickets_lock = threading.Lock()
        self._issued = 0  # catch-up requests so far, each made after its append committed
        self._covered = 0  # requests made before the last finished catch-up started
        with transaction(dsn) as cursor:
            cursor.execute(ACCESS_LOG_DDL)
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

    def _catch_up(self) -> None:
        with transaction(self._dsn) as cursor:
            cursor.execute(
                "SELECT position FROM projection_position WHERE consumer = %s FOR UPDATE", (CONSUMER,)
            )
            position = int(cursor.fetchone()[0])
            while True:
                notifications = self._store.notifications(position + 1, 500)
                if not notifications:
                    break
                for notification in notifications:
                    _insert(
                        cursor, notification.id, self._store.mapper.to_chained_event(notification).decode()
                    )
                    position = notification.id
            cursor.execute(
                "UPDATE projection_position SET position = %s WHERE consumer = %s", (position, CONSUMER)
            )


def _insert(cursor: Any, position: int, event: Any) -> None:
    common = (
        event.access_id,
        position,
        event.record_id,
        event.recorded_by.user_id,
        event.recorded_by.role.value,
        event.recorded_by.organisation,
        event.recorded_at,
    )
    if isinstance(event, RecordAccessed):
        cursor.execute(
            """INSERT INTO access_log (access_id, position, record_id, user_id, role, organisation, at, kind,
                   operation, purpose, granted, version_shown, refusal_reason, via_break_glass)
               VALUES (%s, %s, %s, %s, %s, %s, %s, 'read', %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING""",
            (
                *common,
                event.operation,
                event.purpose,
                event.granted,
                event.version_shown,
                event.refusal_reason,
                event.via_break_glass,
            ),
        )
    elif isinstance(event, BreakGlassAccessStarted):
        cursor.execute(
            """INSERT INTO access_log (access_id, position, record_id, user_id, role, organisation, at, kind,
                   operation, purpose, granted, expires_at)
               VALUES (%s, %s, %s, %s, %s, %s, %s, 'break-glass', 'breakGlass', %s, true, %s)
               ON CONFLICT DO NOTHING""",
            (*common, event.reason, event.expires_at),
        )
    elif isinstance(event, BreakGlassAccessReviewed):
        cursor.execute(
            """UPDATE access_log SET reviewed_at = %s, review_appropriate = %s
               WHERE access_id = %s AND kind = 'break-glass'""",
            (event.recorded_at, event.appropriate, event.reviewed_access_id),
        )
    elif isinstance(event, PeopleSearched):
        for record_id in event.record_ids or ():
            cursor.execute(
                """INSERT INTO access_log (access_id, position, record_id, user_id, role, organisation, at, kind,
                       operation, purpose, granted)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, 'search', 'searchPeople', %s, true) ON CONFLICT DO NOTHING""",
                (event.access_id, position, record_id, *common[3:], event.purpose),
            )
