"""The portal's pages: sign in with a bearer token, find a person by NHS number (urgent care also by family
name, date of birth and postcode, as the API's searchPeople), open a refused record in an emergency (break glass,
as the API's breakGlass), read their plan in plain language, the decision about CPR first; the oversight pages for assurance teams and administrators are in oversight_pages.py.

Reading a person's page goes through `access.read_record`, exactly as the API's `person` query does: the same
per-organisation rules, and the read (or its refusal) recorded before anything is shown. Every POST carries the
session's CSRF token; a POST without it is refused with 403 and recorded. Responses are never cached and never
framed; the page needs no script.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from functools import partial
from typing import Any
from uuid import UUID

import jwt
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from carerecord_events.access import NO_RECORD
from carerecord_events.record.facts import in_force
from carerecord_events.roles import Role
from carerecord_events.vocabulary import CprRecommendation
from carerecord_graphql.access import read_record_decided, reader_of, record_id_for, search_people
from carerecord_graphql.auth import AuthenticationFailed, Principal
from carerecord_graphql.context import ApiContext, NotAllowed, TryAgain, record_permission_refusal
from carerecord_graphql.oversight import OVERSIGHT_ROLES
from carerecord_graphql.portal.my_plan import OWN_RECORD_ROLES, MyPlanPages
from carerecord_graphql.portal.oversight_pages import OversightPages
from carerecord_graphql.portal.printing import PlanPrinting
from carerecord_graphql.portal.record_forms import FORMS
from carerecord_graphql.portal.record_pages import RecordPages
from carerecord_graphql.portal.rendering import sentence
from carerecord_graphql.portal.views import PlanWarnings, clock_time, long_date, person_page
from carerecord_projections.current_plan.queries import PlanRow
from carerecord_projections.current_plan.view import plans_of
from carerecord_services.break_glass import BreakGlass
from carerecord_services.errors import DomainError, InvalidIdentifier, NotPermitted
from carerecord_services.identifiers import canonical_nhs_number, canonical_postcode
from carerecord_services.policy import PERMISSIONS, Read
from carerecord_services.read_access import ReadRefused

log = logging.getLogger("carerecord.portal")


class Portal(MyPlanPages, RecordPages, OversightPages, PlanPrinting):
    """The portal's routes: signing in and out, finding a person, and their plan."""

    def routes(self) -> list[BaseRoute]:
        pages = [
            ("/portal", self.home, "GET"),
            ("/portal/sign-in", self.sign_in_form, "GET"),
            ("/portal/sign-in", self.sign_in, "POST"),
            ("/portal/sign-out", self.sign_out, "POST"),
            ("/portal/find", self.find_form, "GET"),
            ("/portal/find", self.find, "POST"),
            ("/portal/search", self.search, "POST"),
            ("/portal/break-glass", self.break_glass, "POST"),
            ("/portal/people/{record_id:uuid}", self.person, "GET"),
            ("/portal/dashboard", self.dashboard, "GET"),
            ("/portal/dashboard/alerts/{index:int}", self.alert, "GET"),
            ("/portal/dashboard/alerts/{index:int}/finding", self.record_finding, "POST"),
            ("/portal/dashboard/{key:str}", self.drill_down, "GET"),
            ("/portal/export/decisions/{key:str}.csv", self.export, "GET"),
            ("/portal/export/{part:str}.csv", self.export, "GET"),
            ("/portal/people/{record_id:uuid}/plans/{plan_id:uuid}/print", self.print_plan, "GET"),
            ("/portal/people/{record_id:uuid}/plans/{plan_id:uuid}/print.pdf", self.print_pdf, "GET"),
            *self.my_plan_routes(),
            ("/portal/people/{record_id:uuid}/record/{form:str}", self.record_form, "GET"),
            ("/portal/people/{record_id:uuid}/record/{form:str}", self.record_submit, "POST"),
        ]
        return [
            Route("/", self.start, methods=["GET"]),
            Route("/portal/portal.css", self.stylesheet, methods=["GET"]),
            *(Route(path, self.guarded(page), methods=[method]) for path, page, method in pages),
        ]

    async def start(self, request: Request) -> Response:
        """A newcomer opening the address `make run` printed lands on the portal."""
        return self.redirect(request, None, "/portal")

    async def home(self, request: Request) -> Response:
        _, principal = self.signed_in(request)
        if principal is None:
            return self.redirect(request, None, "/portal/sign-in")
        if (
            principal.role in OWN_RECORD_ROLES
        ):  # the person, or their representative: their plan, not a search
            return self.redirect(request, None, "/portal/my-plan")
        return self.redirect(
            request, None, "/portal/dashboard" if principal.role in OVERSIGHT_ROLES else "/portal/find"
        )

    async def sign_in_form(self, request: Request) -> Response:
        session, principal = self.signed_in(request)
        if principal is not None:
            return self.redirect(request, session, "/portal")
        values: dict[str, Any] = {"title": "Sign in"}
        if (
            self.api.demo_sign_in is not None
        ):  # a demo store: who to sign in as, and the command for each token
            values["demo_users"] = await run_in_threadpool(self.api.demo_sign_in)
        return self.render(request, session, "sign_in.html", values)

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
        return self.render(request, session, "find.html", self.find_values(principal))

    def find_values(self, principal: Principal, **values: Any) -> dict[str, Any]:
        return {
            "title": "Find a person",
            "may_search": principal.role in PERMISSIONS[Read.SEARCH_PEOPLE],
            **values,
        }

    def break_glass_values(self, principal: Principal, **target: str) -> dict[str, Any]:
        """The emergency-access form, for the roles that may break glass: its expiry shown before it is used."""
        if principal.role not in PERMISSIONS[Read.BREAK_GLASS]:
            return {}
        lasts = self.api.break_glass_lasts
        hours = lasts.total_seconds() / 3600
        return {
            "break_glass": {
                **target,
                "lasts": f"{hours:g} {'hour' if hours == 1 else 'hours'}",
                "until": clock_time(self.api.clock() + lasts),
            }
        }

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
                self.find_values(
                    principal,
                    entered=entered,
                    error="Enter a 10-digit NHS number in the digits 0-9, like 943 476 5919.",
                ),
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
                self.find_values(
                    principal,
                    entered=entered,
                    error=sentence(refused.message),
                    recorded=True,
                    **self.break_glass_values(principal, nhs_number=nhs_number),
                ),
                status_code=404,
            )
        return self.redirect(request, session, f"/portal/people/{record_id}")

    async def search(self, request: Request) -> Response:
        """Urgent care's search by family name, date of birth and postcode: the API's searchPeople."""
        session, principal = self.signed_in(request)
        form = await self.checked_form(request, session)
        if isinstance(form, Response):
            return form
        if principal is None:
            return self.redirect(request, session, "/portal/sign-in")
        entered = {
            name: str(form.get(name) or "").strip() for name in ("family_name", "date_of_birth", "postcode")
        }
        errors = {}
        if not entered["family_name"]:
            errors["family_name"] = "Enter their family name."
        born = day_month_year(entered["date_of_birth"])
        if born is None:
            errors["date_of_birth"] = "Enter their date of birth as day/month/year, like 2/4/1938."
        try:
            canonical_postcode(entered["postcode"])
        except InvalidIdentifier:
            errors["postcode"] = "Enter a UK postcode in letters A-Z and digits 0-9, like NG1 1AA."
        if errors or born is None:
            values = self.find_values(principal, searched=entered, search_errors=errors)
            return self.render(request, session, "find.html", values, status_code=400)
        context = ApiContext(self.api, principal, None)
        try:
            rows = await run_in_threadpool(
                search_people,
                context,
                entered["family_name"],
                born,
                entered["postcode"],
                _purpose(principal),
                "portal search",
            )
        except NotAllowed as refused:
            values = self.find_values(
                principal, searched=entered, search_refused=sentence(str(refused)), recorded=True
            )
            return self.render(request, session, "find.html", values, status_code=403)
        matches = [
            {
                "record_id": str(r.record_id),
                "name": f"{r.given_name} {r.family_name}",
                "born": long_date(r.date_of_birth),
            }
            for r in rows
        ]
        values = self.find_values(principal, searched=entered, matches=matches)
        return self.render(request, session, "find.html", values)

    async def break_glass(self, request: Request) -> Response:
        """Emergency access from the refusal: granted by the same rules as the API's breakGlass, then the plan."""
        session, principal = self.signed_in(request)
        form = await self.checked_form(request, session)
        if isinstance(form, Response):
            return form
        if principal is None:
            return self.redirect(request, session, "/portal/sign-in")
        target = {name: str(form.get(name) or "") for name in ("record_id", "nhs_number") if form.get(name)}
        reason = str(form.get("reason") or "").strip()
        context = ApiContext(self.api, principal, None)
        try:
            record_id = await run_in_threadpool(_target_record, context, target)
            await run_in_threadpool(
                self.api.audit.grant_break_glass,
                BreakGlass(principal.actor, record_id or NO_RECORD, reason, self.api.break_glass_lasts),
            )
        except (ValueError, InvalidIdentifier):
            return self.render(
                request,
                session,
                "problem.html",
                {"title": "This form could not be accepted", "message": "It did not name a record."},
                status_code=400,
            )
        except NotPermitted as refused:
            record_permission_refusal(context, "portal break glass", "role-not-permitted")
            return self.render(
                request,
                session,
                "problem.html",
                {
                    "title": "You may not use emergency access",
                    "message": sentence(refused.message),
                    "recorded": True,
                },
                status_code=403,
            )
        except DomainError as refused:
            values = {
                "title": "You may not see this record",
                "message": "Emergency access was not opened.",
                **self.break_glass_values(principal, **target),
            }
            values["break_glass"] |= {"reason": reason, "error": sentence(refused.message)}
            return self.render(request, session, "problem.html", values, status_code=400)
        return self.redirect(request, session, f"/portal/people/{record_id or NO_RECORD}")

    async def person(self, request: Request) -> Response:
        session, principal = self.signed_in(request)
        if principal is None:
            return self.redirect(request, session, "/portal/sign-in")
        record_id: UUID = request.path_params["record_id"]
        context = ApiContext(self.api, principal, None)
        try:
            row, decision = await run_in_threadpool(
                read_record_decided, context, record_id, "portal person", _purpose(principal)
            )
        except TryAgain as later:
            return self.catching_up(request, session, later)
        except NotAllowed as refused:
            return self.render(
                request,
                session,
                "problem.html",
                {
                    "title": "You may not see this record",
                    "message": sentence(str(refused)),
                    "recorded": True,
                    "start_relationship": self.start_relationship_link(principal, str(record_id)),
                    **self.break_glass_values(principal, record_id=str(record_id)),
                },
                status_code=403,
            )
        today = self.api.clock().date()
        names, warnings = await run_in_threadpool(self.about_the_plans, row, today, principal)
        page = person_page(row, today, names, warnings, decision.break_glass_until)
        values = {
            "title": page.name,
            "person": page,
            "organisation_name": names.get(principal.organisation, ""),
            "recording": self.recording_links(principal, str(record_id)),
            "recorded": RECORDED.get(request.query_params.get("recorded", "")),
        }
        return self.render(request, session, "person.html", values)

    def about_the_plans(
        self, row: PlanRow, today: date, principal: Principal
    ) -> tuple[dict[str, str], PlanWarnings]:
        """The organisations' names (the register's) and the warnings the plans' page must carry: open concerns
        and blanket-decision alerts naming a plan in force."""
        plans = [plan for plan in plans_of(row, today)]
        codes = {
            principal.organisation,
            *row.document.get("caring", {}),
            *(plan.organisation for plan in plans),
        }
        names = self.api.read_models.organisation_names(codes)
        concerns = [
            (str(c.plan_id) if c.plan_id else None, long_date(c.raised_at))
            for c in self.api.read_models.open_concerns(row.record_id)
        ]
        alerts: dict[str, list[str]] = {}
        if self.api.oversight is not None:
            for plan in plans:
                if in_force(plan.status) and plan.cpr_code == CprRecommendation.DO_NOT_ATTEMPT_CPR.value:
                    found = self.api.oversight.alerts_about(plan.plan_id, plan.organisation, plan.made_at)
                    if found:
                        alerts[str(plan.plan_id)] = [alert.explanation for alert in found]
        return names, PlanWarnings(concerns=concerns, alerts=alerts)


RECORDED = {slug: form.done for slug, form in FORMS.items()}
"""What the page says after a form was recorded (`?recorded=` names the form)."""

_DATE = re.compile(r"([0-9]{1,2})[/ .-]([0-9]{1,2})[/ .-]([0-9]{4})")


def day_month_year(written: str) -> date | None:
    """A date of birth as people in the UK write it (2/4/1938, 02-04-1938, 2 4 1938), or ISO (1938-04-02).
    Digits 0-9 only ([0-9], not isdigit: that accepts other scripts' digits)."""
    written = written.strip()
    found = _DATE.fullmatch(written)
    try:
        if found:
            day, month, year = (int(part) for part in found.groups())
            return date(year, month, day)
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", written):
            return date.fromisoformat(written)
    except ValueError:
        return None
    return None


def _target_record(context: ApiContext, target: dict[str, str]) -> UUID | None:
    """The record the break-glass form names: by its id (from a refused page) or NHS number (from the search)."""
    if "record_id" in target:
        return UUID(target["record_id"])
    return record_id_for(context, canonical_nhs_number(target.get("nhs_number", "")))


def _purpose(principal: Principal) -> str:
    return "assurance" if principal.role is Role.ASSURANCE else "direct care"
