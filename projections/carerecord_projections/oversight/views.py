"""The oversight dashboard's figures for a region, an organisation or a setting over a period, their drill-downs,
blanket-decision alerts and equality monitoring: what the assurance teams' pages and API ask.

Every figure is counted from the read models by SQL (queries/), and every figure about decisions is defined
once, as a condition on `decision_facts`, so that its drill-down lists exactly the decisions it counted.
Anything that depends on time ("overdue", "not yet seen") is worked out against the query's clock, never stored."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from carerecord_projections.database import transaction
from carerecord_projections.oversight.queries import comparison, drill_downs, figures, patterns
from carerecord_projections.oversight.queries.decision_figures import decision_figures
from carerecord_projections.oversight.queries.receipts import receipts
from carerecord_projections.oversight.queries.staff_knowledge import staff_knowledge
from carerecord_projections.oversight.rules.blanket_alerts import BlanketAlert, BlanketThresholds
from carerecord_projections.oversight.rules.equality import EqualityTable
from carerecord_projections.oversight.rules.figures import AlertDecision, Dashboard, DrillDownRow
from carerecord_projections.oversight.rules.scope import Period, Scope
from carerecord_projections.schema import FEED_DDL, create_tables
from carerecord_projections.who_has_looked import ACCESS_LOG_DDL


def prepare_oversight(cursor: Any) -> None:
    """The tables the views read, created if this database has never had them (a fresh or embedded store)."""
    create_tables(cursor)  # takes the schema-changes lock
    cursor.execute(ACCESS_LOG_DDL)
    cursor.execute(FEED_DDL)


class OversightViews:
    def __init__(self, dsn: str, *, demo: bool = False) -> None:
        self._dsn = dsn
        self._demo = demo
        with transaction(dsn) as cursor:
            prepare_oversight(cursor)

    @property
    def demo(self) -> bool:
        """Whether this store holds the synthetic demo region."""
        return self._demo

    def dashboard(self, scope: Scope, period: Period, now: datetime) -> Dashboard:
        with transaction(self._dsn) as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            counted = decision_figures(cursor, scope, period)
            counted += figures.review_figures(cursor, scope, period, now)
            receipt_rows = receipts(cursor, scope, period)  # used by a figure and a timing: read once
            counted += figures.other_figures(cursor, scope, period, receipt_rows)
            timings = figures.timings(cursor, scope, period, now, receipt_rows)
            charts = figures.charts(cursor, scope, period)
            unregistered = figures.unregistered_organisations(cursor, period)
            knowledge = staff_knowledge(cursor, scope, period)
            compared = comparison.comparisons(cursor, scope, period)
            months = comparison.trend(cursor, scope, period)
        return Dashboard(
            scope,
            period,
            now,
            tuple(counted),
            tuple(charts),
            demo=self._demo,
            timings=tuple(timings),
            unregistered_organisations=tuple(unregistered),
            staff_knowledge=tuple(knowledge),
            comparisons=tuple(compared),
            trend=tuple(months),
        )

    def receipts(self, scope: Scope, period: Period) -> list[dict[str, Any]]:
        """For each decision or revocation recorded in the period and each other organisation caring for the
        person then: when that organisation first received it (feed delivery or a read), or None."""
        with transaction(self._dsn) as cursor:
            return receipts(cursor, scope, period)

    def drill_down(self, key: str, scope: Scope, period: Period, now: datetime) -> list[DrillDownRow]:
        """The decisions (or notices) behind a figure. The caller records the read; see the API."""
        drill_downs.check_drill_down(key)  # before a transaction is opened
        with transaction(self._dsn) as cursor:
            return drill_downs.drill_down(cursor, key, scope, period, now)

    def alert_decisions(self, plan_ids: Sequence[UUID]) -> list[AlertDecision]:
        """The decisions named by an alert, with the person and the board's latest finding."""
        with transaction(self._dsn) as cursor:
            return drill_downs.alert_decisions(cursor, plan_ids)

    def blanket_alerts(self, scope: Scope, period: Period) -> list[BlanketAlert]:
        return patterns.blanket_alerts(self._dsn, scope, period)

    def alerts_about(self, plan_id: UUID, organisation: str, made_at: datetime) -> list[BlanketAlert]:
        """The blanket-decision alerts that name this decision, looked for among its organisation's decisions
        made around it (a cluster spans at most the detector's window)."""
        window = BlanketThresholds().window
        period = Period(made_at - window, made_at + window + timedelta(seconds=1))
        alerts = patterns.blanket_alerts(self._dsn, Scope(organisation=organisation), period)
        return [alert for alert in alerts if plan_id in alert.plan_ids]

    def equality(self, scope: Scope, period: Period) -> EqualityTable:
        return patterns.equality_monitoring(self._dsn, scope, period)
