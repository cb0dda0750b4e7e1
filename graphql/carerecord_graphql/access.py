"""Reading a record through the API: the decision is the services' (`ReadAccess`, from the record in the store);
this module maps a caller and a request onto it and fetches what the read models show."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from carerecord_graphql.auth import Principal
from carerecord_graphql.context import ApiContext, NotAllowed, TryAgain
from carerecord_projections.current_plan.queries import PlanRow
from carerecord_services.policy import PERMISSIONS, Read
from carerecord_services.read_access import Period, Reader, ReadRefused

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
    return row


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
