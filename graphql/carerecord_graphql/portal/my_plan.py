"""The person's own pages, and their representative's: "my plan" in the second person, an easy-read version, who
has looked at the record, and raising a concern with its progress.

They sign in as staff do (the same bearer token, verified by the API's TokenVerifier); their token names the
record they act for (`record`) and, for a representative, who they are on it (`representative`). Every page reads
that record through `access.read_record_decided`, exactly as the API does: the person reads only their own record,
a representative only the record they are recorded as representing, while not withdrawn; every look (and every
refusal) is recorded. No page takes a record id from the address, so there is no other record to ask for. Raising
a concern is the API's raiseConcern (the same change use case and rules), CSRF-checked and idempotent: the form
carries an id, and submitting it twice records one concern.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any
from uuid import UUID, uuid4

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from carerecord_events import access as access_events
from carerecord_events.catalogue import event_class
from carerecord_events.glossary import lookup
from carerecord_events.record.facts import in_force
from carerecord_events.roles import ROLES, Role
from carerecord_events.vocabulary import ConcernRaisedBy, CprRecommendation, FormType
from carerecord_graphql.access import read_record_decided, reader_of
from carerecord_graphql.auth import Principal
from carerecord_graphql.context import ApiContext, NotAllowed, TryAgain, record_permission_refusal
from carerecord_graphql.portal.rendering import Endpoint, PortalRendering, sentence
from carerecord_graphql.portal.session import Session
from carerecord_graphql.portal.views import clock_time, long_date
from carerecord_projections.current_plan.queries import PlanRow
from carerecord_projections.current_plan.view import PlanView, plans_of
from carerecord_projections.decision_facts.queries import ConcernProgress
from carerecord_services import commands as c
from carerecord_services.changes import ChangeRefused
from carerecord_services.errors import DomainError, NotPermitted
from carerecord_services.service import Idempotency

OWN_RECORD_ROLES = frozenset({Role.PERSON, Role.REPRESENTATIVE})
PURPOSE = "their own record"
SUMMARY_LIMIT = 2000

# Icons beside each idea: decorative (aria-hidden), the words always say it too.
ICONS = {
    "dnacpr": "\u2715",  # ✕
    "attempt-cpr": "\u2665",  # ♥
    "none": "?",
    "doctor": "\u271a",  # ✚
    "date": "\u25f7",  # ◷
    "you": "\u263a",  # ☺
    "care": "\u2714",  # ✔
    "talk": "\u270e",  # ✎
    "warning": "!",
}

EASY_REASONS = {
    "cpr-would-not-succeed": "The doctor thinks CPR would not work for you.",
    "not-in-best-interests": "The doctor thinks CPR would hurt you more than help you.",
    "persons-informed-refusal": "You said you do not want CPR.",
    "valid-advance-decision": "You signed a paper to say no to CPR.",
    "person-declines-or-valid-adrt": "You said no to CPR.",
    "cpr-recommended": "",
}


@dataclass(frozen=True)
class Idea:
    """One short sentence (or two) with its icon: the easy-read plan is a list of these."""

    icon: str
    text: str


@dataclass(frozen=True)
class EasyPlan:
    heading: str
    kind: str  # the banner's style: "dnacpr", "attempt-cpr" or "none"
    ideas: list[Idea]


@dataclass(frozen=True)
class Subject:
    """Whom the pages speak to and about: "you" for the person; the person by name for a representative."""

    representative: bool
    name: str

    @property
    def whose(self) -> str:
        return f"{self.name}'s" if self.representative else "your"

    @property
    def Whose(self) -> str:  # at the start of a sentence
        return self.whose[:1].upper() + self.whose[1:]


@dataclass(frozen=True)
class Look:
    """One entry of who has looked, as the person reads it: a name, a role and an organisation's name."""

    who: str
    role: str
    organisation: str
    organisation_code: str
    when: str
    what: str
    why: str
    refused: bool


@dataclass(frozen=True)
class ConcernShown:
    raised_on: str
    about: str
    summary: str
    status: str
    resolution: str
    resolved: bool


@dataclass(frozen=True)
class PlanSummary:
    plan_id: str
    kind: str
    words: str
    icon: str
    made: str
    by: str
    organisation: str
    reason: str
    review: str
    form_name: str
    awaiting_endorsement: bool
    what_matters: str
    extra: list[str] = field(default_factory=list)


