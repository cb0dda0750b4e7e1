"""The oversight pages for assurance teams and administrators: the dashboard, the decisions behind a figure and
behind a blanket-decision alert. Each scope is authorised exactly as the API's oversight queries authorise it."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from uuid import uuid4

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from carerecord_events.plain import BOARD_FINDING_NAMES
from carerecord_events.vocabulary import BoardFinding
from carerecord_graphql.access import reader_of
from carerecord_graphql.context import ApiContext, NotAllowed
from carerecord_graphql.oversight import alert_drill_down, authorised_scope, drill_down, views
from carerecord_graphql.oversight_export import csv_response, exported
from carerecord_graphql.portal.dashboard import (
    CODE_WORDS,
    DRILLABLE,
    SETTING_CHOICES,
    Filters,
    at_a_glance,
    charts,
    drilled,
    equality_tables,
    filters_from,
    hours,
    percent,
    ranked_charts,
    sections,
    trend_rows,
)
from carerecord_graphql.portal.rendering import PortalRendering
from carerecord_graphql.portal.session import Session
from carerecord_graphql.portal.views import PLAN_STATUSES
from carerecord_projections.oversight.rules.blanket_alerts import BlanketAlert
from carerecord_projections.oversight.rules.scope import Scope
from carerecord_services import commands as c
from carerecord_services.changes import ChangeRefused
from carerecord_services.errors import DomainError, NotPermitted
from carerecord_services.policy import PERMISSIONS, Action
from carerecord_services.service import Idempotency


class OversightPages(PortalRendering):
    """The dashboard and its drill-downs, each scope authorised (and a refusal recorded) before it is shown."""

    async def oversight_request(
        self, request: Request, operation: str
    ) -> Response | tuple[Session, ApiContext, datetime, Filters, Scope]:
        """Signed in, with filters, and a scope the caller may see (authorised exactly as the API's oversight
        queries are, a refusal recorded); otherwise the page to show instead."""
        session, principal = self.signed_in(request)
        if principal is None:
            return self.redirect(request, session, "/portal/sign-in")
        context = ApiContext(self.api, principal, None)
        now = self.api.clock()
        filters = filters_from(dict(request.query_params), now.date())
        try:
            scope = await run_in_threadpool(
                authorised_scope,
                context,
                filters.region or None,
                filters.organisation or None,
                filters.setting or None,
                operation,
            )
            views(context)
        except NotAllowed as refused:
            return self.refused(request, session, str(refused))
        return session, context, now, filters, scope

    async def dashboard(self, request: Request) -> Response:
        """The scope is authorised exactly as the API's oversight query authorises it (a refusal recorded)."""
        asked = await self.oversight_request(request, "portal dashboard")
        if isinstance(asked, Response):
            return asked
        session, context, now, filters, scope = asked
        oversight = views(context)
        shown = await run_in_threadpool(oversight.dashboard, scope, filters.period, now)
        alerts = await run_in_threadpool(oversight.blanket_alerts, scope, filters.period)
        equality = await run_in_threadpool(oversight.equality, scope, filters.period)
        return self.render(
            request,
            session,
            "dashboard.html",
            {
                "title": "Oversight of decisions",
                "dashboard": shown,
                "alerts": alerts,
                "equality": equality_tables(equality),
                "filters": filters,
                "scope": scope,
                "sections": sections(shown),
                "charts": charts(shown),
                "glance": at_a_glance(shown),
                "ranked": ranked_charts(shown, filters),
                "trend": trend_rows(shown, filters),
                "setting_choices": SETTING_CHOICES,
                "percent": percent,
                "hours": hours,
                "drillable": DRILLABLE,
            },
        )

    async def drill_down(self, request: Request) -> Response:
        """The decisions behind one figure, through the API's drill-down: each person listed has the look
        recorded on their record."""
        asked = await self.oversight_request(request, "portal drill-down")
        if isinstance(asked, Response):
            return asked
        session, context, now, filters, scope = asked
        key = str(request.path_params["key"])
        oversight = views(context)
        shown = await run_in_threadpool(oversight.dashboard, scope, filters.period, now)
        figure = drilled(shown, key)
        if figure is None:
            return self.render(
                request,
                session,
                "problem.html",
                {"title": "There is no such figure", "message": "The dashboard has no list by that name."},
                status_code=404,
            )
        rows = await run_in_threadpool(drill_down, context, key, scope, filters.period, now)
        return self.render(
            request,
            session,
            "drill_down.html",
            {
                "title": figure.label,
                "figure": figure,
                "rows": rows,
                "filters": filters,
                "scope": scope,
                "words": {**CODE_WORDS, **PLAN_STATUSES},
            },
        )

    async def alert(self, request: Request) -> Response:
        """The decisions named by one blanket-decision alert; each person listed has the look recorded."""
        asked = await self.oversight_request(request, "portal blanket alert")
        if isinstance(asked, Response):
            return asked
        session, context, _, filters, scope = asked
        found = await run_in_threadpool(
            alert_drill_down, context, scope, filters.period, int(request.path_params["index"])
        )
        if found is None:
            return self.render(
                request,
                session,
                "problem.html",
                {"title": "There is no such alert", "message": "The dashboard has no alert by that number."},
                status_code=404,
            )
        alert, rows = found
        return self.render(
            request,
            session,
            "alert.html",
            {
                "title": "Possible blanket decision",
                "alert": alert,
                "alert_key": alert_key(alert),
                "index": int(request.path_params["index"]),
                "rows": rows,
                "filters": filters,
                "scope": scope,
                "words": {**CODE_WORDS, **PLAN_STATUSES, **FINDING_WORDS},
                "findings": FINDING_WORDS,
                "may_record_finding": context.caller().role in PERMISSIONS[Action.RECORD_BOARD_FINDING],
                "form_id": uuid4().hex,
                "recorded": request.query_params.get("recorded"),
            },
        )

    async def export(self, request: Request) -> Response:
        """A CSV file of the dashboard's figures, alerts or equality table, or of the decisions behind a figure
        (each person listed recorded as read), authorised as the dashboard is."""
        figure = request.path_params.get("key")
        part = str(request.path_params.get("part", "figures"))
        asked = await self.oversight_request(request, f"portal export {figure or part}")
        if isinstance(asked, Response):
            return asked
        session, context, now, filters, scope = asked
        try:
            name, text = await run_in_threadpool(exported, context, part, scope, filters.period, now, figure)
        except ValueError as unknown:
            return self.render(
                request,
                session,
                "problem.html",
                {"title": "There is no such file", "message": str(unknown)},
                404,
            )
        return csv_response(name, text)

    async def record_finding(self, request: Request) -> Response:
        """The board's finding about every decision of one alert, recorded on each person's record (each decided
        as a change by an assurance team member, from the record). Submitting the same form twice records once:
        each decision's finding carries an idempotency key made of the form's id and the decision."""
        asked = await self.oversight_request(request, "portal blanket alert finding")
        if isinstance(asked, Response):
            return asked
        session, context, _, filters, scope = asked
        form = await self.checked_form(request, session)
        if isinstance(form, Response):
            return form
        index = int(request.path_params["index"])
        problem = _finding_problem(form)
        alerts = await run_in_threadpool(views(context).blanket_alerts, scope, filters.period)
        alert = next((a for a in alerts if alert_key(a) == form.get("alert_key")), None)
        if alert is None:
            problem = (
                "The alert changed since you opened it (new decisions joined it). Reload it and try again."
            )
        if problem:
            return self.render(
                request, session, "problem.html", {"title": "Nothing was recorded", "message": problem}, 400
            )
        assert alert is not None
        finding, notes = BoardFinding(str(form["finding"])), str(form.get("notes", "")).strip()
        refused = await run_in_threadpool(
            _record_findings, context, alert, finding, notes, str(form.get("form_id", ""))
        )
        if refused:
            return self.render(
                request,
                session,
                "problem.html",
                {
                    "title": "Not every finding was recorded",
                    "message": f"{len(alert.plan_ids) - len(refused)} of {len(alert.plan_ids)} were recorded."
                    f" The others were refused: {'; '.join(sorted(set(refused)))}. Submitting the form again"
                    " records only those not yet recorded.",
                },
                status_code=403,
            )
        query = (
            f"?{filters.query}&recorded={finding.value}" if filters.query else f"?recorded={finding.value}"
        )
        return self.redirect(request, session, f"/portal/dashboard/alerts/{index}{query}")


