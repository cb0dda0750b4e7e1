"""Who has received what: for each decision or revocation recorded in the period and each other organisation
caring for the person then, when that organisation first received it, by a feed delivery or a read."""

from __future__ import annotations

from typing import Any

from carerecord_projections.oversight.queries.scope import relationships_in_scope
from carerecord_projections.oversight.rules.scope import Period, Scope

RECEIPTS = """
    WITH notices AS (
        SELECT t.record_id, t.version, t.event_id, t.event_type, t.recorded_at, t.recorded_by_organisation
        FROM person_timeline t
        WHERE t.event_type IN ('RecommendationMade', 'PlanRevoked') AND NOT t.entered_in_error
          AND t.recorded_at >= %s AND t.recorded_at < %s),
    expected AS (
        SELECT n.*, r.organisation, r.setting FROM notices n JOIN care_relationships r
          ON r.record_id = n.record_id AND r.started_at <= n.recorded_at
         AND (r.ended_at IS NULL OR r.ended_at > n.recorded_at)
         AND r.organisation <> n.recorded_by_organisation
        WHERE {where})
    SELECT e.record_id, e.version, e.event_id, e.event_type, e.recorded_at, e.organisation, e.setting,
           least((SELECT min(f.disclosed_at) FROM feed_disclosures f
                  WHERE f.organisation = e.organisation AND f.event_id = e.event_id),
                 (SELECT min(a.at) FROM access_log a
                  WHERE a.organisation = e.organisation AND a.record_id = e.record_id AND a.granted
                    AND a.version_shown >= e.version AND a.at >= e.recorded_at)) AS first_receipt
    FROM expected e"""


def receipts(cursor: Any, scope: Scope, period: Period) -> list[dict[str, Any]]:
    """The receipt rows (see rules/figures.py), earliest first."""
    where, parameters = relationships_in_scope(scope)
    cursor.execute(
        RECEIPTS.format(where=where) + " ORDER BY e.recorded_at, e.organisation",
        [period.start, period.end, *parameters],
    )
    names = [column.name for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
