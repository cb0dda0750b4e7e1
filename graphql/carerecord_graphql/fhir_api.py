"""Read-only FHIR R4 for provider systems: `GET /fhir/Patient/{nhsNumber}/$everything`, and the Patient alone at
`GET /fhir/Patient/{nhsNumber}` (the Bundle's fullUrl for it, so that the address it gives answers).

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

import json
import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from carerecord_events.vocabulary import RelationshipBasis, Setting
from carerecord_graphql.access import read_record, reader_of, record_id_for
from carerecord_graphql.context import (
    Api,
    NotAllowed,
    NotSignedIn,
    TryAgain,
    context_for,
    record_permission_refusal,
)
from carerecord_graphql.fhir_intake import BundleIntake, outcome_of
from carerecord_projections.current_plan.queries import PlanRow
from carerecord_projections.fhir import operation_outcome, organisation_codes, plan_bundle
from carerecord_projections.fhir_in import Issue
from carerecord_projections.reference import organisation_names
from carerecord_services.errors import InvalidIdentifier, StoreUnavailable
from carerecord_services.identifiers import canonical_nhs_number
from carerecord_services.intake import StatedRelationship
from carerecord_services.policy import Action

log = logging.getLogger("carerecord.api")

FHIR_JSON = "application/fhir+json"
EVERYTHING_OPERATION = "fhir:Patient/$everything"
BUNDLE_OPERATION = "fhir:Bundle"
HELD_OPERATION = "fhir:Bundle/$held"
READ_OPERATION = "fhir:Patient/read"


class FhirResponse(JSONResponse):
    media_type = FHIR_JSON


def fhir_bundle(api: Api, row: PlanRow, fhir_base: str) -> dict[str, Any]:
    """The record's Bundle as the FHIR server at `fhir_base` gives it, organisations named from the register."""
    names = organisation_names(api.read_models.dsn, organisation_codes(row))
    return plan_bundle(row, generated_at=api.clock(), fhir_base=fhir_base, organisation_names=names)


def fhir_base_of(request: Any) -> str:
    """The FHIR server's base URL, as the client reached it (`http://host:port/fhir`)."""
    base_url = getattr(request, "base_url", None)
    return f"{str(base_url).rstrip('/')}/fhir" if base_url is not None else ""


def patient_everything(
    api: Api,
    authorization: str | None,
    nhs_number: str,
    purpose: str,
    fhir_base: str = "",
    operation: str = EVERYTHING_OPERATION,
) -> tuple[int, Any]:
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
        released = read_record(context, record_id, operation, purpose)
    except NotAllowed as refused:
        return 403, operation_outcome("forbidden", str(refused))
    except (TryAgain, StoreUnavailable) as later:
        return 503, operation_outcome("transient", str(later))
    return 200, fhir_bundle(api, released, fhir_base)


def patient_read(
    api: Api, authorization: str | None, nhs_number: str, purpose: str, fhir_base: str = ""
) -> tuple[int, Any]:
    """(HTTP status, FHIR resource): the Patient, read and recorded exactly as $everything is."""
    status, body = patient_everything(api, authorization, nhs_number, purpose, fhir_base, READ_OPERATION)
    if status != 200:
        return status, body
    return status, next(e["resource"] for e in body["entry"] if e["resource"]["resourceType"] == "Patient")


def post_bundle(api: Api, authorization: str | None, body: bytes, query: dict[str, str]) -> tuple[int, Any]:
    """(HTTP status, OperationOutcome): the Bundle taken in, or why not (held for correction when it was sent by a
    caller who may send plans)."""
    context = context_for(api, authorization)
    try:
        caller = context.caller()
    except NotSignedIn as problem:
        return 401, operation_outcome("login", str(problem))
    try:
        relationship = stated_relationship(query)
    except ValueError as malformed:
        return 400, operation_outcome("value", str(malformed))
    try:
        bundle = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return 400, operation_outcome("structure", "the body is not JSON")
    intake = BundleIntake(api.intake, api.held_submissions, api.clock)
    try:
        taken = intake.take_in(
            reader_of(caller), bundle, relationship, via=f"FHIR Bundle sent by {caller.organisation}"
        )
    except (TryAgain, StoreUnavailable) as later:
        return 503, operation_outcome("transient", str(later))
    if taken.status == 403:
        reason = "role-not-permitted" if taken.issues[0].rule == "not-permitted" else "no-care-relationship"
        record_permission_refusal(context, BUNDLE_OPERATION, reason)
    return taken.status, taken.outcome


