"""Oversight for assurance teams: the dashboard's figures and their drill-downs, in GraphQL and as CSV.

Who may see what: an assurance team member sees the integrated care board their token names (their
organisation code is the board's code) and anything inside it; an administrator sees their own organisation.
Everyone else is refused, and the refusal is recorded. Every drill-down is a read of the people behind it: one
access record per person, so it appears in that person's "who has looked at my record"."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

import strawberry

from carerecord_events.roles import Role
from carerecord_events.vocabulary import AlertKind, AlertScope, PlanStatus
from carerecord_graphql.connections import Connection, Page, connection, listed
from carerecord_graphql.context import ApiContext, NotAllowed
from carerecord_graphql.inputs import graphql_enum
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
    """Every decision behind a figure, each person's record marked as read."""
    rows = _drill_down_rows(context, figure, scope, period, now)
    _record_reads(context, rows, f"oversight drill-down: {figure}")
    return rows


def drill_down_page(
    context: ApiContext, figure: str, scope: Scope, period: Period, now: datetime, asked: Page
) -> Connection[DrillDownRow]:
    """A page of the decisions behind a figure, the record of each person on the page marked as read."""
    shown = connection(DRILL_DOWN, listed(_drill_down_rows(context, figure, scope, period, now)), asked)
    _record_reads(context, [edge.node for edge in shown.edges], f"oversight drill-down: {figure}")
    return shown


DRILL_DOWN = "drill-down"
ALERTS = "blanket alerts"


def _drill_down_rows(
    context: ApiContext, figure: str, scope: Scope, period: Period, now: datetime
) -> list[DrillDownRow]:
    try:
        return views(context).drill_down(figure, scope, period, now)
    except KeyError as unknown:
        raise ValueError(unknown.args[0]) from None


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
        fields=("plan_id", "record_id", "organisation", "setting", "made_at", "label"),
        extra={"plan_status": graphql_enum(PlanStatus) | None, "plan_status_label": str | None},
    )
    StaffTrainingView = graphql_type(
        TrainingRow,
        name="StaffTrainingView",
        description="Staff in one role trained in advance care planning and in DNACPR conversations, in a quarter, as the organisation reported them",
        extra={
            "share_trained_in_advance_care_planning": float | None,
            "share_trained_in_dnacpr_conversations": float | None,
        },
        described={"quarter": "Such as 2026-Q3", "role": "The staff role"},
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


@strawberry.type(description="One bar of a chart: what it counts, and how many")
class ChartRow:
    label: str = strawberry.field(description="What the bar counts, in words")
    count: int = strawberry.field(description="How many")


@strawberry.type(description="A chart's data: every chart on the dashboard comes with its table")
class OversightChart:
    key: str = strawberry.field(description="The chart's stable key")
    title: str = strawberry.field(description="The chart's title, in words")
    rows: list[ChartRow] = strawberry.field(description="Its bars, in the order shown")
    counted: str = strawberry.field(description="What each row counts (recommendations, concerns, ...)")


@strawberry.type(description="Quality at a glance for a region, an organisation or a setting over a period")
class OversightDashboard:
    scope: str = strawberry.field(
        description="What the figures cover, in words (the region, organisation or setting)"
    )
    period_start: datetime = strawberry.field(description="The period's first instant")
    period_end: datetime = strawberry.field(description="The instant the period ends, not included")
    as_of: datetime = strawberry.field(
        description="The clock that 'overdue' and 'not yet seen' were judged by"
    )
    demo: bool = strawberry.field(description="True when this is the synthetic demo region, not real people")
    figures: list[OversightFigure] = strawberry.field(description="The quality figures")
    timings: list[OversightTiming] = strawberry.field(description="How long things took")
    charts: list[OversightChart] = strawberry.field(description="The charts, each with its table")
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
                key=chart.key,
                title=chart.title,
                rows=[ChartRow(label=k, count=v) for k, v in chart.rows],
                counted=chart.counted,
            )
            for chart in dashboard.charts
        ],
        unregistered_organisations=list(dashboard.unregistered_organisations),
        staff_knowledge=list(dashboard.staff_knowledge),
    )


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
            "finding": "The finding: reviewed-and-individual, blanket-raised-with-provider or "
            "referred-to-safeguarding",
            "decisions": "How many of the alert's decisions this is the latest finding for",
            "latest_by": "Who recorded the latest of them",
        },
    )
    BlanketAlertReason = graphql_type(
        AlertReason,
        name="BlanketAlertReason",
        description="One pattern the decisions of an alert match, and what was seen",
        spelled={"plan_ids": list[UUID], "shared_features": list[str]},
        described={
            "kind": "The pattern",
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
            "kind": graphql_enum(AlertKind),
            "kind_label": str,
            "kinds": list[graphql_enum(AlertKind)],  # type: ignore[misc]
            "kinds_label": list[str],
            "scope": graphql_enum(AlertScope),
            "scope_label": str,
            "explanation": str,
            "shared_features": list[str],
        },
        described={
            "summary": "How many decisions, when, decided by which organisation, for whom (names from the register)",
            "reasons": "Every pattern matched, near-identical reasoning first",
            "care_home": "The care home at least half of the people were living in, when there is one",
            "care_home_cqc_location": "The care home's Care Quality Commission location ID, when the register"
            " holds it",
            "kind": "The first pattern matched (see reasons for all)",
            "kinds": "Every pattern matched",
            "scope": "Organisation when any pattern was seen in one organisation's decisions, else author",
            "explanation": "The summary followed by what each pattern saw",
            "findings": "What the board has found about its decisions so far (recordBoardFinding)",
        },
    )


