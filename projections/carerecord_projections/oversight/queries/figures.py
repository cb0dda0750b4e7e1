"""The dashboard's other figures, timings and charts, counted from the read models in the caller's transaction:
reviews, moves between settings, revocations, concerns, break glass, care relationships, and who received what."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from carerecord_projections.oversight.queries.scope import (
    decisions_in_scope,
    has_table,
    organisations_in_scope,
    people_in_scope,
)
from carerecord_projections.oversight.rules.figures import (
    Chart,
    Figure,
    Receipt,
    Timing,
    receipt_timings,
    received,
    timing_from_centiles,
)
from carerecord_projections.oversight.rules.scope import Period, Scope

# Plans whose person started being cared for in another setting in the period, and whether they were reviewed
# since; `d` is decision_facts, `r` the care relationship that moved them.
MOVES = """SELECT DISTINCT ON (d.plan_id) d.plan_id, d.record_id, d.organisation, d.setting, d.made_at,
                  d.status, r.started_at AS moved_at,
                  EXISTS (SELECT 1 FROM review_facts v WHERE v.plan_id = d.plan_id
                          AND v.reviewed_at >= r.started_at) AS reviewed
           FROM decision_facts d JOIN care_relationships r
             ON r.record_id = d.record_id AND r.started_at > d.made_at AND r.setting <> d.setting
           WHERE r.started_at >= %s AND r.started_at < %s AND d.status IN ('active', 'revoked', 'superseded')
             AND {where}
           ORDER BY d.plan_id, r.started_at"""

# Plans in force (`d`) on records whose current plan says its plans conflict (`p`, current_plan): worked out
# once, on the record, by facts.plan_conflicts, and counted here as it stands now.
CONFLICTING = """FROM decision_facts d JOIN current_plan p USING (record_id)
           WHERE d.status = 'active' AND d.made_at < %s AND {where}"""
HAS_CONFLICTS = "jsonb_array_length(coalesce(p.document->'plan_conflicts', '[]'::jsonb)) > 0"

# Conversations (`t`) with people whose record said, when the conversation was recorded, that they have a
# learning disability, dementia or a communication need (facts.needs_accessible_information).
NEEDING_ACCESSIBLE = """FROM conversation_facts t
           WHERE t.needs_accessible_information AND t.occurred_at >= %s AND t.occurred_at < %s AND {caring}"""
OFFERED = "cardinality(t.formats_offered) > 0"

_CENTILES = (
    "count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds), "
    "percentile_cont(0.9) WITHIN GROUP (ORDER BY seconds)"
)


def review_figures(cursor: Any, scope: Scope, period: Period, now: datetime) -> list[Figure]:
    overdue, due_in_period, with_due_date = _reviews_due(cursor, scope, period, now)
    reviews, on_time, with_due = _reviews_done(cursor, scope, period)
    moved, moved_reviewed = _moves(cursor, scope, period)
    return [
        Figure("reviews-due", "Reviews", "Reviews falling due in the period", due_in_period),
        Figure("reviews-done", "Reviews", "Reviews done in the period", reviews),
        Figure("reviews-on-time", "Reviews", "Reviews done by their due date", on_time, with_due),
        Figure(
            "reviews-overdue",
            "Reviews",
            "Overdue for review now (the list to act on)",
            overdue,
            with_due_date,
        ),
        Figure(
            "moved-reviewed",
            "Reviews",
            "Plans reviewed after the person moved to another setting",
            moved_reviewed,
            moved,
        ),
    ]


def _reviews_due(cursor: Any, scope: Scope, period: Period, now: datetime) -> tuple[int, int, int]:
    where, parameters = decisions_in_scope(scope)
    cursor.execute(
        f"""SELECT count(*) FILTER (WHERE d.review_due < %s::date),
                   count(*) FILTER (WHERE d.review_due >= %s::date AND d.review_due < %s::date),
                   count(*) FILTER (WHERE d.review_due IS NOT NULL)
            FROM decision_facts d WHERE d.status = 'active' AND d.made_at < %s AND {where}""",
        [now, period.start, period.end, now, *parameters],
    )
    overdue, due_in_period, with_due_date = cursor.fetchone()
    return overdue, due_in_period, with_due_date


def _reviews_done(cursor: Any, scope: Scope, period: Period) -> tuple[int, int, int]:
    where, parameters = decisions_in_scope(scope)
    cursor.execute(
        f"""SELECT count(*), count(*) FILTER (WHERE r.was_due IS NOT NULL AND r.reviewed_at::date <= r.was_due),
                   count(*) FILTER (WHERE r.was_due IS NOT NULL)
            FROM review_facts r JOIN decision_facts d USING (plan_id)
            WHERE r.reviewed_at >= %s AND r.reviewed_at < %s AND {where}""",
        [period.start, period.end, *parameters],
    )
    reviews, on_time, with_due = cursor.fetchone()
    return reviews, on_time, with_due


def _moves(cursor: Any, scope: Scope, period: Period) -> tuple[int, int]:
    where, parameters = decisions_in_scope(scope)
    cursor.execute(
        f"SELECT count(*), count(*) FILTER (WHERE reviewed) FROM ({MOVES.format(where=where)}) m",
        [period.start, period.end, *parameters],
    )
    moved, reviewed = cursor.fetchone()
    return moved, reviewed


def other_figures(cursor: Any, scope: Scope, period: Period, receipts: Sequence[Receipt]) -> list[Figure]:
    concerns, resolved = _concerns(cursor, scope, period)
    break_glass, break_glass_unreviewed = _break_glass(cursor, scope, period)
    relationships, unevidenced, awaiting = _relationships(cursor, scope, period)
    conflicting, with_plans = _conflicting_plans(cursor, scope, period)
    offered, needing = _accessible_information(cursor, scope, period)
    return [
        Figure(
            "accessible-information-offered",
            "Accessible information",
            "Conversations with people with a learning disability, dementia or a recorded communication need "
            "where information was offered in an accessible format (easy read, large print, British Sign "
            "Language, an interpreter, braille, audio)",
            offered,
            needing,
        ),
        Figure(
            "conflicting-plans",
            "Conflicting plans",
            "People whose plans in force conflict now (more than one in force, CPR recommendations that "
            "disagree, or CPR recommended beside a valid advance decision refusing it)",
            conflicting,
            with_plans,
        ),
        Figure(
            "revocations",
            "Revocations",
            "Recommendations revoked in the period",
            _revocations(cursor, scope, period),
        ),
        Figure("concerns-raised", "Concerns", "Concerns raised (by the person, family or staff)", concerns),
        Figure("concerns-resolved", "Concerns", "Of which resolved", resolved, concerns),
        Figure(
            "break-glass-awaiting-review",
            "Access",
            "Break-glass accesses (emergency access without a care relationship) awaiting review",
            break_glass_unreviewed,
            break_glass,
        ),
        Figure("relationships-started", "Sharing", "Care relationships started", relationships),
        Figure(
            "relationships-awaiting-review",
            "Access",
            "Care relationships started without evidence the record held, awaiting a privacy officer's review",
            awaiting,
            unevidenced,
        ),
        Figure(
            "notices-received",
            "Sharing",
            "Decisions and revocations seen by every organisation caring for the person",
            received(receipts),
            len(receipts),
        ),
    ]


def _accessible_information(cursor: Any, scope: Scope, period: Period) -> tuple[int, int]:
    """(offered information in an accessible format, of the conversations with people who need it)."""
    caring, parameters = organisations_in_scope(scope, "t.organisation")
    cursor.execute(
        f"SELECT count(*) FILTER (WHERE {OFFERED}), count(*) {NEEDING_ACCESSIBLE.format(caring=caring)}",
        [period.start, period.end, *parameters],
    )
    offered, needing = cursor.fetchone()
    return int(offered), int(needing)


def _conflicting_plans(cursor: Any, scope: Scope, period: Period) -> tuple[int, int]:
    """(people whose plans in force conflict, people with a plan in force) at the end of the period."""
    where, parameters = decisions_in_scope(scope)
    cursor.execute(
        f"""SELECT count(DISTINCT d.record_id) FILTER (WHERE {HAS_CONFLICTS}), count(DISTINCT d.record_id)
            {CONFLICTING.format(where=where)}""",
        [period.end, *parameters],
    )
    conflicting, with_plans = cursor.fetchone()
    return int(conflicting), int(with_plans)


def _revocations(cursor: Any, scope: Scope, period: Period) -> int:
    where, parameters = decisions_in_scope(scope)
    cursor.execute(
        f"""SELECT count(*) FROM decision_facts d
            WHERE d.status = 'revoked' AND d.ended_at >= %s AND d.ended_at < %s AND {where}""",
        [period.start, period.end, *parameters],
    )
    return int(cursor.fetchone()[0])


def _concerns(cursor: Any, scope: Scope, period: Period) -> tuple[int, int]:
    people, parameters = people_in_scope(scope)
    cursor.execute(
        f"""SELECT count(*), count(*) FILTER (WHERE c.resolved_at IS NOT NULL)
            FROM concern_facts c WHERE c.raised_at >= %s AND c.raised_at < %s AND c.record_id IN ({people})""",
        [period.start, period.end, *parameters],
    )
    concerns, resolved = cursor.fetchone()
    return concerns, resolved


def _break_glass(cursor: Any, scope: Scope, period: Period) -> tuple[int, int]:
    accessor, parameters = organisations_in_scope(scope, "a.organisation")
    cursor.execute(
        f"""SELECT count(*), count(*) FILTER (WHERE a.reviewed_at IS NULL) FROM access_log a
            WHERE a.kind = 'break-glass' AND a.at >= %s AND a.at < %s AND {accessor}""",
        [period.start, period.end, *parameters],
    )
    accesses, unreviewed = cursor.fetchone()
    return accesses, unreviewed


def _relationships(cursor: Any, scope: Scope, period: Period) -> tuple[int, int, int]:
    """(started, of which without evidence, of which awaiting review) in the period."""
    caring, parameters = organisations_in_scope(scope, "r.organisation")
    cursor.execute(
        f"""SELECT count(*) FROM care_relationships r
            WHERE r.started_at >= %s AND r.started_at < %s AND {caring}""",
        [period.start, period.end, *parameters],
    )
    started = cursor.fetchone()[0]
    unevidenced, awaiting = _relationships_for_review(cursor, caring, [period.start, period.end, *parameters])
    return started, unevidenced, awaiting


def _relationships_for_review(cursor: Any, caring: str, parameters: list[Any]) -> tuple[int, int]:
    """(started without evidence, of which awaiting review) in the period; none where the projection that
    lists them has not run (a Kafka deployment without its worker)."""
    if not has_table(cursor, "relationships_for_review"):
        return 0, 0
    cursor.execute(
        f"""SELECT count(*), count(*) FILTER (WHERE r.reviewed_at IS NULL) FROM relationships_for_review r
            WHERE NOT r.evidenced AND r.started_at >= %s AND r.started_at < %s AND {caring}""",
        parameters,
    )
    unevidenced, awaiting = cursor.fetchone()
    return int(unevidenced), int(awaiting)


def timings(
    cursor: Any, scope: Scope, period: Period, now: datetime, receipts: Sequence[Receipt]
) -> list[Timing]:
    return [
        timing_from_centiles(
            "time-to-endorsement",
            "Endorsement",
            "Time from decision to senior endorsement",
            _endorsement_centiles(cursor, scope, period),
        ),
        timing_from_centiles(
            "time-to-resolve-concern",
            "Concerns",
            "Time to resolve a concern",
            _resolution_centiles(cursor, scope, period),
        ),
        *receipt_timings(receipts, now),
    ]


def _endorsement_centiles(cursor: Any, scope: Scope, period: Period) -> tuple[Any, ...]:
    where, parameters = decisions_in_scope(scope)
    cursor.execute(
        f"""SELECT {_CENTILES} FROM (SELECT extract(epoch FROM d.endorsed_at - d.made_at) AS seconds
            FROM decision_facts d WHERE d.needs_endorsement AND d.endorsed_at IS NOT NULL
              AND d.made_at >= %s AND d.made_at < %s AND {where}) s""",
        [period.start, period.end, *parameters],
    )
    return tuple(cursor.fetchone())


def _resolution_centiles(cursor: Any, scope: Scope, period: Period) -> tuple[Any, ...]:
    people, parameters = people_in_scope(scope)
    cursor.execute(
        f"""SELECT {_CENTILES} FROM (SELECT extract(epoch FROM c.resolved_at - c.raised_at) AS seconds
            FROM concern_facts c WHERE c.resolved_at IS NOT NULL AND c.raised_at >= %s AND c.raised_at < %s
              AND c.record_id IN ({people})) s""",
        [period.start, period.end, *parameters],
    )
    return tuple(cursor.fetchone())


def charts(cursor: Any, scope: Scope, period: Period) -> list[Chart]:
    where, parameters = decisions_in_scope(scope)
    found = [
        _decision_chart(cursor, key, title, column, where, [period.start, period.end, *parameters])
        for key, title, column in (
            ("decisions-by-form-type", "Recommendations by form", "d.form_type"),
            ("decisions-by-setting", "Recommendations by setting", "d.setting"),
        )
    ]
    cursor.execute(
        f"""SELECT coalesce(d.revocation_initiated, 'not stated'), count(*) FROM decision_facts d
            WHERE d.status = 'revoked' AND d.ended_at >= %s AND d.ended_at < %s AND {where}
            GROUP BY 1 ORDER BY 2 DESC, 1""",
        [period.start, period.end, *parameters],
    )
    found.append(
        Chart(
            "revocations-by-initiator",
            "Revocations: who initiated them",
            tuple(cursor.fetchall()),
            "Revocations",
        )
    )
    found.append(_concerns_chart(cursor, scope, period))
    found.append(_relationships_chart(cursor, scope, period))
    return found


def _decision_chart(
    cursor: Any, key: str, title: str, column: str, where: str, parameters: list[Any]
) -> Chart:
    cursor.execute(
        f"""SELECT {column}, count(*) FROM decision_facts d
            WHERE d.made_at >= %s AND d.made_at < %s AND {where} GROUP BY 1 ORDER BY 2 DESC, 1""",
        parameters,
    )
    return Chart(key, title, tuple((str(name), count) for name, count in cursor.fetchall()))


def _concerns_chart(cursor: Any, scope: Scope, period: Period) -> Chart:
    people, parameters = people_in_scope(scope)
    cursor.execute(
        f"""SELECT c.raised_by, count(*) FROM concern_facts c
            WHERE c.raised_at >= %s AND c.raised_at < %s AND c.record_id IN ({people})
            GROUP BY 1 ORDER BY 2 DESC, 1""",
        [period.start, period.end, *parameters],
    )
    return Chart("concerns-by-raiser", "Concerns: who raised them", tuple(cursor.fetchall()), "Concerns")


def _relationships_chart(cursor: Any, scope: Scope, period: Period) -> Chart:
    caring, parameters = organisations_in_scope(scope, "r.organisation")
    cursor.execute(
        f"""SELECT r.started_by_role, count(*) FROM care_relationships r
            WHERE r.started_at >= %s AND r.started_at < %s AND {caring} GROUP BY 1 ORDER BY 2 DESC, 1""",
        [period.start, period.end, *parameters],
    )
    return Chart(
        "relationships-by-starter",
        "Care relationships started, by role",
        tuple(cursor.fetchall()),
        "Care relationships",
    )


def unregistered_organisations(cursor: Any, period: Period) -> list[str]:
    cursor.execute(
        """SELECT DISTINCT d.organisation FROM decision_facts d
           WHERE d.made_at >= %s AND d.made_at < %s
             AND d.organisation NOT IN (SELECT ods_code FROM organisations) ORDER BY 1""",
        (period.start, period.end),
    )
    return [row[0] for row in cursor.fetchall()]
