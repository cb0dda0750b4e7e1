"""The read models behind the pattern views: blanket-decision alerts and equality monitoring for a scope and a
period. The rules themselves are pure (blanket.py, equality.py); this module only gathers their inputs."""

from __future__ import annotations

from datetime import date
from typing import Any

from carerecord_projections.database import transaction
from carerecord_projections.oversight.blanket import (
    BlanketAlert,
    BlanketThresholds,
    DecisionUnderReview,
    detect_blanket_decisions,
)
from carerecord_projections.oversight.equality import (
    EqualityTable,
    PersonForMonitoring,
    age_band,
    equality_table,
)
from carerecord_projections.oversight.figures import (
    DNACPR,
    Period,
    Scope,
    decisions_in_scope,
    organisations_in_scope,
    people_in_scope,
)


def blanket_alerts(
    dsn: str, scope: Scope, period: Period, thresholds: BlanketThresholds | None = None
) -> list[BlanketAlert]:
    """Alerts over the do-not-attempt-CPR recommendations made in the period (plus the organisations' history
    before it, which the detector uses to learn each organisation's usual rate)."""
    thresholds = thresholds or BlanketThresholds()
    where, parameters = decisions_in_scope(scope)
    history_from = period.start - thresholds.min_history_for_usual_rate - thresholds.window
    with transaction(dsn) as cursor:
        cursor.execute(
            f"""SELECT d.plan_id, d.record_id, d.organisation, d.setting, d.author_user, d.made_at, d.reasoning,
                       d.reasoning_flags, p.given_name, p.family_name, p.document->>'preferred_name', d.cpr
                FROM decision_facts d JOIN current_plan p USING (record_id)
                WHERE d.cpr = %s AND d.status <> 'entered-in-error' AND d.made_at >= %s AND d.made_at < %s
                  AND {where}""",
            [DNACPR, history_from, period.end, *parameters],
        )
        decisions = [
            DecisionUnderReview(
                plan_id=row[0],
                record_id=row[1],
                organisation=row[2],
                setting=row[3],
                author=row[4],
                made_at=row[5],
                reasoning=row[6],
                reasoning_flags=tuple(row[7]),
                person_names=tuple(name for name in row[8:11] if name),
                cpr=row[11],
            )
            for row in cursor.fetchall()
        ]
        caring, caring_parameters = organisations_in_scope(scope, "organisation")
        cursor.execute(
            f"""SELECT organisation, count(DISTINCT record_id) FROM care_relationships
                WHERE ended_at IS NULL AND {caring} GROUP BY organisation""",
            caring_parameters,
        )
        people_in_care = dict(cursor.fetchall())
    alerts = detect_blanket_decisions(decisions, thresholds, people_in_care=people_in_care)
    return [alert for alert in alerts if alert.window_end >= period.start]


def equality_monitoring(dsn: str, scope: Scope, period: Period, minimum_cell: int = 5) -> EqualityTable:
    """People in scope (alive at the end of the period) and whether they had an active do-not-attempt-CPR
    recommendation at any time in the period, against the registered population of the boards in scope."""
    on: date = period.end.date()
    people_sql, parameters = people_in_scope(scope)
    with transaction(dsn) as cursor:
        cursor.execute(
            f"""SELECT p.date_of_birth, p.document->'equality',
                       EXISTS (SELECT 1 FROM decision_facts d WHERE d.record_id = p.record_id AND d.cpr = %s
                               AND d.made_at < %s AND (d.ended_at IS NULL OR d.ended_at >= %s)
                               AND d.status <> 'entered-in-error')
                FROM current_plan p WHERE p.record_id IN ({people_sql}) AND p.date_of_birth <= %s""",
            [DNACPR, period.end, period.start, *parameters, on],
        )
        people = [_person(row, on) for row in cursor.fetchall()]
        boards, board_parameters = _boards(scope)
        cursor.execute(
            f"""SELECT age_band, sex, ethnicity, sum(people)::integer FROM registered_population
                WHERE {boards} GROUP BY 1, 2, 3""",
            board_parameters,
        )
        population = {(band, sex, ethnicity): count for band, sex, ethnicity, count in cursor.fetchall()}
    return equality_table(
        people, population if not (scope.organisation or scope.setting) else None, minimum_cell=minimum_cell
    )


def _person(row: Any, on: date) -> PersonForMonitoring:
    born, equality, has_dnacpr = row
    equality = equality or {}
    return PersonForMonitoring(
        age_band=age_band(born, on),
        has_dnacpr=has_dnacpr,
        sex=equality.get("sex"),
        ethnicity=equality.get("ethnicity"),
        disability=equality.get("disability"),
        learning_disability=equality.get("learning_disability"),
        autism=equality.get("autism"),
        dementia=equality.get("dementia"),
    )


def _boards(scope: Scope) -> tuple[str, list[Any]]:
    """The registered population that matches a scope: a board's own, or the whole region's. An organisation or
    a setting has no registered population of its own (the comparison is then with the people in the record)."""
    if scope.region:
        return (
            "icb_code IN (SELECT icb_code FROM organisations WHERE icb_code = upper(%s) OR region = %s) "
            "OR icb_code = upper(%s)",
            [scope.region, scope.region, scope.region],
        )
    return "true", []
