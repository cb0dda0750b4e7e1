"""The counts the comparison and the trend rest on (rules/comparison.py does the arithmetic). A compared measure
is a decision figure of decision_figures.py, by its key: the same condition the figure and its drill-down use."""

from __future__ import annotations

from datetime import date
from typing import Any

from carerecord_projections.oversight.queries.decision_figures import DECISIONS_BY_KEY
from carerecord_projections.oversight.queries.scope import decisions_in_scope
from carerecord_projections.oversight.rules.comparison import (
    Comparison,
    Month,
    OrganisationCount,
    compare,
)
from carerecord_projections.oversight.rules.scope import LONDON, Period, Scope

COMPARED = ("person-involved", "not-involved-no-reason", "reasoning-group-characteristic")
"""The decision figures organisations are compared on."""


def comparisons(cursor: Any, scope: Scope, period: Period) -> list[Comparison]:
    return [_comparison(cursor, key, scope, period) for key in COMPARED]


def _comparison(cursor: Any, key: str, scope: Scope, period: Period) -> Comparison:
    figure = DECISIONS_BY_KEY[key]
    where, parameters = decisions_in_scope(scope)
    cursor.execute(
        f"""SELECT d.organisation, coalesce(min(o.name), d.organisation),
                   count(*) FILTER (WHERE {figure.condition}), count(*) FILTER (WHERE {figure.out_of or "true"})
            FROM decision_facts d LEFT JOIN organisations o ON o.ods_code = d.organisation
            WHERE d.made_at >= %s AND d.made_at < %s AND {where}
            GROUP BY d.organisation""",
        [period.start, period.end, *parameters],
    )
    counts = [
        OrganisationCount(code, name, int(events), int(n)) for code, name, events, n in cursor.fetchall()
    ]
    return compare(key, figure.label, counts)


def trend(cursor: Any, scope: Scope, period: Period) -> list[Month]:
    """Each calendar month (Europe/London) the period touches: decisions made, with the person involved, and the
    median time to senior endorsement of those endorsed."""
    where, parameters = decisions_in_scope(scope)
    cursor.execute(
        f"""SELECT date_trunc('month', d.made_at AT TIME ZONE 'Europe/London')::date, count(*),
                   count(*) FILTER (WHERE d.person_involved),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM d.endorsed_at - d.made_at))
                     FILTER (WHERE d.needs_endorsement AND d.endorsed_at IS NOT NULL)
            FROM decision_facts d WHERE d.made_at >= %s AND d.made_at < %s AND {where}
            GROUP BY 1""",
        [period.start, period.end, *parameters],
    )
    found = {month: (int(n), int(involved), seconds) for month, n, involved, seconds in cursor.fetchall()}
    months = []
    for first in _months(period):
        n, involved, seconds = found.get(first, (0, 0, None))
        hours = None if seconds is None else round(float(seconds) / 3600.0, 1)
        months.append(Month(first, n, involved, hours))
    return months


def _months(period: Period) -> list[date]:
    start = period.start.astimezone(LONDON).date().replace(day=1)
    last = period.end.astimezone(LONDON).date()
    months = []
    while start < last:
        months.append(start)
        start = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return months
