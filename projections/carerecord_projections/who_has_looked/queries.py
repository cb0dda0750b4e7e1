"""What the API and investigations ask of who has looked at a record: the access log (reads, refusals,
searches, break glass) and what the feeds disclosed."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from carerecord_projections.database import dicts, rows, transaction


class AccessQueries:
    """Mixed into the API's read models, which hold the connection string."""

    _dsn: str

    def break_glass_access(self, access_id: UUID) -> tuple[UUID, bool] | None:
        """The record a break-glass access opened, and whether it has been reviewed; None if no such access."""
        found = rows(
            self._dsn,
            "SELECT record_id, reviewed_at IS NOT NULL AS reviewed FROM access_log "
            "WHERE access_id = %s AND kind = 'break-glass'",
            (access_id,),
        )
        return (found[0]["record_id"], found[0]["reviewed"]) if found else None

    def access_history(
        self, record_id: UUID, after: int | None, before: int | None, limit: int, from_end: bool
    ) -> list[tuple[int, dict[str, Any]]]:
        """Who has looked, newest first, each with its position in the access audit: those strictly between
        two positions in that order (after: older than; before: newer than; none: no bound), the first
        `limit` of them, or the last `limit` when `from_end`."""
        found = rows(
            self._dsn,
            f"""SELECT access_id, kind, user_id, name, role, organisation, operation, purpose, granted,
                          version_shown, refusal_reason, via_break_glass, at, expires_at, position
                   FROM access_log WHERE record_id = %s AND position < %s AND position > %s
                   ORDER BY position {"ASC" if from_end else "DESC"}, access_id LIMIT %s""",
            (record_id, 2**63 - 1 if after is None else after, -1 if before is None else before, limit),
        )
        return [(row.pop("position"), row) for row in (found[::-1] if from_end else found)]

    def accesses_between(self, record_id: UUID, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Every access to the record in [start, end), oldest first: reads, refusals, searches, break glass."""
        return rows(
            self._dsn,
            """SELECT access_id, kind, user_id, role, organisation, operation, purpose, granted, version_shown,
                          refusal_reason, via_break_glass, at, expires_at
                   FROM access_log WHERE record_id = %s AND at >= %s AND at < %s ORDER BY at, position""",
            (record_id, start, end),
        )

    def access_position(self, access_id: UUID) -> int | None:
        """Where the access audit store holds this access (the store, not this table, says what it was)."""
        with transaction(self._dsn) as cursor:
            cursor.execute("SELECT position FROM access_log WHERE access_id = %s", (access_id,))
            row = cursor.fetchone()
            return int(row[0]) if row else None

    def disclosures_between(self, record_id: UUID, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """What the feeds router sent to provider organisations in [start, end), oldest first; none where no
        feeds router has run."""
        with transaction(self._dsn) as cursor:
            cursor.execute("SELECT to_regclass('feed_disclosures') IS NOT NULL")
            if not cursor.fetchone()[0]:
                return []
            cursor.execute(
                """SELECT organisation, event_id, position, event_type, disclosed_at FROM feed_disclosures
                   WHERE record_id = %s AND disclosed_at >= %s AND disclosed_at < %s
                   ORDER BY disclosed_at, position, organisation""",
                (record_id, start, end),
            )
            return dicts(cursor)
