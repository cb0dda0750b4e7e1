"""What resolvers reach through the GraphQL context: the caller (from their token) and the services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import strawberry

from carerecord_graphql.auth import AuthenticationFailed, Principal, TokenVerifier
from carerecord_projections.oversight.figures import OversightViews
from carerecord_projections.queries import ReadModels
from carerecord_services.audit import AccessAudit
from carerecord_services.investigation import Investigations
from carerecord_services.service import CareRecordService


@dataclass
class Api:
    """The services the API uses, wired once by the composition root."""

    care_records: CareRecordService
    read_models: ReadModels
    audit: AccessAudit
    investigations: Investigations
    verifier: TokenVerifier
    clock: Callable[[], datetime]
    break_glass_lasts: timedelta = timedelta(hours=4)
    oversight: OversightViews | None = None


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


def context_for(api: Api, authorization: str | None) -> ApiContext:
    try:
        return ApiContext(api, api.verifier.verify(authorization), None)
    except AuthenticationFailed as refused:
        return ApiContext(api, None, str(refused))


def info_context(info: strawberry.Info) -> ApiContext:
    context = info.context
    assert isinstance(context, ApiContext)
    return context
