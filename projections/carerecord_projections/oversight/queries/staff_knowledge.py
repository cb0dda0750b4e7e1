"""Each organisation in scope that reported training for the period or made decisions in it: its training
figures, and the decision figures (each the dashboard's own condition) of the decisions it made."""

from __future__ import annotations

from typing import Any

from carerecord_events.roles import Role
from carerecord_projections.oversight.queries.decision_figures import DECISION_FIGURES, figure_of
from carerecord_projections.oversight.queries.scope import (
    decisions_in_scope,
    has_table,
    organisations_in_scope,
)
from carerecord_projections.oversight.rules.scope import Period, Scope
from carerecord_projections.oversight.rules.staff_knowledge import (
    OrganisationKnowledge,
    TrainingRow,
    quarters_in,
)


def staff_knowledge(cursor: Any, scope: Scope, period: Period) -> list[OrganisationKnowledge]:
    training = _training(cursor, scope, period)
    decisions = _decisions(cursor, scope, period)
    names = _names(cursor, set(training) | set(decisions))
    return [
        OrganisationKnowledge(
            organisation=code,
            name=names.get(code, code),
            training=tuple(training.get(code, ())),
            decisions=tuple(decisions.get(code, _no_decisions())),
        )
        for code in sorted(set(training) | set(decisions))
    ]


def _training(cursor: Any, scope: Scope, period: Period) -> dict[str, list[TrainingRow]]:
    if not has_table(cursor, "staff_training"):
        return {}
    where, parameters = organisations_in_scope(scope, "t.organisation")
    cursor.execute(
        f"""SELECT t.organisation, t.quarter, t.role, t.staff, t.trained_in_advance_care_planning,
                   t.trained_in_dnacpr_conversations
            FROM staff_training t WHERE t.quarter = ANY(%s) AND {where}
            ORDER BY t.organisation, t.quarter, t.role""",
        [quarters_in(period), *parameters],
    )
    found: dict[str, list[TrainingRow]] = {}
    for organisation, quarter, role, *counts in cursor.fetchall():
        found.setdefault(organisation, []).append(TrainingRow(quarter, Role(role), *counts))
    return found


def _decisions(cursor: Any, scope: Scope, period: Period) -> dict[str, list[Any]]:
    where, parameters = decisions_in_scope(scope)
    columns = []
    for figure in DECISION_FIGURES:
        columns.append(f"count(*) FILTER (WHERE {figure.condition})")
        columns.append(f"count(*) FILTER (WHERE {figure.out_of or 'false'})")
    cursor.execute(
        f"""SELECT d.organisation, {", ".join(columns)} FROM decision_facts d
            WHERE d.made_at >= %s AND d.made_at < %s AND {where} GROUP BY d.organisation""",
        [period.start, period.end, *parameters],
    )
    return {
        organisation: [
            figure_of(figure, counts[2 * index], counts[2 * index + 1])
            for index, figure in enumerate(DECISION_FIGURES)
        ]
        for organisation, *counts in cursor.fetchall()
    }


def _no_decisions() -> list[Any]:
    return [figure_of(figure, 0, 0) for figure in DECISION_FIGURES]


def _names(cursor: Any, codes: set[str]) -> dict[str, str]:
    if not codes or not has_table(cursor, "organisations"):
        return {}
    cursor.execute("SELECT ods_code, name FROM organisations WHERE ods_code = ANY(%s)", (sorted(codes),))
    return dict(cursor.fetchall())