def stated_relationship(query: dict[str, str]) -> StatedRelationship | None:
    """The basis of a new care relationship, when the sender does not care for the person yet: query parameters
    `relationship-basis` (a RelationshipBasis, e.g. `referral-received`), `relationship-setting` (e.g. `hospital`)
    and, for the basis `other`, `relationship-detail`."""
    basis = query.get("relationship-basis")
    if basis is None:
        return None
    setting = query.get("relationship-setting")
    if basis not in CALLER_BASES:
        raise ValueError(f"relationship-basis: one of {', '.join(sorted(CALLER_BASES))}")
    if setting not in {s.value for s in Setting}:
        raise ValueError(f"relationship-setting: one of {', '.join(s.value for s in Setting)}")
    return StatedRelationship(
        Setting(setting), RelationshipBasis(basis), query.get("relationship-detail", "")
    )


CALLER_BASES = frozenset(b.value for b in RelationshipBasis if b is not RelationshipBasis.NOT_RECORDED)


def held_bundles(api: Api, authorization: str | None) -> tuple[int, Any]:
    """The caller's organisation's Bundles refused on the way in, each with its OperationOutcome."""
    context = context_for(api, authorization)
    try:
        caller = context.caller()
    except NotSignedIn as problem:
        return 401, operation_outcome("login", str(problem))
    if (
        not api.care_records.policy.may(caller.role, Action.MAKE_RECOMMENDATION)
        or api.held_submissions is None
    ):
        record_permission_refusal(context, HELD_OPERATION, "role-not-permitted")
        return 403, operation_outcome(
            "forbidden", "only those who may send plans see the plans held for correction"
        )
    held = api.held_submissions.held_for(caller.organisation)
    entries: list[dict[str, Any]] = []
    for item in held:
        entries.append({"resource": item.document, "search": {"mode": "match"}})
        issues = [Issue(r["rule"], r["expression"], r["message"]) for r in item.reasons]
        entries.append({"resource": outcome_of(issues, "error"), "search": {"mode": "outcome"}})
    return 200, {"resourceType": "Bundle", "type": "searchset", "total": len(held), "entry": entries}


def fhir_routes(api: Api | None) -> list[Route]:
    def answering(answer: Any, operation: str) -> Any:
        async def endpoint(request: Request) -> FhirResponse:
            assert api is not None, "the API was built without services"
            try:
                status, body = await run_in_threadpool(
                    answer,
                    api,
                    request.headers.get("authorization"),
                    request.path_params["nhs_number"],
                    request.query_params.get("purpose") or "direct care",
                    fhir_base_of(request),
                )
            except Exception as unexpected:
                log.error("unexpected %s at %s", type(unexpected).__name__, operation)
                status, body = 500, operation_outcome("exception", "the record could not be read; try again")
            headers = {"www-authenticate": "Bearer"} if status == 401 else None
            return FhirResponse(body, status_code=status, headers=headers)

        return endpoint

    async def take_in(request: Request) -> FhirResponse:
        assert api is not None, "the API was built without services"
        body = await request.body()
        try:
            status, outcome = await run_in_threadpool(
                post_bundle, api, request.headers.get("authorization"), body, dict(request.query_params)
            )
        except Exception as unexpected:
            log.error("unexpected %s at %s", type(unexpected).__name__, BUNDLE_OPERATION)
            status, outcome = (
                500,
                operation_outcome("exception", "the Bundle could not be taken in; send it again"),
            )
        headers = {"www-authenticate": "Bearer"} if status == 401 else None
        return FhirResponse(outcome, status_code=status, headers=headers)

    async def held(request: Request) -> FhirResponse:
        assert api is not None, "the API was built without services"
        try:
            status, body = await run_in_threadpool(held_bundles, api, request.headers.get("authorization"))
        except Exception as unexpected:
            log.error("unexpected %s at %s", type(unexpected).__name__, HELD_OPERATION)
            status, body = (
                500,
                operation_outcome("exception", "the held Bundles could not be read; try again"),
            )
        return FhirResponse(body, status_code=status)

    return [
        Route(
            "/fhir/Patient/{nhs_number}/$everything",
            answering(patient_everything, EVERYTHING_OPERATION),
            methods=["GET"],
        ),
        Route("/fhir/Patient/{nhs_number}", answering(patient_read, READ_OPERATION), methods=["GET"]),
        Route("/fhir/Bundle", take_in, methods=["POST"]),
        Route("/fhir/Bundle/$held", held, methods=["GET"]),
    ]