class MyPlanPages(PortalRendering):
    """The person's and representative's own pages, each read through the API's access path."""

    def my_plan_routes(self) -> list[tuple[str, Endpoint, str]]:
        return [
            ("/portal/my-plan", self.my_plan, "GET"),
            ("/portal/my-plan/easy-read", self.my_plan_easy_read, "GET"),
            ("/portal/my-plan/who-has-looked", self.who_has_looked, "GET"),
            ("/portal/my-plan/concerns", self.raise_concern, "POST"),
        ]

    async def own_record(
        self, request: Request, operation: str, purpose: str = PURPOSE
    ) -> Response | tuple[Session, Principal, PlanRow]:
        """The caller's own record (the person's, or the one a representative represents), read and recorded as
        the API reads it; otherwise the page to show instead (a refusal recorded)."""
        session, principal = self.signed_in(request)
        if principal is None:
            return self.redirect(request, session, "/portal/sign-in")
        context = ApiContext(self.api, principal, None, request=request)
        if principal.role not in OWN_RECORD_ROLES:
            # the security record keeps identifier-like operation names only: the page's path
            await run_in_threadpool(
                record_permission_refusal, context, f"portal:{request.url.path}", "role-not-permitted"
            )
            return self.own_refusal(
                request, session, "These pages are for the person and their representative."
            )
        try:
            row, _ = await run_in_threadpool(
                read_record_decided, context, principal.record_id, operation, purpose
            )
        except TryAgain as later:
            return self.catching_up(request, session, later, "Your record")
        except NotAllowed as refused:
            return self.own_refusal(request, session, str(refused))
        return session, principal, row

    def own_refusal(self, request: Request, session: Session, reason: str) -> Response:
        return self.render(
            request,
            session,
            "problem.html",
            {"title": "You may not see this record", "message": sentence(reason), "recorded": True},
            status_code=403,
        )

    async def my_plan(self, request: Request) -> Response:
        asked = await self.own_record(request, "portal my plan")
        if isinstance(asked, Response):
            return asked
        session, principal, row = asked
        values = await run_in_threadpool(self.my_plan_values, principal, row)
        if request.query_params.get("raised") == "1":
            values["raised"] = True
        return self.render(request, session, "my_plan.html", values)

    def my_plan_values(self, principal: Principal, row: PlanRow, **extra: Any) -> dict[str, Any]:
        today = self.api.clock().date()
        subject = subject_of(principal, row)
        plans = [plan for plan in plans_of(row, today) if in_force(plan.status)]
        plans.sort(key=lambda plan: plan.made_at, reverse=True)
        names = self.api.read_models.organisation_names(
            {principal.organisation, *(plan.organisation for plan in plans)}
        )
        concerns = self.api.read_models.concerns(row.record_id)
        return {
            "title": f"{subject.Whose} plan",
            "subject": subject,
            "plans": [plan_summary(plan, today, names, subject) for plan in plans],
            "concerns": [concern_shown(each, plans_of(row, today), subject) for each in concerns],
            "plan_choices": [
                (str(plan.plan_id), f"The plan made on {long_date(plan.made_at)}") for plan in plans
            ],
            "form_id": uuid4().hex,
            "version": row.version,
            "viewed_on": long_date(today),
            "organisation_name": names.get(principal.organisation, ""),
            **extra,
        }

    async def my_plan_easy_read(self, request: Request) -> Response:
        asked = await self.own_record(request, "portal my plan easy read")
        if isinstance(asked, Response):
            return asked
        session, principal, row = asked
        today = self.api.clock().date()
        subject = subject_of(principal, row)
        plans = sorted(
            (plan for plan in plans_of(row, today) if in_force(plan.status)),
            key=lambda plan: plan.made_at,
            reverse=True,
        )
        names = await run_in_threadpool(
            self.api.read_models.organisation_names, {plan.organisation for plan in plans}
        )
        timeline = await run_in_threadpool(self._oldest_entries, row.record_id)
        values = {
            "title": f"{subject.Whose} plan in easy read",
            "subject": subject,
            "easy": easy_read_plans(plans, today, names, subject),
            "happened": happened(timeline)[-8:][::-1],
            "icons": ICONS,
        }
        return self.render(request, session, "my_easy_read.html", values)

    async def who_has_looked(self, request: Request) -> Response:
        """As the API's accessHistory: the record read (and that recorded) first, then every access to it."""
        asked = await self.own_record(request, "portal who has looked", "who has looked")
        if isinstance(asked, Response):
            return asked
        session, principal, row = asked
        history = await run_in_threadpool(self._latest_looks, row.record_id)
        names = await run_in_threadpool(
            self.api.read_models.organisation_names,
            {principal.organisation, *(entry["organisation"] for entry in history)},
        )
        subject = subject_of(principal, row)
        values = {
            "title": f"Who has looked at {subject.whose} record",
            "subject": subject,
            "looks": [look_of(entry, names, principal) for entry in history],
            "about": access_events.RecordAccessed.EASY_READ,
            "organisation_name": names.get(principal.organisation, ""),
        }
        return self.render(request, session, "my_who_has_looked.html", values)

    async def raise_concern(self, request: Request) -> Response:
        """The API's raiseConcern on the caller's own record. The form's id makes the idempotency key, so a form
        submitted twice records one concern; a refusal by the rules is shown beside the field it is about."""
        session, principal = self.signed_in(request)
        form = await self.checked_form(request, session)
        if isinstance(form, Response):
            return form
        if principal is None:
            return self.redirect(request, session, "/portal/sign-in")
        context = ApiContext(self.api, principal, None, request=request)
        if principal.role not in OWN_RECORD_ROLES or principal.record_id is None:
            await run_in_threadpool(
                record_permission_refusal, context, f"portal:{request.url.path}", "role-not-permitted"
            )
            return self.own_refusal(
                request, session, "Only the person and their representative raise concerns here."
            )
        entered, problem = concern_form(form)
        if problem is None:
            problem = await run_in_threadpool(self.raised, principal, entered)
        if problem is None:
            return self.redirect(request, session, "/portal/my-plan?raised=1#concerns")
        if problem.startswith("refused:"):  # not allowed on this record (refused:<reason>:<message>)
            reason, message = problem.removeprefix("refused:").split(":", 1)
            await run_in_threadpool(record_permission_refusal, context, f"portal:{request.url.path}", reason)
            return self.own_refusal(request, session, message)
        asked = await self.own_record(request, "portal my plan")
        if isinstance(asked, Response):  # judged as the API judges it, but the plan is not theirs to see
            values = {"title": "Your concern was not sent", "message": problem}
            return self.render(request, session, "problem.html", values, status_code=400)
        session, principal, row = asked
        values = await run_in_threadpool(
            partial(self.my_plan_values, principal, row, entered=entered, concern_error=problem)
        )
        values["form_id"] = entered["form_id"] or values["form_id"]
        return self.render(request, session, "my_plan.html", values, status_code=400)

    def _oldest_entries(self, record_id: UUID) -> list[dict[str, Any]]:
        """The record's first 200 timeline entries, oldest first."""
        return [entry for _, entry in self.api.read_models.timeline(record_id, None, None, 200, False)]

    def _latest_looks(self, record_id: UUID) -> list[dict[str, Any]]:
        """The latest 200 looks at the record, newest first."""
        return [look for _, look in self.api.read_models.access_history(record_id, None, None, 200, False)]

    def raised(self, principal: Principal, entered: dict[str, str]) -> str | None:
        """Raises the concern; None when recorded (or already recorded by this form), else what went wrong
        ("refused:<the refusal log's reason>:<message>" when the caller may not change this record)."""
        assert principal.record_id is not None
        command = c.RaiseConcern(
            actor=principal.actor,
            raised_by=ConcernRaisedBy.PERSON if principal.role is Role.PERSON else ConcernRaisedBy.FAMILY,
            summary=entered["summary"],
            plan_id=UUID(entered["plan_id"]) if entered["plan_id"] else None,
        )
        fingerprint = hashlib.sha256(f"{entered['plan_id']}\n{entered['summary']}".encode()).hexdigest()
        key = Idempotency(principal.user_id, f"portal-concern:{entered['form_id']}", fingerprint)
        try:
            self.api.changes.change(reader_of(principal), principal.record_id, command, idempotency=key)
        except NotPermitted as refused:
            return f"refused:role-not-permitted:{refused.message}"
        except ChangeRefused as refused:
            return f"refused:{refused.reason}:{refused.message}"
        except DomainError as refused:
            return sentence(refused.message)
        return None


