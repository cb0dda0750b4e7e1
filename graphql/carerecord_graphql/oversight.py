"""Oversight for assurance teams: the dashboard's figures and their drill-downs, in GraphQL and as CSV.

Who may see what: an assurance team member sees the integrated care board their token names (their
organisation code is the board's code) and anything inside it; an administrator sees their own organisation.
Everyone else is refused, and the refusal is recorded. Every drill-down is a read of the people behind it: one
access record per person, so it appears in that person's "who has looked at my record"."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

import strawberry
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from carerecord_events.roles import Role
from carerecord_graphql.context import Api, ApiContext, NotAllowed, NotSignedIn, context_for
from carerecord_graphql.wrapping import graphql_type
from carerecord_projections.oversight.rules.blanket_alerts import AlertFinding, AlertReason, BlanketAlert
from carerecord_projections.oversight.rules.equality import EqualityTable
from carerecord_projections.oversight.rules.figures import (
    AlertDecision,
    Dashboard,
    DrillDownRow,
    Figure,
    Timing,
)
from carerecord_projections.oversight.rules.scope import Period, Scope
from carerecord_projections.oversight.rules.staff_knowledge import OrganisationKnowledge, TrainingRow
from carerecord_projections.oversight.views import OversightViews
from carerecord_services.policy import PERMISSIONS, Read

OVERSIGHT_ROLES = PERMISSIONS[Read.OVERSIGHT]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def authorised_scope(
    context: ApiContext, region: str | None, organisation: str | None, setting: str | None, operation: str
) -> Scope:
    """The scope asked for, if the caller may see it; otherwise NotAllowed, with the refusal recorded."""
    caller = context.caller()
    refusal = ""
    if caller.role not in OVERSIGHT_ROLES:
        refusal = "only assurance teams and administrators may see oversight views"
    elif caller.role is Role.ASSURANCE:
        if region is not None and region.upper() != caller.organisation.upper():
            refusal = f"your token covers the integrated care board {caller.organisation} only"
        region = caller.organisation
    elif organisation is not None and organisation.upper() != caller.organisation.upper():
        refusal = f"administrators see their own organisation ({caller.organisation}) only"
    else:
        organisation = caller.organisation
    if refusal:
        context.api.audit.record_access(
            caller.actor,
            None,
            operation=operation,
            purpose="oversight",
            granted=False,
            refusal_reason=refusal,
        )
        raise NotAllowed(refusal)
    return Scope(region=region, organisation=organisation, setting=setting)


def views(context: ApiContext) -> OversightViews:
    if context.api.oversight is None:
        raise NotAllowed("oversight views are not available on this service")
    return context.api.oversight


def drill_down(
    context: ApiContext, figure: str, scope: Scope, period: Period, now: datetime
) -> list[DrillDownRow]:
    try:
        rows = views(context).drill_down(figure, scope, period, now)
    except KeyError as unknown:
        raise ValueError(unknown.args[0]) from None
    _record_reads(context, rows, f"oversight drill-down: {figure}")
    return rows


def alert_drill_down(
    context: ApiContext, scope: Scope, period: Period, index: int
) -> tuple[BlanketAlert, list[AlertDecision]] | None:
    """The decisions named by one blanket alert (by its place in the list), each person's record marked as read."""
    alerts = views(context).blanket_alerts(scope, period)
    if not 0 <= index < len(alerts):
        return None
    alert = alerts[index]
    rows = views(context).alert_decisions(alert.plan_ids)
    _record_reads(context, rows, f"oversight drill-down: blanket alert {', '.join(alert.kinds)}")
    return alert, rows


def _record_reads(context: ApiContext, rows: Sequence[DrillDownRow | AlertDecision], operation: str) -> None:
    """Each person behind the rows has their record marked as read, at the version the read model holds."""
    people = {row.record_id for row in rows}
    versions = context.api.read_models.versions(people)
    context.api.audit.record_accesses(
        context.caller().actor,
        [(record_id, versions.get(record_id)) for record_id in sorted(people)],
        operation=operation,
        purpose="oversight",
    )


if TYPE_CHECKING:  # a resolver returns the view itself; see wrapping.py
    OversightFigure = Figure
    OversightTiming = Timing
    OversightDecision = DrillDownRow
    StaffTrainingView = TrainingRow
    StaffKnowledgeView = OrganisationKnowledge
else:
    OversightFigure = graphql_type(
        Figure,
        name="OversightFigure",
        description="One figure: a count, and what it is out of when it is a share",
        extra={"share": float | None},
        described={"key": "Pass to oversightDecisions to see the decisions behind it"},
    )
    OversightTiming = graphql_type(
        Timing,
        name="OversightTiming",
        description="How long something took: median and 90th centile in hours",
    )
    OversightDecision = graphql_type(
        DrillDownRow,
        name="OversightDecision",
        description="A decision behind a figure, linking to the person's record",
    )
    StaffTrainingView = graphql_type(
        TrainingRow,
        name="StaffTrainingView",
        description="Staff in one role trained in advance care planning and in DNACPR conversations, in a quarter, as the organisation reported them",
        extra={
            "share_trained_in_advance_care_planning": float | None,
            "share_trained_in_dnacpr_conversations": float | None,
        },
        described={"quarter": "Such as 2026-Q3", "role": "The staff role (consultant, gp, nurse, ...)"},
    )
    StaffKnowledgeView = graphql_type(
        OrganisationKnowledge,
        name="StaffKnowledgeView",
        description="One organisation's staff training beside the quality of the decisions it made in the period",
        spelled={"training": list[StaffTrainingView], "decisions": list[OversightFigure]},
        described={
            "training": "The quarters of the period it reported (reportStaffTraining), earliest first",
            "decisions": "The dashboard's decision figures for the decisions it made in the period",
        },
    )


