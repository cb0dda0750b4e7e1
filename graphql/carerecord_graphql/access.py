"""Who may read whose record. Every decision, granted or refused, is recorded in the access audit stream
before anything is returned."""

from __future__ import annotations

from uuid import UUID

from carerecord_events.roles import ROLES, Role
from carerecord_graphql.auth import Principal
from carerecord_graphql.context import ApiContext, NotAllowed
from carerecord_projections.queries import PlanRow

URGENT_CARE_ROLES = frozenset({Role.PARAMEDIC, Role.DOCTOR, Role.CONSULTANT, Role.GP, Role.NURSE})
ACCESS_HISTORY_ROLES = frozenset({Role.PERSON, Role.REPRESENTATIVE, Role.ASSURANCE})


def read_record(
    context: ApiContext, plan: PlanRow | None, record_id: UUID | None, operation: str, purpose: str
) -> PlanRow:
    """The record if the caller may read it, with the read recorded; otherwise NotAllowed, with the refusal recorded."""
    caller = context.caller()
    api = context.api
    if plan is None:
        api.audit.record_access(
            caller.actor,
            record_id,
            operation=operation,
            purpose=purpose,
            granted=False,
            refusal_reason="no such record",
        )
        raise NotAllowed("there is no such record, or you may not see it")
    reason, via_break_glass = _refusal(context, caller, plan)
    if reason:
        api.audit.record_access(
            caller.actor,
            plan.record_id,
            operation=operation,
            purpose=purpose,
            granted=False,
            refusal_reason=reason,
        )
        raise NotAllowed(reason)
    api.audit.record_access(
        caller.actor,
        plan.record_id,
        operation=operation,
        purpose=purpose,
        granted=True,
        version_shown=plan.version,
        via_break_glass=via_break_glass,
    )
    return plan


def _refusal(context: ApiContext, caller: Principal, plan: PlanRow) -> tuple[str, bool]:
    """('', via_break_glass) when allowed; (reason, False) when not."""
    if caller.role is Role.PERSON:
        return ("" if caller.record_id == plan.record_id else "you may only see your own record"), False
    if caller.role is Role.REPRESENTATIVE:
        if caller.record_id != plan.record_id:
            return "you may only see the record you represent", False
        representative = plan.document.get("representatives", {}).get(str(caller.representative_id))
        if not representative or not representative.get("active"):
            return "you are not recorded as this person's representative", False
        return "", False
    if caller.role is Role.ASSURANCE:
        return "", False
    if context.api.read_models.cares_for(caller.organisation, plan.record_id):
        return "", False
    if context.api.read_models.break_glass_until(caller.user_id, plan.record_id, context.api.clock()):
        return "", True
    label = ROLES[caller.role].label
    return (
        f"{caller.organisation} has no care relationship with this person ({label}); use break glass in an emergency",
        False,
    )


def may_see_access_history(caller: Principal) -> bool:
    return caller.role in ACCESS_HISTORY_ROLES
