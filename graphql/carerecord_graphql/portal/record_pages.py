"""Recording from the portal: a conversation, that a decision was explained, a concern, a death; for clinicians a
plan's review, its revocation and (seniors) its endorsement.

Each form goes through the same use case as the API's mutation (`RecordChanges.change`, the rules deciding), is
shown only to the roles the permission table names (a POST by any other is refused and recorded as the API
records it), carries the session's CSRF token, an idempotency key made of the form's own id (so a form submitted
twice records once) and the record's version it was opened at (a stale form shows what changed since).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from carerecord_events.base import CareRecordEvent
from carerecord_events.plain import summarise
from carerecord_events.record.facts import in_force
from carerecord_events.roles import ROLES, Role
from carerecord_graphql.access import read_record_decided, reader_of
from carerecord_graphql.auth import Principal
from carerecord_graphql.context import ApiContext, NotAllowed, TryAgain, record_permission_refusal
from carerecord_graphql.portal.record_forms import FORMS, Entered, RecordForm, explained, form_field
from carerecord_graphql.portal.rendering import PortalRendering, sentence
from carerecord_graphql.portal.session import Session
from carerecord_graphql.portal.views import clock_time, long_date
from carerecord_projections.current_plan.queries import PlanRow
from carerecord_projections.current_plan.view import plans_of
from carerecord_services.changes import ChangeRefused
from carerecord_services.errors import DomainError, NotPermitted, RecordNotFound, VersionConflict
from carerecord_services.policy import Action
from carerecord_services.read_access import UNSEEN
from carerecord_services.service import Idempotency


@dataclass(frozen=True)
class PlanChoice:
    plan_id: str
    words: str


@dataclass(frozen=True)
class Change:
    """An entry made since the form was opened, as the timeline words it."""

    version: int
    label: str
    summary: str
    when: str
    by: str


class RecordPages(PortalRendering):
    """The recording forms: opened on a record the caller may read, submitted as the API's changes are."""

    def may_record(self, principal: Principal, form: RecordForm) -> bool:
        """Exactly the permission table's roles (and, to endorse, only those the policy counts as senior)."""
        policy = self.api.care_records.policy
        if not policy.may(principal.role, form.action):
            return False
        return not form.senior_only or policy.is_senior(principal.role)

    def recording_links(self, principal: Principal, record_id: str) -> list[tuple[str, str]]:
        """The forms this caller may open on this record, for the person's page: no link to a form refused."""
        return [
            (f"/portal/people/{record_id}/record/{form.slug}", form.link)
            for form in FORMS.values()
            if form.reads_record and self.may_record(principal, form)
        ]

    def start_relationship_link(self, principal: Principal, record_id: str) -> str:
        """For a refused reader whose role may start a care relationship: the form to state one."""
        form = FORMS["care-relationship"]
        return f"/portal/people/{record_id}/record/{form.slug}" if self.may_record(principal, form) else ""

    async def record_form(self, request: Request) -> Response:
        session, principal = self.signed_in(request)
        if principal is None:
            return self.redirect(request, session, "/portal/sign-in")
        opened = await self._opened(request, session, principal)
        if isinstance(opened, Response):
            return opened
        form, record_id, row = opened
        initial = form.initial(principal.actor) if form.initial else {}
        return self._form_page(
            request,
            session,
            form,
            record_id,
            row,
            version=row.version if row else None,
            form_id=uuid4().hex,
            initial=initial,
        )

    async def record_submit(self, request: Request) -> Response:
        session, principal = self.signed_in(request)
        sent = await self.checked_form(request, session)
        if isinstance(sent, Response):
            return sent
        if principal is None:
            return self.redirect(request, session, "/portal/sign-in")
        opened = await self._opened(request, session, principal)
        if isinstance(opened, Response):
            return opened
        form, record_id, row = opened
        version, form_id = _whole(sent.get("expected_version")), str(sent.get("form_id") or "")
        entered = Entered(sent, self.api.clock())
        command = form.build(entered, principal.actor)

        def again(errors: dict[str, str]) -> Response:
            return self._form_page(
                request,
                session,
                form,
                record_id,
                row,
                values=sent,
                version=version,
                form_id=form_id,
                errors=errors,
                status=400,
            )

        if (
            (version is None and form.reads_record)
            or not form_id.isascii()
            or not form_id.isalnum()
            or len(form_id) > 64
        ):
            errors = {"": "The form is incomplete. Open it again from the person's page."}
            return again(errors)
        if entered.problems:
            return again(entered.problems)
        context = ApiContext(self.api, principal, None, request)
        operation = f"portal/record/{form.slug}"  # the refusal log keeps identifiers only
        key = Idempotency(principal.user_id, f"portal-{form.slug}:{form_id}", _fingerprint(record_id, sent))
        try:
            await run_in_threadpool(
                lambda: self.api.changes.change(
                    reader_of(principal), record_id, command, expected_version=version, idempotency=key
                )
            )
        except NotPermitted as refused:
            await run_in_threadpool(record_permission_refusal, context, operation, "role-not-permitted")
            return self._refused(request, session, refused.message)
        except ChangeRefused as refused:
            await run_in_threadpool(record_permission_refusal, context, operation, refused.reason)
            return self._refused(request, session, refused.message)
        except RecordNotFound:
            await run_in_threadpool(record_permission_refusal, context, operation, "no-such-record")
            return self._refused(request, session, UNSEEN)
        except VersionConflict:
            history = await run_in_threadpool(self.api.care_records.history, record_id)
            later = [(number, e) for number, e in enumerate(history, 1) if number > (version or 0)]
            codes = {e.recorded_by.organisation for _, e in later}
            names = await run_in_threadpool(self.api.read_models.organisation_names, codes)
            since = [_change(number, e, names) for number, e in later]
            return self._form_page(
                request,
                session,
                form,
                record_id,
                row,
                values=sent,
                version=len(history),
                form_id=form_id,
                changed_since=since,
                opened_at=version,
                status=409,
            )
        except DomainError as refused:
            name = form_field(form.fields, refused.field)
            errors = {name: explained(refused.message, name or refused.field)}
            return again(errors)
        if form.action is Action.END_CARE_RELATIONSHIP:  # the record is no longer theirs to read
            return self.render(
                request,
                session,
                "problem.html",
                {"title": form.done, "message": "Your organisation may no longer read this person's record."},
            )
        return self.redirect(request, session, f"/portal/people/{record_id}?recorded={form.slug}#recorded")

    async def _opened(
        self, request: Request, session: Session, principal: Principal
    ) -> Response | tuple[RecordForm, UUID, PlanRow | None]:
        """The form asked for, if this caller may record with it (a refusal recorded), on a record they may read
        (the read recorded, as the person's page records it)."""
        form = FORMS.get(str(request.path_params["form"]))
        if form is None:
            return self.render(
                request,
                session,
                "problem.html",
                {"title": "There is no such form", "message": "The portal has no form by that name."},
                status_code=404,
            )
        context = ApiContext(self.api, principal, None, request)
        if not self.may_record(principal, form):
            operation = f"portal/record/{form.slug}"  # the refusal log keeps identifiers only
            await run_in_threadpool(record_permission_refusal, context, operation, "role-not-permitted")
            role = ROLES[principal.role].label
            return self._refused(request, session, f"a {role} may not {form.action.value} in the care record")
        record_id: UUID = request.path_params["record_id"]
        if not form.reads_record:
            return form, record_id, None  # nothing of the record is shown; the rules decide on submitting
        try:
            row, _ = await run_in_threadpool(
                read_record_decided,
                context,
                record_id,
                f"portal record {form.slug}",
                "assurance" if principal.role is Role.ASSURANCE else "direct care",
            )
        except TryAgain as later:
            return self.catching_up(request, session, later)
        except NotAllowed as refused:
            return self._refused(request, session, str(refused), title="You may not see this record")
        return form, record_id, row

    def _form_page(
        self,
        request: Request,
        session: Session,
        form: RecordForm,
        record_id: UUID,
        row: PlanRow | None,
        *,
        version: int | None,
        form_id: str,
        values: FormData | None = None,
        errors: dict[str, str] | None = None,
        changed_since: list[Change] | None = None,
        opened_at: int | None = None,
        initial: dict[str, str] | None = None,
        status: int = 200,
    ) -> Response:
        today = self.api.clock().date()
        principal = session.signed_in(time.time())
        own = principal.organisation if principal else ""
        names = self.api.read_models.organisation_names({own}) if own else {}
        return self.render(
            request,
            session,
            "record_form.html",
            {
                "title": form.title,
                "form": form,
                "record_id": str(record_id),
                "person_name": f"{row.given_name} {row.family_name}" if row else "this person",
                "plans": _plans_in_force(row, today) if row else [],
                "version": version,
                "form_id": form_id,
                "entered": _entered(values)
                if values is not None
                else {k: [v] for k, v in (initial or {}).items()},
                "errors": errors or {},
                "changed_since": changed_since,
                "opened_at": opened_at,
                "organisation_name": names.get(own, ""),
            },
            status_code=status,
        )

    def _refused(
        self, request: Request, session: Session, reason: str, title: str = "Nothing was recorded"
    ) -> Response:
        return self.render(
            request,
            session,
            "problem.html",
            {"title": title, "message": sentence(reason), "recorded": True},
            status_code=403,
        )