@strawberry.type
class ChartRow:
    label: str
    count: int


@strawberry.type(description="A chart's data: every chart on the dashboard comes with its table")
class OversightChart:
    key: str
    title: str
    rows: list[ChartRow]


@strawberry.type(description="Quality at a glance for a region, an organisation or a setting over a period")
class OversightDashboard:
    scope: str
    period_start: datetime
    period_end: datetime
    as_of: datetime = strawberry.field(
        description="The clock that 'overdue' and 'not yet seen' were judged by"
    )
    demo: bool = strawberry.field(description="True when this is the synthetic demo region, not real people")
    figures: list[OversightFigure]
    timings: list[OversightTiming]
    charts: list[OversightChart]
    unregistered_organisations: list[str] = strawberry.field(
        description="Organisations that made decisions in the period but are not in the organisation register"
    )
    staff_knowledge: list[StaffKnowledgeView] = strawberry.field(
        description="Each organisation's staff training (as it reported it) beside the quality of its decisions"
    )


def dashboard_type(dashboard: Dashboard) -> OversightDashboard:
    return OversightDashboard(
        scope=dashboard.scope.describe(),
        period_start=dashboard.period.start,
        period_end=dashboard.period.end,
        as_of=dashboard.as_of,
        demo=dashboard.demo,
        figures=list(dashboard.figures),
        timings=list(dashboard.timings),
        charts=[
            OversightChart(
                key=chart.key, title=chart.title, rows=[ChartRow(label=k, count=v) for k, v in chart.rows]
            )
            for chart in dashboard.charts
        ],
        unregistered_organisations=list(dashboard.unregistered_organisations),
        staff_knowledge=list(dashboard.staff_knowledge),
    )


def spreadsheet_safe(value: object) -> str:
    """A cell a spreadsheet will show as text: anything that could start a formula gets a leading quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def dashboard_csv(dashboard: Dashboard) -> str:
    figures = [
        (f.section, f.label, f.key, f.count, f.out_of, "" if f.share is None else f"{f.share:.3f}")
        for f in dashboard.figures
    ]
    timings = [
        (t.section, t.label, t.key, t.count, t.median_hours, "hours (median)") for t in dashboard.timings
    ]
    charts = [
        ("Chart", f"{chart.title}: {label}", chart.key, count, "", "")
        for chart in dashboard.charts
        for label, count in chart.rows
    ]
    training = [
        (
            "Staff knowledge",
            f"{org.name} ({org.organisation}), {row.quarter}, {row.role}: trained in {what}",
            f"staff-trained-in-{key}",
            trained,
            row.staff,
            "" if share is None else f"{share:.3f}",
        )
        for org in dashboard.staff_knowledge
        for row in org.training
        for what, key, trained, share in (
            (
                "advance care planning",
                "advance-care-planning",
                row.trained_in_advance_care_planning,
                row.share_trained_in_advance_care_planning,
            ),
            (
                "DNACPR conversations",
                "dnacpr-conversations",
                row.trained_in_dnacpr_conversations,
                row.share_trained_in_dnacpr_conversations,
            ),
        )
    ]
    return _csv(
        ("section", "figure", "key", "count", "out of", "share"), [*figures, *timings, *charts, *training]
    )


def decisions_csv(rows: list[DrillDownRow]) -> str:
    return _csv(
        ("plan id", "record id", "organisation", "setting", "made at", "status", "why it is listed"),
        [
            (r.plan_id, r.record_id, r.organisation, r.setting, r.made_at.isoformat(), r.status, r.label)
            for r in rows
        ],
    )


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A CSV file whose every value a spreadsheet shows as text (see spreadsheet_safe)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([spreadsheet_safe(value) for value in row] for row in rows)
    return out.getvalue()


def export_route(api: Api) -> Callable[[Request], Awaitable[Response]]:
    """GET /oversight/export.csv?periodStart=...&periodEnd=...[&region=&organisation=&setting=&asOf=&figure=]
    with the same bearer token as /graphql: the dashboard's figures, or with `figure` the decisions behind it."""

    def export(request: Request) -> Response:
        context = context_for(api, request.headers.get("authorization"))
        parameters = request.query_params
        try:
            context.caller()
            period = Period(_instant(parameters, "periodStart"), _instant(parameters, "periodEnd"))
            as_of = _instant(parameters, "asOf") if "asOf" in parameters else api.clock()
            figure = parameters.get("figure")
            scope = authorised_scope(
                context,
                parameters.get("region"),
                parameters.get("organisation"),
                parameters.get("setting"),
                f"oversightExport:{figure or 'dashboard'}",
            )
            if figure:
                text = decisions_csv(drill_down(context, figure, scope, period, as_of))
            else:
                text = dashboard_csv(views(context).dashboard(scope, period, as_of))
        except NotSignedIn as problem:
            return JSONResponse({"errors": [{"message": str(problem)}]}, status_code=401)
        except NotAllowed as refused:
            return JSONResponse({"errors": [{"message": str(refused)}]}, status_code=403)
        except ValueError as invalid:
            return JSONResponse({"errors": [{"message": str(invalid)}]}, status_code=400)
        name = f"oversight-{figure or 'dashboard'}.csv"
        return Response(
            text,
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{name}"', "cache-control": "no-store"},
        )

    async def endpoint(request: Request) -> Response:
        return await run_in_threadpool(export, request)

    return endpoint


