"""Read-only FHIR R4 for provider systems: `GET /fhir/Patient/{nhsNumber}/$everything`.

The Patient's logical id is the NHS number (10 digits 0-9; spaces and dashes are tolerated and removed; any other
character, digits of other scripts included, is a 400 OperationOutcome), as in the
Personal Demographics Service FHIR API. The answer is a searchset Bundle (`application/fhir+json`) built by
`carerecord_projections.fhir.plan_bundle`. Sign-in is the same bearer token as /graphql, and the read goes through
`access.read_record`, exactly as the GraphQL `person` query does: the same rules, and the same access audit entry,
granted or refused (operation `fhir:Patient/$everything`, purpose from the optional `purpose` query parameter,
default "direct care"). A refusal is an OperationOutcome naming the reason: 401 without a usable token, 403 when
the caller may not read the record (or there is no such record: the same answer, so existence is not revealed
by the status code). Anything unexpected (the database unreachable, say) is a 500 OperationOutcome that says
nothing of the cause; the log names only the exception's type, never the request (it carries personal data).
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from carerecord_graphql.access import read_record, record_id_for
from carerecord_graphql.context import Api, NotAllowed, NotSignedIn, TryAgain, context_for
from carerecord_projections.fhir import operation_outcome, plan_bundle
from carerecord_services.errors import InvalidIdentifier, StoreUnavailable
from carerecord_services.identifiers import canonical_nhs_number

log = logging.getLogger("carerecord.api")

FHIR_JSON = "application/fhir+json"
EVERYTHING_OPERATION = "fhir:Patient/$everything"


class FhirResponse(JSONResponse):
    media_type = FHIR_JSON


def patient_everything(api: Api, authorization: str | None, nhs_number: str, purpose: str) -> tuple[int, Any]:
    """(HTTP status, FHIR resource): the Bundle, or an OperationOutcome after the refusal has been recorded."""
    context = context_for(api, authorization)
    try:
        context.caller()
    except NotSignedIn as problem:
        return 401, operation_outcome("login", str(problem))
    try:
        canonical = canonical_nhs_number(nhs_number, field="nhsNumber")
    except InvalidIdentifier as malformed:
        return 400, operation_outcome("value", malformed.message)
    try:
        record_id = record_id_for(context, canonical)
        released = read_record(context, record_id, EVERYTHING_OPERATION, purpose)
    except NotAllowed as refused:
        return 403, operation_outcome("forbidden", str(refused))
    except (TryAgain, StoreUnavailable) as later:
        return 503, operation_outcome("transient", str(later))
    return 200, plan_bundle(released, generated_at=api.clock())


def fhir_routes(api: Api | None) -> list[Route]:
    async def everything(request: Request) -> FhirResponse:
        assert api is not None, "the API was built without services"
        try:
            status, body = await run_in_threadpool(
                patient_everything,
                api,
                request.headers.get("authorization"),
                request.path_params["nhs_number"],
                request.query_params.get("purpose") or "direct care",
            )
        except Exception as unexpected:
            log.error("unexpected %s at %s", type(unexpected).__name__, EVERYTHING_OPERATION)
            status, body = 500, operation_outcome("exception", "the record could not be read; try again")
        headers = {"www-authenticate": "Bearer"} if status == 401 else None
        return FhirResponse(body, status_code=status, headers=headers)

    return [Route("/fhir/Patient/{nhs_number}/$everything", everything, methods=["GET"])]
