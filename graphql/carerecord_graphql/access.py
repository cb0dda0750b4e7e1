"""Reading a record through the API: the decision is the services' (`ReadAccess`, from the record in the store);
this module maps a caller and a request onto it and fetches what the read models show."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from carerecord_graphql.auth import Principal
from carerecord_graphql.context import ApiContext, NotAllowed, TryAgain
from carerecord_projections.current_plan.queries import PlanRow
from carerecord_services.identifiers import canonical_postcode
from carerecord_services.policy import PERMISSIONS, Read
from carerecord_services.read_access import Period, ReadDecision, Reader, ReadRefused

ACCESS_HISTORY_ROLES = PERMISSIONS[Read.ACCESS_HISTORY]


def reader_of(caller: Principal) -> Reader:
    return Reader(caller.actor, caller.record_id, caller.representative_id)


def record_id_for(context: ApiContext, nhs_number: str) -> UUID | None:
    """The record of an NHS number, from the store's index (a read model may not have it yet)."""
    return context.api.care_records.find_record(nhs_number)


def read_record(
    context: ApiContext,
    record_id: UUID | None,
    operation: str,
    purpose: str,
    period: tuple[datetime, datetime] | None = None,
) -> PlanRow:
    """The current plan if the caller may read it, with the read (and the version shown) recorded; otherwise
    NotAllowed, with the refusal recorded."""
    return read_record_decided(context, record_id, operation, purpose, period)[0]


def read_record_decided(
    context: ApiContext,
    record_id: UUID | None,
    operation: str,
    purpose: str,
    period: tuple[datetime, datetime] | None = None,
) -> tuple[PlanRow, ReadDecision]:
    """As `read_record`, with the decision that let the caller read (through break glass, and until when)."""
    caller = context.caller()
    reader = reader_of(caller)
    try:
        decision = context.api.reading.authorise(
            reader,
            record_id,
            operation=operation,
            purpose=purpose,
            period=Period(*period) if period else None,
        )
    except ReadRefused as refused:
        raise NotAllowed(refused.message) from None
    assert record_id is not None
    row = context.api.read_models.current_plan(record_id)
    if row is None:  # recorded in the store, not yet in the read models
        raise TryAgain("this record is still being brought up to date; try again in a moment")
    context.api.reading.shown(
        reader, record_id, decision, operation=operation, purpose=purpose, version_shown=row.version
    )
    return row, decision


def search_people(
    context: ApiContext, family_name: str, date_of_birth: date, postcode: str, purpose: str, operation: str
) -> list[PlanRow]:
    """Urgent care's search (at most 5 matches), for the roles the table names, the search recorded; otherwise
    NotAllowed, the refusal recorded. `postcode` is checked (InvalidIdentifier) before anything is asked."""
    caller = require_role(context, Read.SEARCH_PEOPLE, operation, purpose)
    postcode = canonical_postcode(postcode, field="postcode")
    rows = context.api.read_models.search(family_name, date_of_birth, postcode, limit=5)
    context.api.audit.record_search(caller.actor, purpose, tuple(row.record_id for row in rows))
    return rows


def require_role(
    context: ApiContext, asked: Read, operation: str, purpose: str, record_id: UUID | None = None
) -> Principal:
    """The caller, if their role may ask for `asked` at all; otherwise NotAllowed, the refusal recorded."""
    caller = context.caller()
    try:
        context.api.reading.require_role(caller.actor, asked, record_id, operation=operation, purpose=purpose)
    except ReadRefused as refused:
        raise NotAllowed(refused.message) from None
    return caller


def may_see_access_history(caller: Principal) -> bool:
    return caller.role in ACCESS_HISTORY_ROLES
