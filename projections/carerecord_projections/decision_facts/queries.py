"""What the plan's page asks of the decision facts: the concerns raised about a person's plans and not yet
resolved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from carerecord_projections.database import transaction


@dataclass(frozen=True)
class OpenConcern:
    concern_id: UUID
    plan_id: UUID | None  # None: about the record as a whole, not one plan
    raised_by: str
    raised_at: datetime


class ConcernQueries:
    _dsn: str

    def open_concerns(self, record_id: UUID) -> list[OpenConcern]:
        """The person's concerns not yet resolved, earliest first."""
        with transaction(self._dsn) as cursor:
            cursor.execute(
                "SELECT concern_id, plan_id, raised_by, raised_at FROM concern_facts "
                "WHERE record_id = %s AND resolved_at IS NULL ORDER BY raised_at",
                (record_id,),
            )
            return [OpenConcern(*row) for row in cursor.fetchall()]
