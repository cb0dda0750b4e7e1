"""The portal's pages: sign in with a bearer token, find a person by NHS number, read their plan in plain
language; the oversight pages for assurance teams and administrators are in oversight_pages.py.

Reading a person's page goes through `access.read_record`, exactly as the API's `person` query does: the same
per-organisation rules, and the read (or its refusal) recorded before anything is shown. Every POST carries the
session's CSRF token; a POST without it is refused with 403 and recorded. Responses are never cached and never
framed; the page needs no script.
"""

from __future__ import annotations

import logging
from functools import partial
from uuid import UUID

import jwt
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from carerecord_events.roles import Role
from carerecord_graphql.access import read_record, reader_of, record_id_for
from carerecord_graphql.auth import AuthenticationFailed, Principal
from carerecord_graphql.context import ApiContext, NotAllowed, TryAgain
from carerecord_graphql.oversight import OVERSIGHT_ROLES
from carerecord_graphql.portal.oversight_pages import OversightPages
from carerecord_graphql.portal.rendering import sentence
from carerecord_graphql.portal.views import person_page
from carerecord_services.errors import InvalidIdentifier
from carerecord_services.identifiers import canonical_nhs_number
from carerecord_services.read_access import ReadRefused

log = logging.getLogger("carerecord.portal")


class Portal(OversightPages):
    """The portal's routes: signing in and out, finding a person, and their plan."""

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
            Route("/portal/dashboard/alerts/{index:int}/finding", self.record_finding, methods=["POST"]),
            Route("/portal/dashboard/{key:str}", self.drill_down, methods=["GET"]),
            Route("/portal/export/decisions/{key:str}.csv", self.export, methods=["GET"]),
            Route("/portal/export/{part:str}.csv", self.export, methods=["GET"]),
        ]

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
                    "error": sentence(refused.message),
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
                {"title": "This record is being brought up to date", "message": sentence(str(later))},
                status_code=503,
            )
        except NotAllowed as refused:
            return self.render(
                request,
                session,
                "problem.html",
                {
                    "title": "You may not see this record",
                    "message": sentence(str(refused)),
                    "recorded": True,
                },
                status_code=403,
            )
        page = person_page(row, self.api.clock().date())
        return self.render(request, session, "person.html", {"title": page.name, "person": page})


def _purpose(principal: Principal) -> str:
    return "assurance" if principal.role is Role.ASSURANCE else "direct care"
