"""Questions the API asks of the read models. Queries never load aggregates."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from carerecord_projections.current_plan.queries import CurrentPlanQueries
from carerecord_projections.database import transaction


class ReadModels(CurrentPlanQueries):
    def __init__(self, dsn: str) -> None:
        self._dsn = dsn

    @property
    def dsn(self) -> str:
        return self._dsn

    def cares_for(self, organisation: str, record_id: UUID) -> bool:
        with transaction(self._dsn) as cursor:
            cursor.execute(
                "SELECT 1 FROM care_relationships WHERE record_id = %s AND organisation = %s AND ended_at IS NULL",
                (record_id, organisation),
            )
            return cursor.fetchone() is not None

    def break_glass_until(self, user_id: str, record_id: UUID, now: datetime) -> datetime | None:
        """When this user's current break-glass access to the record ends (computed when asked), if any."""
        with transaction(self._dsn) as cursor:
            cursor.execute(
                """SELECT max(expires_at) FROM access_log
                   WHERE kind = 'break-glass' AND user_id = %s AND record_id = %s AND expires_at > %s""",
                (user_id, record_id, now),
            )
            row = cursor.fetchone()
        return row[0] if row and row[0] else None

    def break_glass_access(self, access_id: UUID) -> tuple[UUID, bool] | None:
        """The record a break-glass access opened, and whether it has been reviewed; None if no such access."""
        with transaction(self._dsn) as cursor:
            cursor.execute(
                "SELECT record_id, reviewed_at IS NOT NULL FROM access_log WHERE access_id = %s AND kind = 'break-glass'",
                (access_id,),
            )
            row = cursor.fetchone()
        return (row[0], row[1]) if row else None

    def timeline(self, record_id: UUID, after_version: int, first: int) -> list[dict[str, Any]]:
        with transaction(self._dsn) as cursor:
            cursor.execute(
                """SELECT version, position, event_id, event_type, label, summary, occurred_at, recorded_at,
                          recorded_by_user, recorded_by_role, recorded_by_organisation, corrects_event_id,
                          entered_in_error
                   FROM person_timeline WHERE record_id = %s AND version > %s ORDER BY version LIMIT %s""",
                (record_id, after_version, first),
            )
            names = [column.name for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def access_history(self, record_id: UUID, limit: int = 200) -> list[dict[str, Any]]:
        with transaction(self._dsn) as cursor:
            cursor.execute(
                """SELECT access_id, kind, user_id, role, organisation, operation, purpose, granted, version_shown,
                          refusal_reason, via_break_glass, at, expires_at
                   FROM access_log WHERE record_id = %s ORDER BY at DESC LIMIT %s""",
                (record_id, limit),
            )
            names = [column.name for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def changes_for_organisation(
        self, organisation: str, after_position: int, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Timeline entries after a position, for the people the organisation cares for now."""
        with transaction(self._dsn) as cursor:
            cursor.execute(
                """SELECT t.position, t.record_id, t.version, t.event_type, t.label, t.summary, t.recorded_at
                   FROM person_timeline t
                   WHERE t.position > %s AND t.event_type <> 'ConcernRaised' AND t.event_type <> 'ConcernResolved'
                     AND EXISTS (SELECT 1 FROM care_relationships r WHERE r.record_id = t.record_id
                                 AND r.organisation = %s AND r.ended_at IS NULL)
                   ORDER BY t.position LIMIT %s""",
                (after_position, organisation, limit),
            )
            names = [column.name for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def accesses_between(self, record_id: UUID, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Every access to the record in [start, end), oldest first: reads, refusals, searches, break glass."""
        with transaction(self._dsn) as cursor:
            cursor.execute(
                """SELECT access_id, kind, user_id, role, organisation, operation, purpose, granted, version_shown,
                          refusal_reason, via_break_glass, at, expires_at
                   FROM access_log WHERE record_id = %s AND at >= %s AND at < %s ORDER BY at, position""",
                (record_id, start, end),
            )
            names = [column.name for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

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
            names = [column.name for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
