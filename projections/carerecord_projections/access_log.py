"""The access audit's read models, fed from its store: who has looked at a record (access_log), which requests
were refused (refused_requests) and what went to provider feeds (feed_disclosures). Each can be rebuilt from the
store; the store, not these tables, is what `carerecord verify` proves."""

from __future__ import annotations

import threading
from typing import Any

from carerecord_events.access import (
    BreakGlassAccessReviewed,
    BreakGlassAccessStarted,
    FeedDisclosed,
    PeopleSearched,
    RecordAccessed,
    RequestRefused,
)
from carerecord_projections.database import transaction
from carerecord_projections.refusals import DDL_LOCK, REFUSED_REQUESTS_DDL
from carerecord_projections.schema import FEED_DDL
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
            cursor.execute(DDL_LOCK)
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
                notifications = self._store.notifications(position + 1, limit)
                notifications = [n for n in notifications if stop_at is None or n.id <= stop_at]
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
    if isinstance(event, RequestRefused | FeedDisclosed):
        _insert_elsewhere(cursor, position, event)
        return
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


def _insert_elsewhere(cursor: Any, position: int, event: RequestRefused | FeedDisclosed) -> None:
    if isinstance(event, RequestRefused):
        cursor.execute(
            """INSERT INTO refused_requests (access_id, position, at, kind, reason, token_id, key_id, user_id,
                   role, organisation, operation, client_address)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING""",
            (
                event.access_id,
                position,
                event.recorded_at,
                event.kind,
                event.reason,
                event.token_id,
                event.key_id,
                event.user_id,
                event.role,
                event.organisation,
                event.operation,
                event.client_address,
            ),
        )
        return
    cursor.execute(
        """INSERT INTO feed_disclosures (organisation, record_id, event_id, position, event_type, disclosed_at)
           VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING""",
        (
            event.organisation,
            event.record_id,
            event.disclosed_event_id,
            event.position,
            event.event_type,
            event.recorded_at,
        ),
    )