def _instant(parameters: Any, name: str) -> datetime:
    value = parameters.get(name)
    if not value:
        raise ValueError(f"{name} is required (an ISO 8601 date-time with a time zone)")
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name}: {value!r} is not an ISO 8601 date-time") from None
    if instant.tzinfo is None:
        raise ValueError(f"{name} must carry a time zone")
    return instant


if TYPE_CHECKING:
    BlanketAlertReason = AlertReason
    BlanketAlertFinding = AlertFinding
    BlanketAlertView = BlanketAlert
else:
    BlanketAlertFinding = graphql_type(
        AlertFinding,
        name="BlanketAlertFinding",
        description="What the board found about some of an alert's decisions (the latest finding for each)",
        described={
            "finding": "reviewed-and-individual, blanket-raised-with-provider or referred-to-safeguarding",
            "decisions": "How many of the alert's decisions this is the latest finding for",
            "latest_by": "Who recorded the latest of them",
        },
    )
    BlanketAlertReason = graphql_type(
        AlertReason,
        name="BlanketAlertReason",
        description="One pattern the decisions of an alert match, and what was seen",
        spelled={"kind": str, "scope": str, "plan_ids": list[UUID], "shared_features": list[str]},
        described={
            "kind": "near-identical-reasoning, group-characteristic, cluster-in-organisation or cluster-by-author",
            "scope": "Whether the pattern was seen in one organisation's decisions or in one author's",
            "explanation": "What was seen, in plain English",
            "plan_ids": "The decisions this pattern is about, earliest first",
        },
    )
    BlanketAlertView = graphql_type(
        BlanketAlert,
        name="BlanketAlertView",
        description="A possible blanket decision: one group of decisions, with every pattern they match",
        spelled={
            "reasons": list[BlanketAlertReason],
            "plan_ids": list[UUID],
            "findings": list[BlanketAlertFinding],
        },
        extra={
            "kind": str,
            "kinds": list[str],
            "scope": str,
            "explanation": str,
            "shared_features": list[str],
        },
        described={
            "summary": "How many decisions, when, decided by which organisation, for whom (names from the register)",
            "reasons": "Every pattern matched, near-identical reasoning first",
            "care_home": "The care home at least half of the people were living in, when there is one",
            "kind": "The first pattern matched (see reasons for all)",
            "kinds": "Every pattern matched",
            "scope": "organisation when any pattern was seen in one organisation's decisions, else author",
            "explanation": "The summary followed by what each pattern saw",
            "findings": "What the board has found about its decisions so far (recordBoardFinding)",
        },
    )


@strawberry.type(description="One row of the equality table as it may be published: withheld values are [c]")
class EqualityRow:
    characteristic: str
    group: str
    dnacpr: str
    people_in_record: str
    registered_population: str
    rate_per_thousand_in_record: str
    rate_per_thousand_in_population: str
    nothing_recorded: str | None
    note: str | None


# Each field of EqualityRow, and the column of EqualityTable.published_rows it shows.
EQUALITY_COLUMNS = {
    "characteristic": "characteristic",
    "group": "group",
    "dnacpr": "dnacpr",
    "people_in_record": "people in record",
    "registered_population": "registered population",
    "rate_per_thousand_in_record": "rate per 1,000 in record",
    "rate_per_thousand_in_population": "rate per 1,000 population",
    "nothing_recorded": "nothing recorded",
    "note": "note",
}


@strawberry.type(
    description="DNACPR recommendation rates by characteristic against the people in the record and the registered population. Counts under 5 are withheld ([c]), with further cells withheld so that none can be worked out from the totals; [x] not available, [z] not applicable."
)
class EqualityMonitoringView:
    rows: list[EqualityRow]
    not_recorded_for_anyone: list[str]


def equality_view(table: EqualityTable) -> EqualityMonitoringView:
    return EqualityMonitoringView(
        rows=[_equality_row(row) for row in table.published_rows()],
        not_recorded_for_anyone=list(table.nothing_recorded),
    )


def _equality_row(row: dict[str, str]) -> EqualityRow:
    shown: dict[str, Any] = {field: row.get(column) for field, column in EQUALITY_COLUMNS.items()}
    return EqualityRow(**shown)
