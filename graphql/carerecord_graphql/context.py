"""What resolvers reach through the GraphQL context: the caller (from their token) and the services."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import strawberry

from carerecord_graphql.auth import AuthenticationFailed, Principal, TokenVerifier
from carerecord_projections.held_submissions import HeldSubmissions
from carerecord_projections.local_form_mappings import LocalFormMappings
from carerecord_projections.oversight.views import OversightViews
from carerecord_projections.queries import ReadModels
from carerecord_projections.refused_requests import Refusal, RefusalLog
from carerecord_projections.staff_training import StaffTrainingReports
from carerecord_services.audit import AccessAudit
from carerecord_services.changes import RecordChanges
from carerecord_services.intake import Intake
from carerecord_services.investigation import Investigations
from carerecord_services.read_access import ReadAccess
from carerecord_services.service import CareRecordService
from carerecord_services.urgent_care import Register

log = logging.getLogger("carerecord.api")


@dataclass
class Api:
    """The services the API uses, wired once by the composition root."""

    care_records: CareRecordService
    read_models: ReadModels
    audit: AccessAudit
    investigations: Investigations
    verifier: TokenVerifier
    clock: Callable[[], datetime]
    reading: ReadAccess
    break_glass_lasts: timedelta = timedelta(hours=4)
    oversight: OversightViews | None = None
    refusals: RefusalLog | None = None
    staff_training: StaffTrainingReports | None = None
    local_forms: LocalFormMappings | None = None
    held_submissions: HeldSubmissions | None = None
    register: Register | None = None  # the organisation register, for grants to urgent and emergency care
    # a demo store only: each demo user to sign in as (who, the command printing their token, what to try)
    demo_sign_in: Callable[[], list[tuple[str, str, str]]] | None = None

    @property
    def changes(self) -> RecordChanges:
        """The change use cases, authorised by the same read decisions (one record load per command)."""
        return RecordChanges(self.care_records, self.reading)

    @property
    def intake(self) -> Intake:
        """Plans taken in from other systems, through the same change use cases."""
        return Intake(self.care_records, self.changes)


@dataclass
class ApiContext:
    api: Api
    principal: Principal | None
    authentication_problem: str | None
    request: Any = None
    response: Any = None

    def caller(self) -> Principal:
        if self.principal is None:
            raise NotSignedIn(self.authentication_problem or "sign in with a bearer token")
        return self.principal


class NotSignedIn(Exception):
    """Raised to the client as an error naming the problem (never masked)."""


class NotAllowed(Exception):
    """A refusal of a read, raised to the client (never masked) after it has been recorded."""


class TryAgain(Exception):
    """The store could not be reached; raised to the client (never masked) with `extensions.code`
    STORE_UNAVAILABLE and `retryable` true, so a client knows to send the same request again."""

    @property
    def extensions(self) -> dict[str, object]:  # graphql-core copies an original error's extensions
        return {"code": "STORE_UNAVAILABLE", "retryable": True}


def context_for(api: Api, authorization: str | None, client_address: str | None = None) -> ApiContext:
    """The caller from their token. A token that was sent and refused is recorded (a request with no token
    at all is not: it may still read the glossary, and anything else refuses it)."""
    try:
        return ApiContext(api, api.verifier.verify(authorization), None)
    except AuthenticationFailed as refused:
        if authorization is not None:
            _record(
                api,
                Refusal(
                    kind="authentication",
                    reason=refused.reason,
                    token_id=str(refused.token_id) if refused.token_id is not None else None,
                    key_id=str(refused.key_id) if refused.key_id is not None else None,
                    client_address=client_address,
                ),
            )
        return ApiContext(api, None, str(refused))


def _record(api: Api, refusal: Refusal) -> None:
    """The refusal stands whether or not it could be recorded: a failure to record is logged (its kind only),
    never turned into an error for a request that is being refused anyway."""
    if api.refusals is None:
        return
    try:
        api.refusals.record(refusal)
    except Exception as error:
        log.warning("could not record a refused request (%s, %s)", refusal.reason, type(error).__name__)


def record_permission_refusal(context: ApiContext, operation: str, reason: str) -> None:
    """A signed-in caller asked for a change their role or organisation may not make."""
    caller = context.principal
    if caller is None:
        return
    request = context.request
    client = getattr(request, "client", None)
    _record(
        context.api,
        Refusal(
            kind="permission",
            reason=reason,
            token_id=caller.token_id,
            user_id=caller.user_id,
            role=caller.role.value,
            organisation=caller.organisation,
            operation=operation,
            client_address=client.host if client else None,
        ),
    )


def info_context(info: strawberry.Info) -> ApiContext:
    context = info.context
    assert isinstance(context, ApiContext)
    return context
