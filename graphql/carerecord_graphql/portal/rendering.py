"""What every portal page shares: the templates, the security headers on every response, the session cookie,
and the CSRF check on every form."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any

import eventsourcing.persistence
import psycopg2
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from carerecord_events.roles import ROLES
from carerecord_graphql.auth import Principal
from carerecord_graphql.context import Api
from carerecord_graphql.oversight import OVERSIGHT_ROLES
from carerecord_graphql.portal.plan_sections import plan_sections
from carerecord_graphql.portal.session import CSRF_FIELD, Session, Sessions
from carerecord_graphql.portal.views import long_date
from carerecord_services.errors import StoreUnavailable

log = logging.getLogger("carerecord.portal")

Endpoint = Callable[[Request], Awaitable[Response]]
DATABASE_UNAVAILABLE = (psycopg2.OperationalError, eventsourcing.persistence.OperationalError)
UNREACHABLE = (
    "Its database did not answer. Nothing you did was lost or half done. Wait a minute, then try again. "
    "In an emergency, act on the paper form if the person has one."
)
UNEXPECTED = (
    "The page could not be shown. Nothing was recorded in the person's record. Try again; if it happens again, "
    "tell your service desk the time it happened."
)

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


class PortalRendering:
    """Rendering, redirects, the session and the CSRF check, for the pages built on it."""

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
        self.templates.filters["plan_sections"] = plan_sections

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

    def guarded(self, endpoint: Endpoint) -> Endpoint:
        """The endpoint, with what it could not do shown as a page in the portal's own style: the database down
        (503, try again) or anything unexpected (500), never a bare "Internal Server Error" or a traceback."""

        async def page(request: Request) -> Response:
            try:
                return await endpoint(request)
            except (*DATABASE_UNAVAILABLE, StoreUnavailable) as error:
                log.warning("portal: database unavailable (%s) at %s", type(error).__name__, _route(request))
                return self.unavailable(
                    request, 503, "The care record cannot be reached just now", UNREACHABLE
                )
            except Exception as error:
                log.error("portal: unexpected %s at %s", type(error).__name__, _route(request))
                return self.unavailable(request, 500, "Something went wrong", UNEXPECTED)

        return page

    def unavailable(self, request: Request, status_code: int, title: str, message: str) -> HTMLResponse:
        """A page that needs nothing from the database (not even the session's end), and leaves the cookie
        as it is, so the user is still signed in when they try again."""
        page = self.templates.get_template("problem.html").render(
            principal=None,
            title=title,
            message=message,
            path=request.url.path,
            try_again=str(request.url.replace(scheme="", netloc="")) if request.method == "GET" else "",
        )
        return HTMLResponse(page, status_code=status_code, headers={**SECURITY_HEADERS, "Retry-After": "30"})

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

    def catching_up(
        self, request: Request, session: Session, later: Exception, whose: str = "This record"
    ) -> Response:
        """The 503 page for a read that found the read models behind the record: try again in a moment."""
        values = {"title": f"{whose} is being brought up to date", "message": sentence(str(later))}
        return self.render(request, session, "problem.html", values, status_code=503)

    def refused(self, request: Request, session: Session, reason: str, status_code: int = 403) -> Response:
        return self.render(
            request,
            session,
            "problem.html",
            {"title": "You may not see these figures", "message": sentence(reason), "recorded": True},
            status_code=status_code,
        )


_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _route(request: Request) -> str:
    """The page's path with any record id left out: logs never say whose record was asked for."""
    return _ID.sub("{id}", request.url.path)


def sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "."
