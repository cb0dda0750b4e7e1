"""The oversight dashboard's figures for a region, an organisation or a setting over a period.

Every figure is counted from the read models by SQL, and every figure about decisions is defined once, as a
condition on `decision_facts`, so that its drill-down lists exactly the decisions it counted. Anything that
depends on time ("overdue", "not yet seen") is worked out against the query's clock, never stored.

A region is an integrated care board code or an NHS region name from the organisation register; an
organisation is an ODS code; a setting is one of the record's settings (care home, GP practice, hospital...)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from carerecord_events.vocabulary import CprRecommendation
from carerecord_projections.access_log import ACCESS_LOG_DDL
from carerecord_projections.database import transaction
from carerecord_projections.schema import FEED_DDL, create_tables

DNACPR = CprRecommendation.DO_NOT_ATTEMPT_CPR.value


@dataclass(frozen=True)
class Scope:
    region: str | None = None
    organisation: str | None = None
    setting: str | None = None

    def describe(self) -> str:
        parts = [
            f"region {self.region}" if self.region else "",
            f"organisation {self.organisation}" if self.organisation else "",
            f"setting {self.setting}" if self.setting else "",
        ]
        return ", ".join(part for part in parts if part) or "every organisation"


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("the period's start and end must carry a time zone")
        if self.end <= self.start:
            raise ValueError("the period must end after it starts")


@dataclass(frozen=True)
class Figure:
    key: str
    section: str
    label: str
    count: int
    out_of: int | None = None

    @property
    def share(self) -> float | None:
        return None if not self.out_of else self.count / self.out_of


@dataclass(frozen=True)
class Timing:
    """How long something took, over `count` cases: median and 90th centile in hours (None when no cases)."""

    key: str
    section: str
    label: str
    count: int
    median_hours: float | None
    p90_hours: float | None


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    rows: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Dashboard:
    scope: Scope
    period: Period
    as_of: datetime
    figures: tuple[Figure, ...]
    charts: tuple[Chart, ...]
    demo: bool = False
    timings: tuple[Timing, ...] = ()
    unregistered_organisations: tuple[str, ...] = ()

    def figure(self, key: str) -> Figure:
        return next(figure for figure in self.figures if figure.key == key)


@dataclass(frozen=True)
class DrillDownRow:
    plan_id: UUID | None
    record_id: UUID
    organisation: str
    setting: str
    made_at: datetime
    status: str
    label: str


@dataclass(frozen=True)
class _DecisionFigure:
    key: str
    section: str
    label: str
    condition: str
    out_of: str | None = None  # a condition on the same decisions, or None for a plain count


# Decisions made in the period, in scope. `d` is decision_facts.
DECISION_FIGURES = (
    _DecisionFigure("decisions-made", "Decisions", "Recommendations made", "true"),
    _DecisionFigure(
        "decisions-dnacpr", "Decisions", "Of which: do not attempt CPR", f"d.cpr = '{DNACPR}'", "true"
    ),
    _DecisionFigure(
        "person-involved",
        "Involvement",
        "The person was involved in the decision",
        "d.person_involved",
        "true",
    ),
    _DecisionFigure(
        "not-involved-reason-given",
        "Involvement",
        "The person was not involved, and the reason is recorded",
        "NOT d.person_involved AND d.reason_not_involved_given",
        "true",
    ),
    _DecisionFigure(
        "not-involved-no-reason",
        "Involvement",
        "The person was not involved, and no reason is recorded",
        "NOT d.person_involved AND NOT d.reason_not_involved_given",
        "true",
    ),
    _DecisionFigure(
        "lacking-capacity-consulted",
        "Involvement",
        "The person lacked capacity: a representative, family member or IMCA was consulted",
        "d.lacked_capacity AND d.consulted > 0",
        "d.lacked_capacity",
    ),
    _DecisionFigure(
        # Refused since capacity is assessed for a coded decision; before that, an assessment worded
        # "cardiopulmonary resuscitation" was missed and such plans were accepted. They are counted here.
        "lacking-capacity-nobody-consulted",
        "Involvement",
        "The person lacked capacity: nobody was consulted and no reason is recorded",
        "d.lacked_capacity AND d.consulted = 0 AND NOT d.reason_no_one_consulted_given",
        "d.lacked_capacity",
    ),
    _DecisionFigure(
        "awaiting-endorsement",
        "Endorsement",
        "Still awaiting senior endorsement",
        "d.needs_endorsement AND d.endorsed_at IS NULL AND d.status = 'active'",
        "d.needs_endorsement",
    ),
    _DecisionFigure(
        "communicated", "Communication", "The decision was communicated", "d.communicated", "true"
    ),
    _DecisionFigure(
        "reasoning-group-characteristic",
        "Reasoning",
        "The reasoning mentions a group characteristic (age, disability, where someone lives...)",
        "cardinality(d.reasoning_flags) > 0",
        "true",
    ),
)
DECISIONS_BY_KEY = {figure.key: figure for figure in DECISION_FIGURES}

OTHER_DRILL_DOWNS = (
    "reviews-overdue",
    "revocations",
    "moved-reviewed",
    "moved-not-reviewed",
    "not-yet-seen",
    "break-glass-awaiting-review",
    "relationships-awaiting-review",
)
DRILL_DOWN_KEYS = tuple(DECISIONS_BY_KEY) + OTHER_DRILL_DOWNS


def _has_table(cursor: Any, name: str) -> bool:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", (name,))
    return bool(cursor.fetchone()[0])


def prepare_oversight(cursor: Any) -> None:
    """The tables the views read, created if this database has never had them (a fresh or embedded store)."""
    create_tables(cursor)
    cursor.execute(ACCESS_LOG_DDL)
    cursor.execute(FEED_DDL)


def organisations_in_scope(scope: Scope, column: str) -> tuple[str, list[Any]]:
    """A condition on an ODS code column, and its parameters."""
    clauses, parameters = [], []
    if scope.organisation:
        clauses.append(f"{column} = %s")
        parameters.append(scope.organisation.upper())
    if scope.region:
        clauses.append(
            f"{column} IN (SELECT ods_code FROM organisations WHERE icb_code = upper(%s) OR region = %s)"
        )
        parameters += [scope.region, scope.region]
    if scope.setting:
        clauses.append(f"{column} IN (SELECT ods_code FROM organisations WHERE setting = %s)")
        parameters.append(scope.setting)
    return (" AND ".join(clauses) or "true"), parameters


def decisions_in_scope(scope: Scope) -> tuple[str, list[Any]]:
    where, parameters = organisations_in_scope(scope, "d.organisation")
    if scope.setting:  # a decision carries the setting it was made in; that is the one that counts
        where, parameters = organisations_in_scope(Scope(scope.region, scope.organisation), "d.organisation")
        where += " AND d.setting = %s"
        parameters.append(scope.setting)
    return where, parameters


def people_in_scope(scope: Scope) -> tuple[str, list[Any]]:
    """People cared for by an organisation in scope, or with a decision made by one."""
    if scope == Scope():
        return "SELECT record_id FROM current_plan", []
    caring, parameters = organisations_in_scope(Scope(scope.region, scope.organisation), "r.organisation")
    deciding, deciding_parameters = decisions_in_scope(scope)
    if scope.setting:
        caring += " AND r.setting = %s"
        parameters.append(scope.setting)
    return (
        f"SELECT r.record_id FROM care_relationships r WHERE {caring} "
        f"UNION SELECT d.record_id FROM decision_facts d WHERE {deciding}",
        parameters + deciding_parameters,
    )


def _hours(value: Any) -> float | None:
    return None if value is None else round(float(value) / 3600.0, 2)


class OversightViews:
    def __init__(self, dsn: str, *, demo: bool = False) -> None:
        self._dsn = dsn
        self._demo = demo
        with transaction(dsn) as cursor:
            prepare_oversight(cursor)

    def dashboard(self, scope: Scope, period: Period, now: datetime) -> Dashboard:
        with transaction(self._dsn) as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            figures = self._decision_figures(cursor, scope, period)
            figures += self._review_figures(cursor, scope, period, now)
            receipts = self._receipts(cursor, scope, period)  # used by a figure and a timing: read once
            figures += self._other_figures(cursor, scope, period, receipts)
            timings = self._timings(cursor, scope, period, now, receipts)
            charts = self._charts(cursor, scope, period)
            unregistered = self._unregistered(cursor, period)
        return Dashboard(
            scope,
            period,
            now,
            tuple(figures),
            tuple(charts),
            demo=self._demo,
            timings=tuple(timings),
            unregistered_organisations=tuple(unregistered),
        )

    def _decision_figures(self, cursor: Any, scope: Scope, period: Period) -> list[Figure]:
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
            Figure(
                figure.key,
                figure.section,
                figure.label,
                row[2 * index],
                row[2 * index + 1] if figure.out_of else None,
            )
            for index, figure in enumerate(DECISION_FIGURES)
        ]

    def _review_figures(self, cursor: Any, scope: Scope, period: Period, now: datetime) -> list[Figure]:
        where, parameters = decisions_in_scope(scope)
        cursor.execute(
            f"""SELECT count(*) FILTER (WHERE d.review_due < %s::date),
                       count(*) FILTER (WHERE d.review_due >= %s::date AND d.review_due < %s::date),
                       count(*) FILTER (WHERE d.review_due IS NOT NULL)
                FROM decision_facts d WHERE d.status = 'active' AND d.made_at < %s AND {where}""",
            [now, period.start, period.end, now, *parameters],
        )
        overdue, due_in_period, with_due_date = cursor.fetchone()
        cursor.execute(
            f"""SELECT count(*), count(*) FILTER (WHERE r.was_due IS NOT NULL AND r.reviewed_at::date <= r.was_due),
                       count(*) FILTER (WHERE r.was_due IS NOT NULL)
                FROM review_facts r JOIN decision_facts d USING (plan_id)
                WHERE r.reviewed_at >= %s AND r.reviewed_at < %s AND {where}""",
            [period.start, period.end, *parameters],
        )
        reviews, on_time, with_due = cursor.fetchone()
        moved, moved_reviewed = self._moves(cursor, scope, period)
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

    _MOVES = """SELECT DISTINCT ON (d.plan_id) d.plan_id, d.record_id, d.organisation, d.setting, d.made_at,
                       d.status, r.started_at AS moved_at,
                       EXISTS (SELECT 1 FROM review_facts v WHERE v.plan_id = d.plan_id
                               AND v.reviewed_at >= r.started_at) AS reviewed
                FROM decision_facts d JOIN care_relationships r
                  ON r.record_id = d.record_id AND r.started_at > d.made_at AND r.setting <> d.setting
                WHERE r.started_at >= %s AND r.started_at < %s AND d.status IN ('active', 'revoked', 'superseded')
                  AND {where}
                ORDER BY d.plan_id, r.started_at"""

    def _moves(self, cursor: Any, scope: Scope, period: Period) -> tuple[int, int]:
        where, parameters = decisions_in_scope(scope)
        cursor.execute(
            f"SELECT count(*), count(*) FILTER (WHERE reviewed) FROM ({self._MOVES.format(where=where)}) m",
            [period.start, period.end, *parameters],
        )
        moved, reviewed = cursor.fetchone()
        return moved, reviewed

    def _other_figures(
        self, cursor: Any, scope: Scope, period: Period, receipts: list[dict[str, Any]]
    ) -> list[Figure]:
        where, parameters = decisions_in_scope(scope)
        cursor.execute(
            f"""SELECT count(*) FROM decision_facts d
                WHERE d.status = 'revoked' AND d.ended_at >= %s AND d.ended_at < %s AND {where}""",
            [period.start, period.end, *parameters],
        )
        revocations = cursor.fetchone()[0]
        people, people_parameters = people_in_scope(scope)
        cursor.execute(
            f"""SELECT count(*), count(*) FILTER (WHERE c.resolved_at IS NOT NULL)
                FROM concern_facts c WHERE c.raised_at >= %s AND c.raised_at < %s AND c.record_id IN ({people})""",
            [period.start, period.end, *people_parameters],
        )
        concerns, resolved = cursor.fetchone()
        accessor, accessor_parameters = organisations_in_scope(scope, "a.organisation")
        cursor.execute(
            f"""SELECT count(*), count(*) FILTER (WHERE a.reviewed_at IS NULL) FROM access_log a
                WHERE a.kind = 'break-glass' AND a.at >= %s AND a.at < %s AND {accessor}""",
            [period.start, period.end, *accessor_parameters],
        )
        break_glass, break_glass_unreviewed = cursor.fetchone()
        caring, caring_parameters = organisations_in_scope(scope, "r.organisation")
        cursor.execute(
            f"""SELECT count(*) FROM care_relationships r
                WHERE r.started_at >= %s AND r.started_at < %s AND {caring}""",
            [period.start, period.end, *caring_parameters],
        )
        relationships = cursor.fetchone()[0]
        unevidenced, awaiting = self._relationships_for_review(
            cursor, caring, [period.start, period.end, *caring_parameters]
        )
        received = sum(1 for row in receipts if row["first_receipt"] is not None)
        notices = len(receipts)
        return [
            Figure("revocations", "Revocations", "Recommendations revoked in the period", revocations),
            Figure(
                "concerns-raised", "Concerns", "Concerns raised (by the person, family or staff)", concerns
            ),
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
                received,
                notices,
            ),
        ]

    _RECEIPTS = """
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

    def receipts(self, scope: Scope, period: Period) -> list[dict[str, Any]]:
        """For each decision or revocation recorded in the period and each other organisation caring for the
        person then: when that organisation first received it (feed delivery or a read), or None."""
        with transaction(self._dsn) as cursor:
            return self._receipts(cursor, scope, period)

    @staticmethod
    def _relationships_for_review(cursor: Any, caring: str, parameters: list[Any]) -> tuple[int, int]:
        """(started without evidence, of which awaiting review) in the period; none where the projection that
        lists them has not run (a Kafka deployment without its worker)."""
        if not _has_table(cursor, "relationships_for_review"):
            return 0, 0
        cursor.execute(
            f"""SELECT count(*), count(*) FILTER (WHERE r.reviewed_at IS NULL) FROM relationships_for_review r
                WHERE NOT r.evidenced AND r.started_at >= %s AND r.started_at < %s AND {caring}""",
            parameters,
        )
        unevidenced, awaiting = cursor.fetchone()
        return int(unevidenced), int(awaiting)

    def _receipts(self, cursor: Any, scope: Scope, period: Period) -> list[dict[str, Any]]:
        where, parameters = organisations_in_scope(Scope(scope.region, scope.organisation), "r.organisation")
        if scope.setting:  # the setting of the care relationship, as for decisions
            where += " AND r.setting = %s"
            parameters.append(scope.setting)
        cursor.execute(
            self._RECEIPTS.format(where=where) + " ORDER BY e.recorded_at, e.organisation",
            [period.start, period.end, *parameters],
        )
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def _timings(
        self, cursor: Any, scope: Scope, period: Period, now: datetime, receipts: list[dict[str, Any]]
    ) -> list[Timing]:
        where, parameters = decisions_in_scope(scope)
        centiles = (
            "count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds), "
            "percentile_cont(0.9) WITHIN GROUP (ORDER BY seconds)"
        )
        cursor.execute(
            f"""SELECT {centiles} FROM (SELECT extract(epoch FROM d.endorsed_at - d.made_at) AS seconds
                FROM decision_facts d WHERE d.needs_endorsement AND d.endorsed_at IS NOT NULL
                  AND d.made_at >= %s AND d.made_at < %s AND {where}) s""",
            [period.start, period.end, *parameters],
        )
        endorsement = cursor.fetchone()
        people, people_parameters = people_in_scope(scope)
        cursor.execute(
            f"""SELECT {centiles} FROM (SELECT extract(epoch FROM c.resolved_at - c.raised_at) AS seconds
                FROM concern_facts c WHERE c.resolved_at IS NOT NULL AND c.raised_at >= %s AND c.raised_at < %s
                  AND c.record_id IN ({people})) s""",
            [period.start, period.end, *people_parameters],
        )
        resolution = cursor.fetchone()
        seconds = sorted(
            (row["first_receipt"] - row["recorded_at"]).total_seconds()
            for row in receipts
            if row["first_receipt"] is not None
        )
        waiting = sorted(
            (now - row["recorded_at"]).total_seconds() for row in receipts if row["first_receipt"] is None
        )
        return [
            Timing(
                "time-to-endorsement",
                "Endorsement",
                "Time from decision to senior endorsement",
                endorsement[0],
                _hours(endorsement[1]),
                _hours(endorsement[2]),
            ),
            Timing(
                "time-to-resolve-concern",
                "Concerns",
                "Time to resolve a concern",
                resolution[0],
                _hours(resolution[1]),
                _hours(resolution[2]),
            ),
            Timing(
                "time-to-first-receipt",
                "Sharing",
                "Time from recording to each caring organisation's first receipt",
                len(seconds),
                _hours(_centile(seconds, 0.5)),
                _hours(_centile(seconds, 0.9)),
            ),
            Timing(
                "not-yet-seen",
                "Sharing",
                "Not yet seen by a caring organisation: time waiting so far",
                len(waiting),
                _hours(_centile(waiting, 0.5)),
                _hours(_centile(waiting, 0.9)),
            ),
        ]

    def _charts(self, cursor: Any, scope: Scope, period: Period) -> list[Chart]:
        where, parameters = decisions_in_scope(scope)
        charts = []
        for key, title, column in (
            ("decisions-by-form-type", "Recommendations by form", "d.form_type"),
            ("decisions-by-setting", "Recommendations by setting", "d.setting"),
        ):
            cursor.execute(
                f"""SELECT {column}, count(*) FROM decision_facts d
                    WHERE d.made_at >= %s AND d.made_at < %s AND {where} GROUP BY 1 ORDER BY 2 DESC, 1""",
                [period.start, period.end, *parameters],
            )
            charts.append(Chart(key, title, tuple((str(name), count) for name, count in cursor.fetchall())))
        cursor.execute(
            f"""SELECT coalesce(d.revocation_initiated, 'not stated'), count(*) FROM decision_facts d
                WHERE d.status = 'revoked' AND d.ended_at >= %s AND d.ended_at < %s AND {where}
                GROUP BY 1 ORDER BY 2 DESC, 1""",
            [period.start, period.end, *parameters],
        )
        charts.append(
            Chart("revocations-by-initiator", "Revocations: who initiated them", tuple(cursor.fetchall()))
        )
        people, people_parameters = people_in_scope(scope)
        cursor.execute(
            f"""SELECT c.raised_by, count(*) FROM concern_facts c
                WHERE c.raised_at >= %s AND c.raised_at < %s AND c.record_id IN ({people})
                GROUP BY 1 ORDER BY 2 DESC, 1""",
            [period.start, period.end, *people_parameters],
        )
        charts.append(Chart("concerns-by-raiser", "Concerns: who raised them", tuple(cursor.fetchall())))
        caring, caring_parameters = organisations_in_scope(scope, "r.organisation")
        cursor.execute(
            f"""SELECT r.started_by_role, count(*) FROM care_relationships r
                WHERE r.started_at >= %s AND r.started_at < %s AND {caring} GROUP BY 1 ORDER BY 2 DESC, 1""",
            [period.start, period.end, *caring_parameters],
        )
        charts.append(
            Chart("relationships-by-starter", "Care relationships started, by role", tuple(cursor.fetchall()))
        )
        return charts

    def _unregistered(self, cursor: Any, period: Period) -> list[str]:
        cursor.execute(
            """SELECT DISTINCT d.organisation FROM decision_facts d
               WHERE d.made_at >= %s AND d.made_at < %s
                 AND d.organisation NOT IN (SELECT ods_code FROM organisations) ORDER BY 1""",
            (period.start, period.end),
        )
        return [row[0] for row in cursor.fetchall()]

    @property
    def demo(self) -> bool:
        """Whether this store holds the synthetic demo region."""
        return self._demo

    def decisions(self, plan_ids: Sequence[UUID], label: str) -> list[DrillDownRow]:
        """The decisions named by an alert, as drill-down rows."""
        with transaction(self._dsn) as cursor:
            cursor.execute(
                """SELECT d.plan_id, d.record_id, d.organisation, d.setting, d.made_at, d.status
                   FROM decision_facts d WHERE d.plan_id = ANY(%s) ORDER BY d.made_at, d.plan_id""",
                (list(plan_ids),),
            )
            return [_drill(row, label) for row in cursor.fetchall()]

    def blanket_alerts(self, scope: Scope, period: Period) -> list[Any]:
        from carerecord_projections.oversight.patterns import blanket_alerts

        return blanket_alerts(self._dsn, scope, period)

    def equality(self, scope: Scope, period: Period) -> Any:
        from carerecord_projections.oversight.patterns import equality_monitoring

        return equality_monitoring(self._dsn, scope, period)

    def drill_down(self, key: str, scope: Scope, period: Period, now: datetime) -> list[DrillDownRow]:
        """The decisions (or notices) behind a figure. The caller records the read; see the API."""
        if key not in DRILL_DOWN_KEYS:
            raise KeyError(f"no drill-down {key!r}; choose one of {', '.join(DRILL_DOWN_KEYS)}")
        where, parameters = decisions_in_scope(scope)
        columns = "d.plan_id, d.record_id, d.organisation, d.setting, d.made_at, d.status"
        with transaction(self._dsn) as cursor:
            if key in DECISIONS_BY_KEY:
                figure = DECISIONS_BY_KEY[key]
                cursor.execute(
                    f"""SELECT {columns} FROM decision_facts d
                        WHERE d.made_at >= %s AND d.made_at < %s AND {where} AND {figure.condition}
                        ORDER BY d.made_at, d.plan_id""",
                    [period.start, period.end, *parameters],
                )
                return [_drill(row, figure.label) for row in cursor.fetchall()]
            if key == "reviews-overdue":
                cursor.execute(
                    f"""SELECT {columns}, d.review_due FROM decision_facts d
                        WHERE d.status = 'active' AND d.made_at < %s AND d.review_due < %s::date AND {where}
                        ORDER BY d.review_due, d.plan_id""",
                    [now, now, *parameters],
                )
                return [_drill(row, f"review was due {row[6].isoformat()}") for row in cursor.fetchall()]
            if key == "revocations":
                cursor.execute(
                    f"""SELECT {columns}, d.ended_at FROM decision_facts d
                        WHERE d.status = 'revoked' AND d.ended_at >= %s AND d.ended_at < %s AND {where}
                        ORDER BY d.ended_at, d.plan_id""",
                    [period.start, period.end, *parameters],
                )
                return [_drill(row, f"revoked {row[6].isoformat()}") for row in cursor.fetchall()]
            if key in ("moved-reviewed", "moved-not-reviewed"):
                wanted = key == "moved-reviewed"
                cursor.execute(
                    f"SELECT * FROM ({self._MOVES.format(where=where)}) m WHERE reviewed = %s ORDER BY moved_at",
                    [period.start, period.end, *parameters, wanted],
                )
                return [
                    _drill(
                        row,
                        f"moved {row[6].isoformat()}, {'reviewed since' if wanted else 'not reviewed since'}",
                    )
                    for row in cursor.fetchall()
                ]
            if key == "relationships-awaiting-review":
                caring, caring_parameters = organisations_in_scope(scope, "r.organisation")
                if not _has_table(cursor, "relationships_for_review"):
                    return []
                cursor.execute(
                    f"""SELECT NULL, r.record_id, r.organisation, r.setting, r.started_at, 'awaiting review',
                               r.started_by, r.started_by_role, r.basis
                        FROM relationships_for_review r WHERE NOT r.evidenced AND r.reviewed_at IS NULL
                          AND r.started_at >= %s AND r.started_at < %s AND {caring} ORDER BY r.started_at""",
                    [period.start, period.end, *caring_parameters],
                )
                return [
                    _drill(row, f"started by {row[6]} ({row[7]}) on the basis '{row[8]}'")
                    for row in cursor.fetchall()
                ]
            if key == "break-glass-awaiting-review":
                accessor, accessor_parameters = organisations_in_scope(scope, "a.organisation")
                cursor.execute(
                    f"""SELECT NULL, a.record_id, a.organisation, '', a.at, 'awaiting review', a.user_id, a.role,
                               a.purpose, a.access_id
                        FROM access_log a WHERE a.kind = 'break-glass' AND a.reviewed_at IS NULL
                          AND a.at >= %s AND a.at < %s AND {accessor} ORDER BY a.at""",
                    [period.start, period.end, *accessor_parameters],
                )
                return [
                    _drill(row, f"access {row[9]} by {row[6]} ({row[7]}): {row[8]}")
                    for row in cursor.fetchall()
                ]
            rows = self._receipts(cursor, scope, period)
        return [
            DrillDownRow(
                None,
                row["record_id"],
                row["organisation"],
                row["setting"],
                row["recorded_at"],
                row["event_type"],
                label=f"{row['organisation']} has not seen it after {_elapsed(now - row['recorded_at'])}",
            )
            for row in rows
            if row["first_receipt"] is None
        ]


def _drill(row: Any, label: str) -> DrillDownRow:
    plan_id, record_id, organisation, setting, made_at, status = row[:6]
    return DrillDownRow(plan_id, record_id, organisation, setting, made_at, status, label)


def _centile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    return values[min(len(values) - 1, round(share * (len(values) - 1)))]


def _elapsed(delta: Any) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.1f} hours" if hours < 48 else f"{hours / 24:.1f} days"


__all__ = [
    "Chart",
    "Dashboard",
    "DrillDownRow",
    "Figure",
    "OversightViews",
    "Period",
    "Scope",
    "Timing",
]
