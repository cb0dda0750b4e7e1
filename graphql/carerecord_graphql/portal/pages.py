"""The portal's pages: sign in with a bearer token, find a person by NHS number, read their plan in plain
language, and (for assurance teams and administrators) the oversight dashboard.

Reading a person's page goes through `access.read_record`, exactly as the API's `person` query does: the same
per-organisation rules, and the read (or its refusal) recorded before anything is shown. Every POST carries the
session's CSRF token; a POST without it is refused with 403 and recorded. Responses are never cached and never
framed; the page needs no script.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from importlib import resources
from typing import Any
from uuid import UUID

import jwt
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from carerecord_events.roles import ROLES, Role
from carerecord_graphql.access import read_record, reader_of, record_id_for
from carerecord_graphql.auth import AuthenticationFailed, Principal
from carerecord_graphql.context import Api, ApiContext, NotAllowed, TryAgain
from carerecord_graphql.oversight import (
    OVERSIGHT_ROLES,
    alert_drill_down,
    authorised_scope,
    drill_down,
    views,
)
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
from carerecord_graphql.portal.session import CSRF_FIELD, Session, Sessions
from carerecord_graphql.portal.views import PLAN_STATUSES, long_date, person_page
from carerecord_projections.oversight.rules.scope import Scope
from carerecord_services.errors import InvalidIdentifier
from carerecord_services.identifiers import canonical_nhs_number
from carerecord_services.read_access import ReadRefused

log = logging.getLogger("carerecord.portal")

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}

Handler = Callable[[Request], Awaitable[Response]]


class Portal:
    def __init__(self, api: Api, sessions: Sessions) -> None:
        self.api = api
        self.sessions = sessions
        self.templates = Environment(
            loader=PackageLoader("carerecord_graphql.portal", "templates"),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.filters["long_date"] = long_date

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/portal", self.home, methods=["GET"]),
            Route("/portal/portal.css", self.stylesheet, methods=["GET"]),
            Route("/portal/sign-in", self.sign_in_form, methods=["GET"]),
            Route("/portal/sign-in", self.sign_in, methods=["POST"]),
            Route("/portal/sign-out", self.sign_out, methods=["POST"]),
            Route("/portal/find", self.find_form, methods=["GET"]),
            Route("/portal/find", self.find, methods=["POST"]),
            Route("/portal/people/{record_id:uuid}", self.person, methods=["GET"]),
            Route("/portal/dashboard", self.dashboard, methods=["GET"]),
            Route("/portal/dashboard/alerts/{index:int}", self.alert, methods=["GET"]),
            Route("/portal/dashboard/{key:str}", self.drill_down, methods=["GET"]),
        ]

    # -- rendering ---------------------------------------------------------------------------------------------

    def render(
        self,
        request: Request,
        session: Session,
        template: str,
        values: dict[str, Any],
        status_code: int = 200,
    ) -> HTMLResponse:
        principal = session.signed_in(time.time())
        page = self.templates.get_template(template).render(
            principal=principal,
            role_label=ROLES[principal.role].label if principal else "",
            may_oversee=principal is not None and principal.role in OVERSIGHT_ROLES,
            csrf_field=CSRF_FIELD,
            csrf=session.csrf,
            path=request.url.path,
            demo=self.api.oversight is not None and self.api.oversight.demo,
            **values,
        )
        response = HTMLResponse(page, status_code=status_code, headers=SECURITY_HEADERS)
        self.sessions.write(request, response, session)
        return response

    def redirect(self, request: Request, session: Session | None, to: str) -> RedirectResponse:
        response = RedirectResponse(to, status_code=303, headers=SECURITY_HEADERS)
        if session is not None:
            self.sessions.write(request, response, session)
        return response

    async def stylesheet(self, _: Request) -> Response:
        css = resources.files("carerecord_graphql.portal").joinpath("static/portal.css").read_text()
        return Response(
            css,
            media_type="text/css",
            headers={"Cache-Control": "max-age=3600", "X-Content-Type-Options": "nosniff"},
        )

    # -- sessions ----------------------------------------------------------------------------------------------

    def signed_in(self, request: Request) -> tuple[Session, Principal | None]:
        session = self.sessions.read(request)
        return session, session.signed_in(time.time())

    async def checked_form(self, request: Request, session: Session) -> FormData | Response:
        """The form if it carries this session's CSRF token; otherwise a recorded 403."""
        form = await request.form()
        if session.csrf_matches(form.get(CSRF_FIELD)):
            return form
        principal = session.signed_in(time.time())
        log.warning("portal: refused a form without a valid CSRF token at %s", request.url.path)
        if principal is not None:
            await run_in_threadpool(
                self.api.audit.record_access,
                principal.actor,
                None,
                operation=f"portal form {request.url.path}",
                purpose="portal",
                granted=False,
                refusal_reason="the form did not carry this session's CSRF token",
            )
        return self.render(
            request,
            session,
            "problem.html",
            {
                "title": "This form could not be accepted",
                "message": "The form did not come from this session, so nothing was done. Go back, reload "
                "the page and try again.",
            },
            status_code=403,
        )

    async def home(self, request: Request) -> Response:
        _, principal = self.signed_in(request)
        if principal is None:
            return self.redirect(request, None, "/portal/sign-in")
        return self.redirect(
            request, None, "/portal/dashboard" if principal.role in OVERSIGHT_ROLES else "/portal/find"
        )

    async def sign_in_form(self, request: Request) -> Response:
        session, principal = self.signed_in(request)
        if principal is not None:
            return self.redirect(request, session, "/portal")
        return self.render(request, session, "sign_in.html", {"title": "Sign in"})

    async def sign_in(self, request: Request) -> Response:
        session = self.sessions.read(request)
        form = await self.checked_form(request, session)
        if isinstance(form, Response):
            return form
        token = str(form.get("token") or "").strip()
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        try:
            principal = await run_in_threadpool(self.api.verifier.verify, f"Bearer {token}")
        except AuthenticationFailed as refused:
            log.info("portal: sign-in refused (%s)", refused)
            return self.render(
                request,
                session,
                "sign_in.html",
                {"title": "Sign in", "error": f"You could not be signed in: {refused}."},
                status_code=401,
            )
        expires = float(jwt.decode(token, options={"verify_signature": False})["exp"])
        return self.redirect(request, self.sessions.sign_in(principal, expires), "/portal")

    async def sign_out(self, request: Request) -> Response:
        session = self.sessions.read(request)
        form = await self.checked_form(request, session)
        if isinstance(form, Response):
            return form
        await run_in_threadpool(self.sessions.end, session)
        response = self.redirect(request, None, "/portal/sign-in")
        self.sessions.clear(request, response)
        return response

    # -- a person's plan ---------------------------------------------------------------------------------------

    async def find_form(self, request: Request) -> Response:
        session, principal = self.signed_in(request)
        if principal is None:
            return self.redirect(request, session, "/portal/sign-in")
        return self.render(request, session, "find.html", {"title": "Find a person"})

    async def find(self, request: Request) -> Response:
        session, principal = self.signed_in(request)
        form = await self.checked_form(request, session)
        if isinstance(form, Response):
            return form
        if principal is None:
            return self.redirect(request, session, "/portal/sign-in")
        entered = str(form.get("nhs_number") or "")
        try:
            nhs_number = canonical_nhs_number(entered)
        except InvalidIdentifier:
            return self.render(
                request,
                session,
                "find.html",
                {
                    "title": "Find a person",
                    "entered": entered,
                    "error": "Enter a 10-digit NHS number in the digits 0-9, like 943 476 5919.",
                },
                status_code=400,
            )
        # decided (and a refusal recorded) before the record's id is revealed in the redirect
        context = ApiContext(self.api, principal, None)
        record_id = await run_in_threadpool(record_id_for, context, nhs_number)
        try:
            await run_in_threadpool(
                partial(
                    self.api.reading.authorise,
                    reader_of(principal),
                    record_id,
                    operation="portal find",
                    purpose=_purpose(principal),
                )
            )
        except ReadRefused as refused:
            return self.render(
                request,
                session,
                "find.html",
                {
                    "title": "Find a person",
                    "entered": entered,
                    "error": _sentence(refused.message),
                    "recorded": True,
                },
                status_code=404,
            )
        return self.redirect(request, session, f"/portal/people/{record_id}")

    async def person(self, request: Request) -> Response:
        session, principal = self.signed_in(request)
        if principal is None:
            return self.redirect(request, session, "/portal/sign-in")
        record_id: UUID = request.path_params["record_id"]
        context = ApiContext(self.api, principal, None)
        try:
            row = await run_in_threadpool(
                read_record, context, record_id, "portal person", _purpose(principal)
            )
        except TryAgain as later:
            return self.render(
                request,
                session,
                "problem.html",
                {"title": "This record is being brought up to date", "message": _sentence(str(later))},
                status_code=503,
            )
        except NotAllowed as refused:
            return self.render(
                request,
                session,
                "problem.html",
                {
                    "title": "You may not see this record",
                    "message": _sentence(str(refused)),
                    "recorded": True,
                },
                status_code=403,
            )
        page = person_page(row, self.api.clock().date())
        return self.render(request, session, "person.html", {"title": page.name, "person": page})

    # -- oversight ---------------------------------------------------------------------------------------------

    def refused(self, request: Request, session: Session, reason: str, status_code: int = 403) -> Response:
        return self.render(
            request,
            session,
            "problem.html",
            {"title": "You may not see these figures", "message": _sentence(reason), "recorded": True},
            status_code=status_code,
        )

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
                "figure": {"label": alert.explanation, "section": "Possible blanket decision"},
                "rows": rows,
                "filters": filters,
                "scope": scope,
                "words": {**CODE_WORDS, **PLAN_STATUSES},
            },
        )


def _purpose(principal: Principal) -> str:
    return "assurance" if principal.role is Role.ASSURANCE else "direct care"


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "."
