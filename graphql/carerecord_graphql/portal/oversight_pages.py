"""The oversight pages for assurance teams and administrators: the dashboard, the decisions behind a figure and
behind a blanket-decision alert. Each scope is authorised exactly as the API's oversight queries authorise it."""

from __future__ import annotations

from datetime import datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from carerecord_graphql.context import ApiContext, NotAllowed
from carerecord_graphql.oversight import alert_drill_down, authorised_scope, drill_down, views
from carerecord_graphql.portal.dashboard import (
    CODE_WORDS,
    DRILLABLE,
    SETTING_CHOICES,
    Filters,
    charts,
    drilled,
    equality_tables,
    filters_from,
    hours,
    percent,
    sections,
)
from carerecord_graphql.portal.rendering import PortalRendering
from carerecord_graphql.portal.session import Session
from carerecord_graphql.portal.views import PLAN_STATUSES
from carerecord_projections.oversight.rules.scope import Scope


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
            "drill_down.html",
            {
                "title": "Possible blanket decision",
                "figure": {"label": alert.summary, "section": "Possible blanket decision"},
                "rows": rows,
                "filters": filters,
                "scope": scope,
                "words": {**CODE_WORDS, **PLAN_STATUSES},
            },
        )
