"""The figures about decisions, each defined once as a condition on `decision_facts` (`d`), so that its
drill-down lists exactly the decisions it counted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from carerecord_events.vocabulary import CprRecommendation
from carerecord_projections.oversight.queries.scope import decisions_in_scope
from carerecord_projections.oversight.rules.figures import Figure
from carerecord_projections.oversight.rules.scope import Period, Scope

DNACPR = CprRecommendation.DO_NOT_ATTEMPT_CPR.value


@dataclass(frozen=True)
class DecisionFigure:
    key: str
    section: str
    label: str
    condition: str
    out_of: str | None = None  # a condition on the same decisions, or None for a plain count


# Decisions made in the period, in scope. `d` is decision_facts.
DECISION_FIGURES = (
    DecisionFigure("decisions-made", "Decisions", "Recommendations made", "true"),
    DecisionFigure(
        "decisions-dnacpr", "Decisions", "Of which: do not attempt CPR", f"d.cpr = '{DNACPR}'", "true"
    ),
    DecisionFigure(
        "person-involved",
        "Involvement",
        "The person was involved in the decision",
        "d.person_involved",
        "true",
    ),
    DecisionFigure(
        "not-involved-reason-given",
        "Involvement",
        "The person was not involved, and the reason is recorded",
        "NOT d.person_involved AND d.reason_not_involved_given",
        "true",
    ),
    DecisionFigure(
        "not-involved-no-reason",
        "Involvement",
        "The person was not involved, and no reason is recorded",
        "NOT d.person_involved AND NOT d.reason_not_involved_given",
        "true",
    ),
    DecisionFigure(
        "lacking-capacity-consulted",
        "Involvement",
        "The person lacked capacity: a representative, family member or IMCA was consulted",
        "d.lacked_capacity AND d.consulted > 0",
        "d.lacked_capacity",
    ),
    DecisionFigure(
        # Refused since capacity is assessed for a coded decision; before that, an assessment worded
        # "cardiopulmonary resuscitation" was missed and such plans were accepted. They are counted here.
        "lacking-capacity-nobody-consulted",
        "Involvement",
        "The person lacked capacity: nobody was consulted and no reason is recorded",
        "d.lacked_capacity AND d.consulted = 0 AND NOT d.reason_no_one_consulted_given",
        "d.lacked_capacity",
    ),
    DecisionFigure(
        "awaiting-endorsement",
        "Endorsement",
        "Still awaiting senior endorsement",
        "d.needs_endorsement AND d.endorsed_at IS NULL AND d.status = 'active'",
        "d.needs_endorsement",
    ),
    DecisionFigure(
        "communicated", "Communication", "The decision was communicated", "d.communicated", "true"
    ),
    DecisionFigure(
        "reasoning-group-characteristic",
        "Reasoning",
        "The reasoning mentions a group characteristic (age, disability, where someone lives...)",
        "cardinality(d.reasoning_flags) > 0",
        "true",
    ),
)
DECISIONS_BY_KEY = {figure.key: figure for figure in DECISION_FIGURES}


def decision_figures(cursor: Any, scope: Scope, period: Period) -> list[Figure]:
    """Every decision figure, in one pass over the decisions made in the period."""
    where, parameters = decisions_in_scope(scope)
    columns = []
    for figure in DECISION_FIGURES:
        columns.append(f"count(*) FILTER (WHERE {figure.condition})")
        columns.append(f"count(*) FILTER (WHERE {figure.out_of or 'false'})")
    cursor.execute(
        f"""SELECT {", ".join(columns)} FROM decision_facts d
            WHERE d.made_at >= %s AND d.made_at < %s AND {where}""",
        [period.start, period.end, *parameters],
    )
    row = cursor.fetchone()
    return [
        figure_of(figure, row[2 * index], row[2 * index + 1]) for index, figure in enumerate(DECISION_FIGURES)
    ]


def figure_of(figure: DecisionFigure, count: int, out_of: int) -> Figure:
    return Figure(figure.key, figure.section, figure.label, count, out_of if figure.out_of else None)
