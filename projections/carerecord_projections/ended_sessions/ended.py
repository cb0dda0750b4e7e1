"""Portal sessions that have ended: signing out ends a session on the server, so a saved cookie (and its CSRF
token) stops working at once, on every API process that shares the database.

Not a read model (nothing rebuilds it from events): one row per ended session, holding only the session's
random id and until when its cookie could have been used; rows past that are removed as new ones come.
"""

from __future__ import annotations

from datetime import UTC, datetime

from carerecord_projections.database import transaction
from carerecord_services.schema_changes import lock_schema_changes

ENDED_SESSIONS_DDL = """
CREATE TABLE IF NOT EXISTS portal_sessions_ended (
    session_id text PRIMARY KEY,
    until timestamptz NOT NULL
);
"""


class EndedSessions:
    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        with transaction(dsn) as cursor:
            lock_schema_changes(cursor)
            cursor.execute(ENDED_SESSIONS_DDL)

    def end(self, session_id: str, until: float) -> None:
        with transaction(self._dsn) as cursor:
            cursor.execute("DELETE FROM portal_sessions_ended WHERE until < now()")
            cursor.execute(
                "INSERT INTO portal_sessions_ended VALUES (%s, %s) ON CONFLICT DO NOTHING",
                (session_id, datetime.fromtimestamp(until, UTC)),
            )

    def has_ended(self, session_id: str) -> bool:
        with transaction(self._dsn) as cursor:
            cursor.execute("SELECT 1 FROM portal_sessions_ended WHERE session_id = %s", (session_id,))
            return cursor.fetchone() is not None
