"""The subscription: the changes to the records of the people a caller's organisation cares for, each push
decided as a read, and the stream closed when the token that opened it expires."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import strawberry
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocket

from carerecord_graphql.access import require_role
from carerecord_graphql.context import info_context
from carerecord_graphql.types import PlanConflictView, PlanView
from carerecord_projections.current_plan.document import conflicts_of, plan_document
from carerecord_projections.current_plan.view import plan_conflicts, plan_view
from carerecord_services.policy import Read
from carerecord_services.read_access import Reader


@strawberry.type(description="Something changed on the record of a person your organisation cares for")
class PlanChange:
    position: int = strawberry.field(description="Resume after this position when you reconnect")
    record_id: UUID = strawberry.field(description="The record that changed")
    version: int = strawberry.field(description="The record's version after the change")
    event_type: str = strawberry.field(description="What happened, as the event's stable type name")
    label: str = strawberry.field(description="What happened, in a few plain words")
    summary: str = strawberry.field(description="What happened, in a plain-English sentence")
    recorded_at: datetime = strawberry.field(description="When the change was recorded")
    plans_in_force: list[PlanView] | None = strawberry.field(
        default=None,
        description="On a care relationship starting: the plans in force on the record at that version, so that "
        "a service that starts caring is told what was decided before it came (none on other changes)",
    )
    plan_conflicts: list[PlanConflictView] | None = strawberry.field(
        default=None,
        description="With plansInForce: why those plans conflict, empty when they do not (none on other changes)",
    )


def _plans_in_force(context: Any, change: dict[str, Any]) -> dict[str, Any]:
    """On a care relationship starting, the plans in force then and why they conflict; nothing otherwise."""
    if change["event_type"] != "CareRelationshipStarted":
        return {}
    today = context.api.clock().date()
    record = context.api.care_records.record_at_version(change["record_id"], change["version"])
    plans = [
        plan_view(UUID(str(change["record_id"])), str(plan.plan_id), plan_document(plan), today)
        for plan in record.active_plans()
    ]
    return {
        "plans_in_force": plans,
        "plan_conflicts": plan_conflicts({"plan_conflicts": conflicts_of(record)}),
    }


@strawberry.type(description="Changes as they happen, over a websocket (graphql-transport-ws)")
class Subscription:
    @strawberry.subscription(
        description="Changes to the records of the people your organisation cares for, in position order. After a reconnect, pass the last position you saw: nothing is missed. Positions are unique and increasing, and can skip numbers."
    )
    async def plan_changes(
        self,
        info: strawberry.Info,
        after_position: Annotated[
            int, strawberry.argument(description="The last position you saw (0: from the start)")
        ] = 0,
    ) -> AsyncGenerator[PlanChange, None]:
        context = info_context(info)
        caller = await run_in_threadpool(require_role, context, Read.SUBSCRIBE, "planChanges", "subscription")
        reader = Reader(caller.actor)
        position = after_position
        while not await _closed_at_expiry(context, caller.expires_at):
            changes = await run_in_threadpool(
                context.api.read_models.changes_for_organisation, caller.organisation, position
            )
            for change in changes:
                position = change["position"]
                # decided from the record now, as a read is: the relationship table may lag behind
                decision = await run_in_threadpool(context.api.reading.decide, reader, change["record_id"])
                if not decision.granted:
                    continue
                await run_in_threadpool(
                    context.api.audit.record_access,
                    caller.actor,
                    change["record_id"],
                    operation="planChanges",
                    purpose="subscription",
                    granted=True,
                    version_shown=change["version"],
                    via_break_glass=decision.via_break_glass,
                )
                plans = await run_in_threadpool(_plans_in_force, context, change)
                yield PlanChange(**change, **plans)
            if not changes:
                await asyncio.sleep(0.2)


TOKEN_EXPIRED_CLOSE_CODE = 4403


async def _closed_at_expiry(context: Any, expires_at: float | None) -> bool:
    """A stream lives no longer than the token that opened it: at its expiry the websocket is closed with
    4403 and a reason, and the client must sign in again."""
    if expires_at is None or context.api.clock().timestamp() < expires_at:
        return False
    if isinstance(context.request, WebSocket):
        await context.request.close(
            code=TOKEN_EXPIRED_CLOSE_CODE, reason="the token has expired; sign in again"
        )
    return True
