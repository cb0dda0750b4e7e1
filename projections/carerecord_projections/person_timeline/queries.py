"""What the API asks of a person's timeline: the entries of one record, and the changes an organisation's
subscribers are told of."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from carerecord_projections.database import rows


class TimelineQueries:
    """Mixed into the API's read models, which hold the connection string."""

    _dsn: str

    def timeline(
        self,
        record_id: UUID,
        after_version: int | None,
        before_version: int | None,
        limit: int,
        from_end: bool,
    ) -> list[tuple[int, dict[str, Any]]]:
        """The entries strictly between two versions (none: no bound), oldest first: the first `limit` of
        them, or the last `limit` when `from_end`; each with its version."""
        found = rows(
            self._dsn,
            f"""SELECT version, position, event_id, event_type, label, summary, occurred_at, recorded_at,
                          recorded_by_user, recorded_by_role, recorded_by_organisation, corrects_event_id,
                          entered_in_error
                   FROM person_timeline WHERE record_id = %s AND version > %s AND version < %s
                   ORDER BY version {"DESC" if from_end else "ASC"} LIMIT %s""",
            (record_id, after_version or 0, before_version or 2**31 - 1, limit),
        )
        return [(row["version"], row) for row in (found[::-1] if from_end else found)]

    def changes_for_organisation(
        self, organisation: str, after_position: int, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Timeline entries after a position, for the people the organisation cares for now."""
        return rows(
            self._dsn,
            """SELECT t.position, t.record_id, t.version, t.event_type, t.label, t.summary, t.recorded_at
                   FROM person_timeline t
                   WHERE t.position > %s AND t.event_type <> 'ConcernRaised' AND t.event_type <> 'ConcernResolved'
                     AND EXISTS (SELECT 1 FROM care_relationships r WHERE r.record_id = t.record_id
                                 AND r.organisation = %s AND r.ended_at IS NULL)
                   ORDER BY t.position LIMIT %s""",
            (after_position, organisation, limit),
        )
