"""What the plan's page asks of the decision facts: the concerns raised about a person's plans and not yet
resolved; and, for the person and their representative, every concern on their record with its progress."""

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


@dataclass(frozen=True)
class ConcernProgress:
    """A concern as the person who raised it follows it: what it says, when it was raised, and its resolution."""

    concern_id: UUID
    plan_id: UUID | None
    raised_by: str
    raised_at: datetime
    summary: str
    resolved_at: datetime | None
    resolution: str


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

    def concerns(self, record_id: UUID) -> list[ConcernProgress]:
        """Every concern on the person's record, newest first, resolved or not."""
        with transaction(self._dsn) as cursor:
            cursor.execute(
                "SELECT concern_id, plan_id, raised_by, raised_at, summary, resolved_at, resolution "
                "FROM concern_facts WHERE record_id = %s ORDER BY raised_at DESC, concern_id",
                (record_id,),
            )
            return [ConcernProgress(*row) for row in cursor.fetchall()]
