"""Urgent and emergency care: a board's administrator grants an ambulance service, NHS 111, an out-of-hours
service or an emergency department (as the register marks it) the region's plans in force, and may withdraw it.

Decided here like every other change: decide(command, what the store holds, the register, now) -> the event, or a
named refusal. The grants are one stream of the access audit (`urgent_care_sharing_stream`), read back from the
store before every decision; the feed router reads it too, and from a grant on the service's feed carries the
plans in force then and every plan-level change of everyone in the region.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import uuid4

from carerecord_events.access import NO_RECORD, UrgentCareSharingGranted, UrgentCareSharingWithdrawn
from carerecord_events.base import Actor, CareRecordEvent
from carerecord_services.break_glass import stated
from carerecord_services.errors import DomainError, NotPermitted
from carerecord_services.identifiers import canonical_ods_code
from carerecord_services.policy import PERMISSIONS, Read
from carerecord_services.text import check_storable, check_storable_fields


@dataclass(frozen=True)
class RegisterEntry:
    """What the rules need of an organisation's entry in the register."""

    ods_code: str
    board: str
    urgent_and_emergency_care: bool


@dataclass(frozen=True)
class Register:
    """The organisation register, as the composition root reads it (reference data, not derived from events)."""

    entry: Callable[[str], RegisterEntry | None]
    is_board: Callable[[str], bool]


@dataclass(frozen=True)
class GrantUrgentCareSharing:
    actor: Actor
    organisation: str
    reason: str


@dataclass(frozen=True)
class WithdrawUrgentCareSharing:
    actor: Actor
    organisation: str
    reason: str


@dataclass(frozen=True)
class UrgentCareSharing:
    """The grants in force now: organisation -> its grant."""

    granted: dict[str, UrgentCareSharingGranted]


def sharing_from(events: Sequence[CareRecordEvent]) -> UrgentCareSharing:
    granted: dict[str, UrgentCareSharingGranted] = {}
    for event in events:
        if isinstance(event, UrgentCareSharingGranted):
            granted[event.organisation] = event
        elif isinstance(event, UrgentCareSharingWithdrawn):
            granted.pop(event.organisation, None)
    return UrgentCareSharing(granted)


def _board_of(actor: Actor, register: Register) -> str:
    """The administrator's board, or NotPermitted: only a board's administrator grants a region's plans."""
    if actor.role not in PERMISSIONS[Read.SHARE_WITH_URGENT_CARE]:
        raise NotPermitted("only an integrated care board's administrator shares plans with urgent care")
    if not register.is_board(actor.organisation):
        raise NotPermitted("only an integrated care board's administrator shares plans with urgent care")
    return actor.organisation


def _checked(command: GrantUrgentCareSharing | WithdrawUrgentCareSharing) -> str:
    check_storable_fields(command.actor, "actor")
    check_storable(command.reason, "reason")
    if not stated(command.reason, 3):
        raise DomainError("say why", field="reason", rule="reason-required")
    return canonical_ods_code(command.organisation, field="organisation")


def decide_grant(
    command: GrantUrgentCareSharing, sharing: UrgentCareSharing, register: Register, now: datetime
) -> UrgentCareSharingGranted:
    board = _board_of(command.actor, register)
    organisation = _checked(command)
    entry = register.entry(organisation)
    if entry is None or entry.board != board:
        raise DomainError(
            f"{organisation} is not an organisation of board {board} in the register",
            field="organisation",
            rule="not-in-the-board",
        )
    if not entry.urgent_and_emergency_care:
        raise DomainError(
            f"the register does not mark {organisation} as an urgent and emergency care service",
            field="organisation",
            rule="not-urgent-and-emergency-care",
        )
    if organisation in sharing.granted:
        raise DomainError(
            f"{organisation} is already granted the region's plans",
            field="organisation",
            rule="already-granted",
        )
    return UrgentCareSharingGranted(
        **_common(command.actor, now), organisation=organisation, board=board, reason=command.reason
    )


def decide_withdrawal(
    command: WithdrawUrgentCareSharing, sharing: UrgentCareSharing, register: Register, now: datetime
) -> UrgentCareSharingWithdrawn:
    board = _board_of(command.actor, register)
    organisation = _checked(command)
    grant = sharing.granted.get(organisation)
    if grant is None or grant.board != board:
        raise DomainError(
            f"board {board} has not granted {organisation} the region's plans",
            field="organisation",
            rule="not-granted",
        )
    return UrgentCareSharingWithdrawn(
        **_common(command.actor, now),
        granted_access_id=grant.access_id,
        organisation=organisation,
        board=board,
        reason=command.reason,
    )


def _common(actor: Actor, now: datetime) -> dict[str, Any]:
    return {
        "event_id": uuid4(),
        "record_id": NO_RECORD,
        "occurred_at": now,
        "recorded_at": now,
        "recorded_by": actor,
        "access_id": uuid4(),
    }