FINDING_WORDS = {finding.value: BOARD_FINDING_NAMES[finding] for finding in BoardFinding}


def alert_key(alert: BlanketAlert) -> str:
    """Which alert a form is about: its decisions, so that a form opened before the list changed cannot land on
    another alert."""
    return hashlib.sha256(",".join(sorted(str(plan) for plan in alert.plan_ids)).encode()).hexdigest()[:32]


def _finding_problem(form: Any) -> str:
    if form.get("finding") not in FINDING_WORDS:
        return "Choose what the board found: " + "; ".join(FINDING_WORDS.values()) + "."
    if len(str(form.get("notes", ""))) > 2000:
        return "The notes are over 2,000 characters: shorten them."
    if not str(form.get("form_id", "")).isalnum():
        return "The form is incomplete: reload the alert and try again."
    return ""


def _record_findings(
    context: ApiContext, alert: BlanketAlert, finding: BoardFinding, notes: str, form_id: str
) -> list[str]:
    """Records the finding on the record of each decision's person; the refusals' messages, if any."""
    caller = context.caller()
    people = {row.plan_id: row.record_id for row in views(context).alert_decisions(alert.plan_ids)}
    refused = []
    for plan_id, record_id in people.items():
        command = c.RecordBoardFinding(actor=caller.actor, plan_id=plan_id, finding=finding, notes=notes)
        key = Idempotency(caller.actor.user_id, f"portal-finding:{form_id}:{plan_id}", f"{finding}:{notes}")
        try:
            context.api.changes.change(reader_of(caller), record_id, command, idempotency=key)
        except (ChangeRefused, NotPermitted, DomainError) as refusal:
            refused.append(refusal.message)
    return refused
