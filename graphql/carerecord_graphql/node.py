"""Relay's Node interface: what the API shows of a person's record, and each of its plans, carries a global id
to fetch it again with `node(id:)` (read as `record` reads, see schema.py).

A global id is, as Relay's own are, the base64 of the type's name and its key ("Person:<record id>",
"PlanView:<record id>/<plan id>"): opaque to clients, and it names the record it belongs to, so that asking
for any node is a read of that record, authorised and recorded as one."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from uuid import UUID

import strawberry

PERSON = "Person"
PLAN = "PlanView"

GLOBAL_ID = (
    "Its global id: pass it to `node(id:)` to fetch it again (the base64 of its type and key, as Relay's)"
)


@strawberry.interface(
    description="Something with a global id, to fetch again with `node(id:)` (Relay's Node)"
)
class Node:
    @strawberry.field(description=GLOBAL_ID)
    def id(self) -> strawberry.ID:
        raise NotImplementedError  # each type gives its own


@dataclass(frozen=True)
class GlobalId:
    """What a global id names: a type, the record, and within it the plan (for a plan)."""

    type_name: str
    record_id: UUID
    plan_id: UUID | None = None

    def __str__(self) -> str:
        key = str(self.record_id) if self.plan_id is None else f"{self.record_id}/{self.plan_id}"
        return base64.b64encode(f"{self.type_name}:{key}".encode()).decode()


def person_id(record_id: UUID) -> strawberry.ID:
    return strawberry.ID(str(GlobalId(PERSON, record_id)))


def plan_id(record_id: UUID, plan: UUID) -> strawberry.ID:
    return strawberry.ID(str(GlobalId(PLAN, record_id, plan)))


def read_global_id(given: str) -> GlobalId:
    """The type and keys a global id names; ValueError, in words for the client, for one this API did not give."""
    try:
        type_name, _, key = base64.b64decode(given.encode(), validate=True).decode().partition(":")
        if type_name == PERSON:
            return GlobalId(PERSON, UUID(key))
        if type_name == PLAN:
            record, _, plan = key.partition("/")
            return GlobalId(PLAN, UUID(record), UUID(plan))
    except (ValueError, UnicodeDecodeError, binascii.Error):
        pass
    raise ValueError(
        "that id is not a global id this API gave out (ask for a Person's or a PlanView's `id`)"
    ) from None
