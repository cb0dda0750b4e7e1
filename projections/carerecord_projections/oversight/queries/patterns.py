"""The inputs of the pattern rules, for a scope and a period: the do-not-attempt-CPR decisions the blanket-decision
detector looks at, and the people (with the registered population) that equality monitoring compares. The
rules themselves are pure (rules/blanket.py, rules/equality.py); this module only gathers what they need."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from carerecord_events.vocabulary import BoardFinding, RelationshipBasis
from carerecord_projections.database import transaction
from carerecord_projections.oversight.queries.decision_figures import DNACPR
from carerecord_projections.oversight.queries.scope import (
    decisions_in_scope,
    organisations_in_scope,
    people_in_scope,
)
from carerecord_projections.oversight.rules.blanket import detect_blanket_decisions
from carerecord_projections.oversight.rules.blanket_alerts import (
    AlertFinding,
    BlanketAlert,
    BlanketThresholds,
    DecisionUnderReview,
)
from carerecord_projections.oversight.rules.equality import EqualityTable, equality_table
from carerecord_projections.oversight.rules.equality_groups import (
    PersonForMonitoring,
    PopulationKey,
    age_band,
)
from carerecord_projections.oversight.rules.scope import Period, Scope


def blanket_alerts(
    dsn: str, scope: Scope, period: Period, thresholds: BlanketThresholds | None = None
) -> list[BlanketAlert]:
    """Alerts over the do-not-attempt-CPR recommendations made in the period (plus the organisations' history
    before it, which the detector uses to learn each organisation's usual rate)."""
    thresholds = thresholds or BlanketThresholds()
    history_from = period.start - thresholds.min_history_for_usual_rate - thresholds.window
    with transaction(dsn) as cursor:
        decisions = _decisions_under_review(cursor, scope, history_from, period.end)
        people_in_care = _people_in_care(cursor, scope)
        cursor.execute("SELECT ods_code, name, cqc_location FROM organisations")
        register = cursor.fetchall()
    names = {code: name for code, name, _ in register}
    cqc_locations = {code: location for code, _, location in register if location}
    alerts = detect_blanket_decisions(decisions, thresholds, people_in_care=people_in_care, names=names)
    with transaction(dsn) as cursor:
        return [
            replace(
                alert,
                findings=_findings(cursor, alert.plan_ids),
                care_home_cqc_location=cqc_locations.get(alert.care_home) if alert.care_home else None,
            )
            for alert in alerts
            if alert.window_end >= period.start
        ]


def _findings(cursor: Any, plan_ids: tuple[Any, ...]) -> tuple[AlertFinding, ...]:
    """The latest finding recorded for each of the decisions, counted by finding, the most recent first."""
    cursor.execute(
        """WITH latest AS (
               SELECT DISTINCT ON (plan_id) plan_id, finding, notes, recorded_at, recorded_by FROM board_findings
               WHERE plan_id = ANY(%s) ORDER BY plan_id, recorded_at DESC, finding_event_id)
           SELECT finding, count(*)::integer, max(recorded_at),
                  (array_agg(recorded_by ORDER BY recorded_at DESC))[1],
                  (array_agg(notes ORDER BY recorded_at DESC))[1]
           FROM latest GROUP BY finding ORDER BY max(recorded_at) DESC""",
        [list(plan_ids)],
    )
    return tuple(AlertFinding(BoardFinding(row[0]), *row[1:]) for row in cursor.fetchall())


def _decisions_under_review(cursor: Any, scope: Scope, start: Any, end: Any) -> list[DecisionUnderReview]:
    where, parameters = decisions_in_scope(scope)
    cursor.execute(
        f"""SELECT d.plan_id, d.record_id, d.organisation, d.setting, d.author_user, d.made_at, d.reasoning,
                   d.reasoning_flags, p.given_name, p.family_name, p.document->>'preferred_name', d.cpr,
                   (SELECT c.organisation FROM care_relationships c
                    WHERE c.record_id = d.record_id AND c.basis = %s AND c.started_at <= d.made_at
                      AND (c.ended_at IS NULL OR c.ended_at > d.made_at)
                    ORDER BY c.started_at DESC LIMIT 1)
            FROM decision_facts d JOIN current_plan p USING (record_id)
            WHERE d.cpr = %s AND d.status <> 'entered-in-error' AND d.made_at >= %s AND d.made_at < %s
              AND {where}""",
        [RelationshipBasis.RESIDENT_OF_CARE_HOME.value, DNACPR, start, end, *parameters],
    )
    return [_decision(row) for row in cursor.fetchall()]


def _decision(row: Any) -> DecisionUnderReview:
    return DecisionUnderReview(
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
        care_home=row[12] or "",
    )


def _people_in_care(cursor: Any, scope: Scope) -> dict[str, int]:
    caring, parameters = organisations_in_scope(scope, "organisation")
    cursor.execute(
        f"""SELECT organisation, count(DISTINCT record_id) FROM care_relationships
            WHERE ended_at IS NULL AND {caring} GROUP BY organisation""",
        parameters,
    )
    return dict(cursor.fetchall())


def equality_monitoring(dsn: str, scope: Scope, period: Period, minimum_cell: int = 5) -> EqualityTable:
    """People in scope (alive at the end of the period) and whether they had an active do-not-attempt-CPR
    recommendation at any time in the period, against the registered population of the boards in scope."""
    on: date = period.end.date()
    with transaction(dsn) as cursor:
        people = _people_for_monitoring(cursor, scope, period, on)
        population = _registered_population(cursor, scope)
    return equality_table(
        people, population if not (scope.organisation or scope.setting) else None, minimum_cell=minimum_cell
    )


def _people_for_monitoring(cursor: Any, scope: Scope, period: Period, on: date) -> list[PersonForMonitoring]:
    people_sql, parameters = people_in_scope(scope)
    cursor.execute(
        f"""SELECT p.date_of_birth, p.document->'equality',
                   EXISTS (SELECT 1 FROM decision_facts d WHERE d.record_id = p.record_id AND d.cpr = %s
                           AND d.made_at < %s AND (d.ended_at IS NULL OR d.ended_at >= %s)
                           AND d.status <> 'entered-in-error')
            FROM current_plan p WHERE p.record_id IN ({people_sql}) AND p.date_of_birth <= %s""",
        [DNACPR, period.end, period.start, *parameters, on],
    )
    return [_person(row, on) for row in cursor.fetchall()]


def _registered_population(cursor: Any, scope: Scope) -> dict[PopulationKey, int]:
    boards, parameters = _boards(scope)
    cursor.execute(
        f"""SELECT age_band, sex, ethnicity, sum(people)::integer FROM registered_population
            WHERE {boards} GROUP BY 1, 2, 3""",
        parameters,
    )
    return {(band, sex, ethnicity): count for band, sex, ethnicity, count in cursor.fetchall()}


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