@strawberry.type(description="One row of the equality table as it may be published: withheld values are [c]")
class EqualityRow:
    characteristic: str = strawberry.field(
        description="The characteristic (such as age band, sex or ethnicity)"
    )
    group: str = strawberry.field(description="The group of that characteristic")
    dnacpr: str = strawberry.field(description="People of the group with a DNACPR recommendation")
    people_in_record: str = strawberry.field(description="People of the group in the record")
    registered_population: str = strawberry.field(
        description="People of the group in the board's registered (GP-registered) population"
    )
    rate_per_thousand_in_record: str = strawberry.field(
        description="People of the group with a DNACPR recommendation per 1,000 people of the group in the record"
    )
    rate_per_thousand_in_population: str = strawberry.field(
        description="People of the group with a DNACPR recommendation per 1,000 of the group in the registered "
        "(GP-registered) population of the board"
    )
    nothing_recorded: str | None = strawberry.field(
        description="On a characteristic's total row: whether it is recorded for nobody in the record"
    )
    note: str | None = strawberry.field(description="On a characteristic's total row: a note on its figures")


# Each field of EqualityRow, and the column of EqualityTable.published_rows it shows.
EQUALITY_COLUMNS = {
    "characteristic": "characteristic",
    "group": "group",
    "dnacpr": "dnacpr",
    "people_in_record": "people in record",
    "registered_population": "registered population",
    "rate_per_thousand_in_record": "with DNACPR per 1,000 people in record",
    "rate_per_thousand_in_population": "with DNACPR per 1,000 registered population",
    "nothing_recorded": "nothing recorded",
    "note": "note",
}


@strawberry.type(
    description="DNACPR recommendation rates by characteristic against the people in the record and the registered population. Counts under 5 are withheld ([c]), with further cells withheld so that none can be worked out from the totals; [x] not available, [z] not applicable."
)
class EqualityMonitoringView:
    rows: list[EqualityRow] = strawberry.field(
        description="The table's rows, characteristic by characteristic"
    )
    not_recorded_for_anyone: list[str] = strawberry.field(
        description="The characteristics recorded for nobody in the record"
    )


def equality_view(table: EqualityTable) -> EqualityMonitoringView:
    return EqualityMonitoringView(
        rows=[_equality_row(row) for row in table.published_rows()],
        not_recorded_for_anyone=list(table.nothing_recorded),
    )


def _equality_row(row: dict[str, str]) -> EqualityRow:
    shown: dict[str, Any] = {field: row.get(column) for field, column in EQUALITY_COLUMNS.items()}
    return EqualityRow(**shown)
