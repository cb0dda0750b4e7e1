"""The rows behind each figure: the decisions (or notices, accesses, relationships) it counted, each with why it
is listed. The caller records the read of every person listed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from carerecord_events.plain import describe_formats
from carerecord_events.vocabulary import InformationFormat, Setting
from carerecord_projections.oversight.queries.decision_figures import DECISIONS_BY_KEY
from carerecord_projections.oversight.queries.figures import (
    CONFLICTING,
    HAS_CONFLICTS,
    MOVES,
    NEEDING_ACCESSIBLE,
    OFFERED,
)
from carerecord_projections.oversight.queries.receipts import receipts
from carerecord_projections.oversight.queries.scope import (
    decisions_in_scope,
    has_table,
    organisations_in_scope,
)
from carerecord_projections.oversight.rules.figures import (
    AlertDecision,
    DrillDownRow,
    involvement_in_words,
    not_yet_seen,
    reasoning_opening,
)
from carerecord_projections.oversight.rules.scope import Period, Scope

_COLUMNS = "d.plan_id, d.record_id, d.organisation, d.setting, d.made_at, d.status"

DrillDown = Callable[[Any, str, Scope, Period, datetime], list[DrillDownRow]]


def drill_down(cursor: Any, key: str, scope: Scope, period: Period, now: datetime) -> list[DrillDownRow]:
    """The rows behind the figure `key`; KeyError for a figure that has none."""
    check_drill_down(key)
    if key in DECISIONS_BY_KEY:
        return _decisions_counted(cursor, key, scope, period, now)
    return _OTHERS[key](cursor, key, scope, period, now)


def check_drill_down(key: str) -> None:
    """KeyError, naming the choices, for a figure without a drill-down."""
    if key not in DRILL_DOWN_KEYS:
        raise KeyError(f"no drill-down {key!r}; choose one of {', '.join(DRILL_DOWN_KEYS)}")


def alert_decisions(cursor: Any, plan_ids: Sequence[UUID]) -> list[AlertDecision]:
    """The decisions named by an alert, with the person, the deciding organisation's name and the latest
    finding of the board."""
    cursor.execute(
        """SELECT d.plan_id, d.record_id, concat_ws(' ', p.given_name, p.family_name), p.nhs_number,
                  d.organisation, coalesce(o.name, d.organisation), d.made_at, d.status, d.reasoning,
                  d.person_involved, d.reason_not_involved_given, d.consulted,
                  (SELECT f.finding FROM board_findings f WHERE f.plan_id = d.plan_id
                   ORDER BY f.recorded_at DESC, f.finding_event_id LIMIT 1)
           FROM decision_facts d JOIN current_plan p USING (record_id)
           LEFT JOIN organisations o ON o.ods_code = d.organisation
           WHERE d.plan_id = ANY(%s) ORDER BY d.made_at, d.plan_id""",
        (list(plan_ids),),
    )
    return [_alert_decision(row) for row in cursor.fetchall()]


def _alert_decision(row: Any) -> AlertDecision:
    plan_id, record_id, name, nhs_number, organisation, organisation_name, made_at, status = row[:8]
    reasoning, involved, reason_given, consulted, finding = row[8:]
    return AlertDecision(
        plan_id=plan_id,
        record_id=record_id,
        person_name=name,
        nhs_number=nhs_number,
        organisation=organisation,
        organisation_name=organisation_name,
        made_at=made_at,
        status=status,
        reasoning_opening=reasoning_opening(reasoning),
        involvement=involvement_in_words(involved, reason_given, consulted),
        finding=finding,
    )


def _decisions_counted(
    cursor: Any, key: str, scope: Scope, period: Period, now: datetime
) -> list[DrillDownRow]:
    figure = DECISIONS_BY_KEY[key]
    where, parameters = decisions_in_scope(scope)
    cursor.execute(
        f"""SELECT {_COLUMNS} FROM decision_facts d
            WHERE d.made_at >= %s AND d.made_at < %s AND {where} AND {figure.condition}
            ORDER BY d.made_at, d.plan_id""",
        [period.start, period.end, *parameters],
    )
    return [_row(row, figure.label) for row in cursor.fetchall()]


def _reviews_overdue(
    cursor: Any, key: str, scope: Scope, period: Period, now: datetime
) -> list[DrillDownRow]:
    where, parameters = decisions_in_scope(scope)
    cursor.execute(
        f"""SELECT {_COLUMNS}, d.review_due FROM decision_facts d
            WHERE d.status = 'active' AND d.made_at < %s AND d.review_due < %s::date AND {where}
            ORDER BY d.review_due, d.plan_id""",
        [now, now, *parameters],
    )
    return [_row(row, f"review was due {row[6].isoformat()}") for row in cursor.fetchall()]


def _accessible_information(
    cursor: Any, key: str, scope: Scope, period: Period, now: datetime
) -> list[DrillDownRow]:
    offered = key == "accessible-information-offered"
    caring, parameters = organisations_in_scope(scope, "t.organisation")
    cursor.execute(
        f"""SELECT NULL, t.record_id, t.organisation, '', t.occurred_at,
                   CASE WHEN {OFFERED} THEN 'offered' ELSE 'not offered' END, t.formats_offered
            {NEEDING_ACCESSIBLE.format(caring=caring)} AND ({OFFERED}) = %s ORDER BY t.occurred_at""",
        [period.start, period.end, *parameters, offered],
    )
    return [
        _row(row, f"conversation: offered {_formats(row[6])}" if offered else "conversation: none offered")
        for row in cursor.fetchall()
    ]


def _formats(codes: list[str]) -> str:
    return describe_formats(InformationFormat(code) for code in codes)


def _conflicting_plans(
    cursor: Any, key: str, scope: Scope, period: Period, now: datetime
) -> list[DrillDownRow]:
    where, parameters = decisions_in_scope(scope)
    cursor.execute(
        f"""SELECT {_COLUMNS}, p.document->'plan_conflicts' {CONFLICTING.format(where=where)} AND {HAS_CONFLICTS}
            ORDER BY d.record_id, d.made_at, d.plan_id""",
        [period.end, *parameters],
    )
    return [_row(row, " ".join(c["description"] for c in row[6])) for row in cursor.fetchall()]


def _revocations(cursor: Any, key: str, scope: Scope, period: Period, now: datetime) -> list[DrillDownRow]:
    where, parameters = decisions_in_scope(scope)
    cursor.execute(
        f"""SELECT {_COLUMNS}, d.ended_at FROM decision_facts d
            WHERE d.status = 'revoked' AND d.ended_at >= %s AND d.ended_at < %s AND {where}
            ORDER BY d.ended_at, d.plan_id""",
        [period.start, period.end, *parameters],
    )
    return [_row(row, f"revoked {row[6].isoformat()}") for row in cursor.fetchall()]


def _moved(cursor: Any, key: str, scope: Scope, period: Period, now: datetime) -> list[DrillDownRow]:
    wanted = key == "moved-reviewed"
    where, parameters = decisions_in_scope(scope)
    cursor.execute(
        f"SELECT * FROM ({MOVES.format(where=where)}) m WHERE reviewed = %s ORDER BY moved_at",
        [period.start, period.end, *parameters, wanted],
    )
    since = "reviewed since" if wanted else "not reviewed since"
    return [_row(row, f"moved {row[6].isoformat()}, {since}") for row in cursor.fetchall()]


def _relationships_awaiting_review(
    cursor: Any, key: str, scope: Scope, period: Period, now: datetime
) -> list[DrillDownRow]:
    caring, parameters = organisations_in_scope(scope, "r.organisation")
    if not has_table(cursor, "relationships_for_review"):
        return []
    cursor.execute(
        f"""SELECT NULL, r.record_id, r.organisation, r.setting, r.started_at, 'awaiting review',
                   r.started_by, r.started_by_role, r.basis
            FROM relationships_for_review r WHERE NOT r.evidenced AND r.reviewed_at IS NULL
              AND r.started_at >= %s AND r.started_at < %s AND {caring} ORDER BY r.started_at""",
        [period.start, period.end, *parameters],
    )
    return [_row(row, f"started by {row[6]} ({row[7]}) on the basis '{row[8]}'") for row in cursor.fetchall()]


def _break_glass_awaiting_review(
    cursor: Any, key: str, scope: Scope, period: Period, now: datetime
) -> list[DrillDownRow]:
    accessor, parameters = organisations_in_scope(scope, "a.organisation")
    cursor.execute(
        f"""SELECT NULL, a.record_id, a.organisation, '', a.at, 'awaiting review', a.user_id, a.role,
                   a.purpose, a.access_id
            FROM access_log a WHERE a.kind = 'break-glass' AND a.reviewed_at IS NULL
              AND a.at >= %s AND a.at < %s AND {accessor} ORDER BY a.at""",
        [period.start, period.end, *parameters],
    )
    return [_row(row, f"access {row[9]} by {row[6]} ({row[7]}): {row[8]}") for row in cursor.fetchall()]


def _not_yet_seen(cursor: Any, key: str, scope: Scope, period: Period, now: datetime) -> list[DrillDownRow]:
    return not_yet_seen(receipts(cursor, scope, period), now)


_OTHERS: dict[str, DrillDown] = {
    "reviews-overdue": _reviews_overdue,
    "conflicting-plans": _conflicting_plans,
    "accessible-information-offered": _accessible_information,
    "accessible-information-not-offered": _accessible_information,
    "revocations": _revocations,
    "moved-reviewed": _moved,
    "moved-not-reviewed": _moved,
    "not-yet-seen": _not_yet_seen,
    "break-glass-awaiting-review": _break_glass_awaiting_review,
    "relationships-awaiting-review": _relationships_awaiting_review,
}


DRILL_DOWN_KEYS = tuple(DECISIONS_BY_KEY) + tuple(_OTHERS)


def _row(row: Any, label: str) -> DrillDownRow:
    plan_id, record_id, organisation, setting, made_at, status = row[:6]
    return DrillDownRow(
        plan_id, record_id, organisation, Setting(setting) if setting else None, made_at, status, label
    )
