"""What the API asks of the current plan, and the row it is answered with (a plain dataclass)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from carerecord_projections.database import transaction

COLUMNS = "record_id, nhs_number, given_name, family_name, date_of_birth, postcode, died, version, position, document"


@dataclass(frozen=True)
class PlanRow:
    record_id: UUID
    nhs_number: str
    given_name: str
    family_name: str
    date_of_birth: date
    postcode: str | None
    died: bool
    version: int
    position: int
    document: dict[str, Any]


class CurrentPlanQueries:
    """Mixed into the API's read models, which hold the connection string."""

    _dsn: str

    def current_plan(self, record_id: UUID) -> PlanRow | None:
        return self._plan("record_id = %s", record_id)

    def current_plan_by_nhs_number(self, nhs_number: str) -> PlanRow | None:
        return self._plan("nhs_number = %s", nhs_number)

    def _plan(self, where: str, value: object) -> PlanRow | None:
        with transaction(self._dsn) as cursor:
            cursor.execute(
                f"SELECT {COLUMNS} FROM current_plan WHERE {where}",
                (value,),
            )
            row = cursor.fetchone()
        return PlanRow(*row) if row else None

    def versions(self, record_ids: set[UUID]) -> dict[UUID, int]:
        """The current version of each record, as the read models have it."""
        if not record_ids:
            return {}
        with transaction(self._dsn) as cursor:
            cursor.execute(
                "SELECT record_id, version FROM current_plan WHERE record_id = ANY(%s)", (list(record_ids),)
            )
            return dict(cursor.fetchall())

    def search(self, family_name: str, date_of_birth: date, postcode: str, limit: int) -> list[PlanRow]:
        """Exact on date of birth and postcode (spaces ignored), case-insensitive on family name."""
        with transaction(self._dsn) as cursor:
            cursor.execute(
                f"SELECT {COLUMNS} FROM current_plan WHERE lower(family_name) = lower(%s) AND date_of_birth = %s "
                "AND replace(upper(postcode), ' ', '') = replace(upper(%s), ' ', '') LIMIT %s",
                (family_name, date_of_birth, postcode, limit),
            )
            return [PlanRow(*row) for row in cursor.fetchall()]
