"""Questions the API asks of the read models, each answered by the read model it belongs to. Queries never
load aggregates."""

from __future__ import annotations

from collections.abc import Iterable

from carerecord_projections.current_plan.queries import CurrentPlanQueries
from carerecord_projections.decision_facts.queries import ConcernQueries
from carerecord_projections.person_timeline.queries import TimelineQueries
from carerecord_projections.reference import organisation_names
from carerecord_projections.who_has_looked.queries import AccessQueries


class ReadModels(CurrentPlanQueries, TimelineQueries, AccessQueries, ConcernQueries):
    def __init__(self, dsn: str) -> None:
        self._dsn = dsn

    @property
    def dsn(self) -> str:
        return self._dsn

    def organisation_names(self, codes: Iterable[str]) -> dict[str, str]:
        """Organisations' names from the register, by ODS code (a code it does not hold is left out)."""
        return organisation_names(self._dsn, codes)