def _plans_in_force(row: PlanRow, today: date) -> list[PlanChoice]:
    """Each plan in force, as the page names it: when and by whom, what it says; the form's name in brackets."""
    return [
        PlanChoice(
            str(plan.plan_id),
            f"Plan made on {long_date(plan.made_at)} by {plan.responsible_clinician.name} "
            f"({plan.form_name}): {plan.cpr_label.split('.')[0]}",
        )
        for plan in plans_of(row, today)
        if in_force(plan.status)
    ]


def _entered(values: FormData | None) -> dict[str, list[str]]:
    """What was typed, to show again: every value of each field."""
    shown: dict[str, list[str]] = {}
    if values is None:
        return shown
    for name, value in values.multi_items():
        if isinstance(value, str):
            shown.setdefault(name, []).append(value)
    return shown


def _whole(value: Any) -> int | None:
    written = str(value or "")
    return int(written) if written.isascii() and written.isdigit() and len(written) < 10 else None


def _fingerprint(record_id: UUID, sent: FormData) -> str:
    """The request a form id was first used for: the same form submitted again records once; the same id with
    other answers is refused."""
    answers = sorted(
        (k, str(v)) for k, v in sent.multi_items() if k not in ("csrf_token", "expected_version")
    )
    material = json.dumps({"r": str(record_id), "a": answers})
    return hashlib.sha256(material.encode()).hexdigest()


def _change(version: int, event: CareRecordEvent, names: Mapping[str, str]) -> Change:
    by = event.recorded_by
    return Change(
        version=version,
        label=event.LABEL,
        summary=summarise(event).rstrip(".") + ".",
        when=clock_time(event.recorded_at),
        by=f"{ROLES[by.role].label}, {names.get(by.organisation) or by.organisation}",
    )