_FORM_ID = re.compile(r"[0-9a-f]{32}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def concern_form(form: FormData) -> tuple[dict[str, str], str | None]:
    """What the concern form carries, and the first thing wrong with it (None: nothing)."""
    entered = {
        "summary": str(form.get("summary") or "").strip(),
        "plan_id": str(form.get("plan_id") or "").strip(),
        "form_id": str(form.get("form_id") or ""),
    }
    if not _FORM_ID.fullmatch(entered["form_id"]):
        entered["form_id"] = ""
        return entered, "The form is incomplete. Reload the page and try again."
    if entered["plan_id"] and not _UUID.fullmatch(entered["plan_id"]):
        entered["plan_id"] = ""
        return entered, "Choose what your concern is about from the list."
    if not entered["summary"]:
        return entered, "Say what you are worried about."
    if len(entered["summary"]) > SUMMARY_LIMIT:
        return entered, f"Your concern is over {SUMMARY_LIMIT:,} characters. Make it shorter."
    return entered, None


def subject_of(principal: Principal, row: PlanRow) -> Subject:
    preferred = str(row.document.get("preferred_name") or "") or row.given_name
    if principal.role is Role.REPRESENTATIVE:
        return Subject(True, f"{preferred} {row.family_name}")
    return Subject(False, preferred)


def _words(cpr_code: str) -> tuple[str, str]:
    if cpr_code == CprRecommendation.DO_NOT_ATTEMPT_CPR.value:
        return "dnacpr", "do not try CPR"
    if cpr_code == CprRecommendation.ATTEMPT_CPR.value:
        return "attempt-cpr", "try CPR"
    return "none", "no decision about CPR"


def _organisation(code: str, names: dict[str, str]) -> str:
    return names.get(code) or code


def _review(plan: PlanView, today: date, whose: str) -> str:
    if plan.review_due is None:
        return f"No date is set to look at {whose} plan again. It still counts."
    if plan.review_due < today:
        return (
            f"{whose[:1].upper()}{whose[1:]} plan was due to be looked at again by {long_date(plan.review_due)}. "
            "It still counts until it is."
        )
    return f"{whose[:1].upper()}{whose[1:]} plan will be looked at again by {long_date(plan.review_due)}."


def plan_summary(plan: PlanView, today: date, names: dict[str, str], subject: Subject) -> PlanSummary:
    kind, _ = _words(plan.cpr_code)
    if kind == "dnacpr":
        words = "if the heart stops, do not attempt CPR (cardiopulmonary resuscitation)"
    elif kind == "attempt-cpr":
        words = "if the heart stops, attempt CPR (cardiopulmonary resuscitation)"
    else:
        words = "no decision about CPR"
    you = subject.name if subject.representative else "you"
    reason = {
        "cpr-would-not-succeed": "The doctor who made it judged that CPR would not restart the heart and "
        "breathing.",
        "not-in-best-interests": "The doctor who made it judged that the harms of CPR would outweigh any benefit.",
        "persons-informed-refusal": f"{you[:1].upper()}{you[1:]} decided not to have CPR, after being told "
        "what it involves.",
        "valid-advance-decision": f"{you[:1].upper()}{you[1:]} made a valid advance decision refusing CPR.",
        "person-declines-or-valid-adrt": f"{you[:1].upper()}{you[1:]} declined CPR, or made a valid advance "
        "decision refusing it.",
    }.get(plan.reason_category, "")
    clinician = plan.responsible_clinician
    return PlanSummary(
        plan_id=str(plan.plan_id),
        kind=kind,
        words=words,
        icon=ICONS[kind],
        made=long_date(plan.made_at),
        by=f"{clinician.name}, {clinician.role}",
        organisation=_organisation(plan.organisation, names),
        reason=reason,
        review=_review(plan, today, subject.whose),
        form_name=plan.form_name,
        awaiting_endorsement=plan.awaiting_senior_endorsement,
        what_matters=plan.what_matters.strip(),
    )


def easy_read_plans(
    plans: list[PlanView], today: date, names: dict[str, str], subject: Subject
) -> list[EasyPlan]:
    """Each plan in force in short sentences, one idea each, with an icon; the glossary's easy-read words."""
    if not plans:
        return [
            EasyPlan(
                f"There is no plan about CPR for {subject.name if subject.representative else 'you'}.",
                "none",
                [
                    Idea(ICONS["none"], _easy("CPR")),
                    Idea(ICONS["talk"], "You can talk to your doctor about it."),
                ],
            )
        ]
    return [_easy_plan(plan, today, names, subject) for plan in plans]


def _easy(term: str) -> str:
    entry = lookup(term)
    assert entry is not None, term
    return entry.easy_read


def _easy_plan(plan: PlanView, today: date, names: dict[str, str], subject: Subject) -> EasyPlan:
    kind, words = _words(plan.cpr_code)
    whose = subject.whose
    heading = f"{whose[:1].upper()}{whose[1:]} plan says: {words}."
    ideas = [Idea(ICONS[kind], _easy("CPR"))]
    if kind == "dnacpr":
        ideas.append(Idea(ICONS["care"], _easy("DNACPR")))
    elif kind == "attempt-cpr":
        ideas.append(Idea(ICONS["attempt-cpr"], "If the heart stops, doctors and nurses will try CPR."))
    reason = EASY_REASONS.get(plan.reason_category, "")
    if reason:
        ideas.append(Idea(ICONS["doctor"], reason))
    ideas.append(Idea(ICONS["doctor"], f"{plan.responsible_clinician.name} made this plan."))
    ideas.append(Idea(ICONS["doctor"], f"They work at {_organisation(plan.organisation, names)}."))
    ideas.append(Idea(ICONS["date"], f"They made it on {long_date(plan.made_at)}."))
    if plan.form_type == FormType.RESPECT.value:
        ideas.append(Idea(ICONS["talk"], _easy("ReSPECT")))
    if plan.involvement.person_involved:
        ideas.append(
            Idea(
                ICONS["you"],
                "You helped make this plan."
                if not subject.representative
                else f"{subject.name} helped make this plan.",
            )
        )
    else:
        ideas.append(
            Idea(
                ICONS["you"],
                "You can ask why you were not part of it."
                if not subject.representative
                else f"{subject.name} was not part of it. You can ask why.",
            )
        )
    if plan.awaiting_senior_endorsement:
        ideas.append(Idea(ICONS["warning"], "A senior doctor has not checked this plan yet."))
    ideas.append(Idea(ICONS["date"], _review(plan, today, whose)))
    ideas.append(Idea(ICONS["talk"], "You can ask to change it. Talk to your doctor or nurse."))
    return EasyPlan(heading, kind, ideas)


def happened(timeline: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The record's events, oldest first (by when they happened), each in the easy-read words of its type."""
    found = []
    for entry in sorted(timeline, key=lambda entry: (entry["occurred_at"], entry["version"])):
        kind = event_class(entry["event_type"])
        if kind is not None and not entry["entered_in_error"]:
            found.append((long_date(entry["occurred_at"]), kind.EASY_READ))
    return found


ACCESS_WHAT = {
    "read": "looked at the record",
    "break-glass": "opened the record in an emergency (break glass)",
    "search": "found the record in a search",
}


def look_of(entry: dict[str, Any], names: dict[str, str], principal: Principal) -> Look:
    """One access in words: the name (else the role), the role, the organisation's name; never a user id."""
    try:
        role = ROLES[Role(entry["role"])].label
    except ValueError:
        role = entry["role"]
    organisation = names.get(entry["organisation"], "")
    if entry["user_id"] == principal.user_id and entry["role"] == principal.role.value:
        who = "You"
    elif entry.get("name"):
        who = str(entry["name"])
    else:
        who = f"Someone working as {role}" if role[:4] != "the " else role[:1].upper() + role[1:]
    refused = not entry["granted"]
    what = ACCESS_WHAT.get(entry["kind"], "looked at the record")
    if refused:
        what = "asked to look at the record and was refused"
    elif entry["kind"] == "break-glass" and entry.get("expires_at"):
        what += f", until {clock_time(entry['expires_at'])}"
    if entry["role"] in (Role.PERSON.value, Role.REPRESENTATIVE.value):  # their token's code is no employer
        organisation, code = "none: not on behalf of an organisation", ""
    else:
        organisation, code = organisation or "an organisation not in the register", entry["organisation"]
    return Look(
        who=who,
        role=role,
        organisation=organisation,
        organisation_code=code,
        when=clock_time(entry["at"]) if isinstance(entry["at"], datetime) else str(entry["at"]),
        what=what,
        why=str(entry["purpose"]),
        refused=refused,
    )


def concern_shown(concern: ConcernProgress, plans: list[PlanView], subject: Subject) -> ConcernShown:
    about = "the whole record"
    for plan in plans:
        if concern.plan_id == plan.plan_id:
            about = f"the plan made on {long_date(plan.made_at)}"
    resolved = concern.resolved_at is not None
    return ConcernShown(
        raised_on=long_date(concern.raised_at),
        about=about,
        summary=concern.summary,
        status=f"Resolved on {long_date(concern.resolved_at)}" if resolved else "Raised: being looked into",
        resolution=concern.resolution,
        resolved=resolved,
    )
