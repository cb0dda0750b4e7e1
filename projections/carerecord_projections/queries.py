"""Questions the API asks of the read models, each answered by the read model it belongs to. Queries never
load aggregates."""

from __future__ import annotations

from carerecord_projections.current_plan.queries import CurrentPlanQueries
from carerecord_projections.person_timeline.queries import TimelineQueries
from carerecord_projections.who_has_looked.queries import AccessQueries


class ReadModels(CurrentPlanQueries, TimelineQueries, AccessQueries):
    def __init__(self, dsn: str) -> None:
        self._dsn = dsn

    @property
    def dsn(self) -> str:
        return self._dsn
