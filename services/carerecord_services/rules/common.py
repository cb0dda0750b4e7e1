"""What every rule uses: the context a decision is made in, the stamp every event carries, the checks shared
by several use cases, and the dispatch from a command to its rule (each family of rules registers with `rule`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from functools import singledispatch
from typing import Any, TypeVar
from uuid import UUID, uuid4

from carerecord_events.base import Actor, CareRecordEvent
from carerecord_events.record.state import PersonRecord, PlanState
from carerecord_events.roles import ROLES, Role
from carerecord_services import commands as c
from carerecord_services.errors import (
    InvalidIdentifier,
    InvalidInput,
    NotPermitted,
    PlanNotActive,
    RecordClosed,
    RecordNotFound,
)
from carerecord_services.identifiers import canonical_registration, ods_code_is_valid
from carerecord_services.policy import Action, RecordPolicy

E = TypeVar("E", bound=CareRecordEvent)


@dataclass(frozen=True)
class Context:
    now: datetime
    policy: RecordPolicy = field(default_factory=RecordPolicy)
    new_id: Callable[[], UUID] = uuid4


@dataclass(frozen=True)
class Stamp:
    """Fills in what every event carries."""

    record_id: UUID
    actor: Actor
    occurred_at: datetime
    context: Context

    def __call__(self, event_class: type[E], **fields: Any) -> E:
        return event_class(
            event_id=self.context.new_id(),
            record_id=self.record_id,
            occurred_at=self.occurred_at,
            recorded_at=self.context.now,
            recorded_by=self.actor,
            **fields,
        )


def content(command: c.Command, part: type, **normalised: Any) -> dict[str, Any]:
    """The fields a command shares with the fact it becomes (`part`, the content both are made of), as the
    command gave them or as the rules `normalised` them: a field added to the content is carried over here."""
    return {f.name: getattr(command, f.name) for f in fields(part)} | normalised


def check_actor(actor: Actor) -> Actor:
    """The actor's organisation is an ODS code in its canonical form; a registration number is present and well
    formed iff the role belongs to a professional register. The actor as recorded: its registration canonical."""
    if not ods_code_is_valid(actor.organisation):
        raise InvalidIdentifier(
            f"{actor.organisation!r} is not an ODS organisation code (3 to 9 capitals A-Z and digits 0-9)",
            field="organisation",
        )
    registration = check_registration(actor.role, actor.registration, "registration")
    return actor if registration == actor.registration else replace(actor, registration=registration)


def check_registration(role: Role, registration: str | None, field_name: str) -> str | None:
    """The registration in its canonical form (None for a role without a register)."""
    register = ROLES[role].register
    if register is None:
        return registration
    if not registration:
        raise InvalidIdentifier(
            f"a {ROLES[role].label} must give their {register.value.upper()} registration number",
            field=field_name,
        )
    return canonical_registration(register, registration, field=field_name)


def permit(actor: Actor, action: Action, policy: RecordPolicy) -> None:
    if not policy.may(actor.role, action):
        raise NotPermitted(f"a {ROLES[actor.role].label} may not {action.value}", field="role")


def require_registered(record: PersonRecord) -> None:
    if not record.registered:
        raise RecordNotFound("there is no care record with this id", field="record_id")


def require_alive(record: PersonRecord) -> None:
    if record.died:
        raise RecordClosed("the person has died; their plans are closed", field="record_id")


def require_text(value: str, field_name: str, what: str) -> None:
    if not value.strip():
        raise InvalidInput(f"{what} is required", field=field_name)


def active_plan(record: PersonRecord, plan_id: UUID) -> PlanState:
    plan = record.plans.get(plan_id)
    if plan is None:
        raise PlanNotActive("there is no such plan on this record", field="plan_id", rule="plan-not-found")
    if not plan.in_force:
        raise PlanNotActive(
            f"this plan is {plan.status.value.replace('-', ' ')}, not active", field="plan_id"
        )
    return plan


@singledispatch
def decide_command(command: c.Command, record: PersonRecord, stamp: Stamp) -> list[CareRecordEvent]:
    raise TypeError(f"no rules for {type(command).__name__}")  # a programming error, not a refusal


rule = decide_command.register
"""Registers the rule of one command (the type of its first argument)."""
