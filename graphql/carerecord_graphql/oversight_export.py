"""The oversight figures as CSV files, for the API (`GET /oversight/export.csv`, a bearer token) and the portal
(`/portal/export/...`, the portal's session): one definition of what each file holds.

Three parts, each with the columns its rows need: `figures` (the dashboard's figures, shares in per cent and
median times in hours, each in a column of its own, then the charts' counts), `alerts` (each possible blanket
decision: its summary, every pattern it matched and what the board has found) and `equality` (the equality table
as it may be published: withheld values are [c]). With `figure`, the decisions behind one figure instead: each
person listed has the look recorded on their record, as a drill-down does. Every value is written so that a
spreadsheet shows it as text (`spreadsheet_safe`). Periods are dates in Europe/London, or date-times with a zone.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import date, datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from carerecord_graphql.context import Api, ApiContext, NotAllowed, NotSignedIn, context_for
from carerecord_graphql.oversight import authorised_scope, drill_down, views
from carerecord_projections.oversight.rules.figures import DrillDownRow
from carerecord_projections.oversight.rules.scope import Period, Scope, london_period
from carerecord_projections.oversight.rules.staff_knowledge import OrganisationKnowledge

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PARTS = ("figures", "alerts", "equality")


def spreadsheet_safe(value: object) -> str:
    """A cell a spreadsheet will show as text: anything that could start a formula gets a leading quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A CSV file whose every value a spreadsheet shows as text (see spreadsheet_safe)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([spreadsheet_safe(value) for value in row] for row in rows)
    return out.getvalue()


def figures_csv(context: ApiContext, scope: Scope, period: Period, as_of: datetime) -> str:
    dashboard = views(context).dashboard(scope, period, as_of)
    figures = [
        (f.section, f.label, f.key, f.count, f.out_of, "" if f.share is None else f"{100 * f.share:.1f}", "")
        for f in dashboard.figures
    ]
    timings = [(t.section, t.label, t.key, t.count, "", "", t.median_hours) for t in dashboard.timings]
    charts = [
        ("Chart", f"{chart.title}: {label}", chart.key, count, "", "", "")
        for chart in dashboard.charts
        for label, count in chart.rows
    ]
    header = ("section", "figure", "key", "count", "out of", "share (%)", "median (hours)")
    return _csv(header, [*figures, *timings, *charts, *_training(dashboard.staff_knowledge)])


def _training(knowledge: Iterable[OrganisationKnowledge]) -> list[tuple[object, ...]]:
    """Each organisation's staff trained, by quarter and role, as a count out of its staff in the role."""
    return [
        (
            "Staff knowledge",
            f"{org.name} ({org.organisation}), {row.quarter}, {row.role}: trained in {what}",
            f"staff-trained-in-{key}",
            trained,
            row.staff,
            "" if share is None else f"{100 * share:.1f}",
            "",
        )
        for org in knowledge
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


def alerts_csv(context: ApiContext, scope: Scope, period: Period, _: datetime) -> str:
    rows = [
        (
            alert.summary,
            "; ".join(alert.kinds),
            " ".join(reason.explanation for reason in alert.reasons),
            len(alert.plan_ids),
            alert.window_start.isoformat(),
            alert.window_end.isoformat(),
            alert.organisation,
            alert.author,
            alert.care_home,
            alert.care_home_cqc_location,
            "; ".join(f"{found.finding}: {found.decisions}" for found in alert.findings),
        )
        for alert in views(context).blanket_alerts(scope, period)
    ]
    header = (
        "summary", "patterns", "what was seen", "decisions", "first decision", "last decision",
        "organisation", "recorded by", "care home", "care home's CQC location", "board's findings",
    )  # fmt: skip
    return _csv(header, rows)


def equality_csv(context: ApiContext, scope: Scope, period: Period, _: datetime) -> str:
    rows = views(context).equality(scope, period).published_rows()
    header = tuple(dict.fromkeys(column for row in rows for column in row))
    return _csv(header, [[row.get(column, "") for column in header] for row in rows])


def decisions_csv(rows: list[DrillDownRow]) -> str:
    return _csv(
        ("plan id", "record id", "organisation", "setting", "made at", "status", "why it is listed"),
        [
            (r.plan_id, r.record_id, r.organisation, r.setting, r.made_at.isoformat(), r.status, r.label)
            for r in rows
        ],
    )


EXPORTS: Mapping[str, Callable[[ApiContext, Scope, Period, datetime], str]] = {
    "figures": figures_csv,
    "alerts": alerts_csv,
    "equality": equality_csv,
}


def exported(
    context: ApiContext,
    part: str,
    scope: Scope,
    period: Period,
    as_of: datetime,
    figure: str | None = None,
) -> tuple[str, str]:
    """The file's name and text: one part of the figures, or the decisions behind `figure` (each person's
    record marked as read). ValueError names the parts for an unknown one."""
    if figure:
        return f"oversight-{figure}.csv", decisions_csv(drill_down(context, figure, scope, period, as_of))
    if part not in EXPORTS:
        raise ValueError(f"no export {part!r}; choose one of {', '.join(PARTS)}")
    return f"oversight-{part}.csv", EXPORTS[part](context, scope, period, as_of)


def csv_response(name: str, text: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"', "cache-control": "no-store"},
    )


def export_route(api: Api) -> Callable[[Request], Awaitable[Response]]:
    """GET /oversight/export.csv?periodStart=...&periodEnd=...[&part=figures|alerts|equality][&region=
    &organisation=&setting=&asOf=&figure=] with the same bearer token as /graphql. periodStart and periodEnd are
    dates (the period runs from the start of the first day to the end of the last, in Europe/London) or ISO
    8601 date-times with a zone."""

    def export(request: Request) -> Response:
        context = context_for(api, request.headers.get("authorization"))
        parameters = request.query_params
        try:
            context.caller()
            period = _period(parameters.get("periodStart"), parameters.get("periodEnd"))
            as_of = _instant(parameters["asOf"], "asOf") if "asOf" in parameters else api.clock()
            figure = parameters.get("figure")
            part = parameters.get("part", "figures")
            scope = authorised_scope(
                context,
                parameters.get("region"),
                parameters.get("organisation"),
                parameters.get("setting"),
                f"oversightExport:{figure or part}",
            )
            name, text = exported(context, part, scope, period, as_of, figure)
        except NotSignedIn as problem:
            return JSONResponse({"errors": [{"message": str(problem)}]}, status_code=401)
        except NotAllowed as refused:
            return JSONResponse({"errors": [{"message": str(refused)}]}, status_code=403)
        except ValueError as invalid:
            return JSONResponse({"errors": [{"message": str(invalid)}]}, status_code=400)
        return csv_response(name, text)

    async def endpoint(request: Request) -> Response:
        return await run_in_threadpool(export, request)

    return endpoint


def _period(start: str | None, end: str | None) -> Period:
    if not start or not end:
        raise ValueError("periodStart and periodEnd are required (dates, or ISO 8601 date-times with a zone)")
    if _is_date(start) and _is_date(end):
        return london_period(date.fromisoformat(start), date.fromisoformat(end))
    return Period(_instant(start, "periodStart"), _instant(end, "periodEnd"))


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def _instant(value: str, name: str) -> datetime:
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name}: {value!r} is not a date or an ISO 8601 date-time") from None
    if instant.tzinfo is None:
        raise ValueError(f"{name} must carry a time zone (or be a date, taken in Europe/London)")
    return instant
