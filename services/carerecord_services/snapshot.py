"""The record as it stood at a version, replayed from its events: the plans, in plain language, and who cared
for the person. What a reader was shown, or what the record said after each change."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from carerecord_events.base import CareRecordEvent
from carerecord_events.plain import FORM_NAMES, SETTING_NAMES, describe_cpr
from carerecord_events.record.evolve import replay
from carerecord_events.record.facts import in_force
from carerecord_events.record.state import PersonRecord, PlanState
from carerecord_events.roles import ROLES


class AsOfClock(StrEnum):
    """Which clock an as-of question uses: when things were recorded (what the record said then), or when they
    happened (late entries included at the moment they describe)."""

    RECORDED = "recorded"
    """When things were recorded: what the record said at the instant."""
    OCCURRED = "occurred"
    """When things happened: late entries count from the moment they describe."""

    def moment(self, event: CareRecordEvent) -> datetime:
        return event.recorded_at if self is AsOfClock.RECORDED else event.occurred_at


@dataclass(frozen=True)
class PlanSnapshot:
    plan_id: UUID
    status: str
    form_type: str
    form_name: str
    cpr_code: str
    cpr: str
    reason_category: str
    reasoning: str
    person_involved: bool
    involvement_route: str
    responsible_clinician: str
    organisation: str
    setting: str
    needs_senior_endorsement: bool
    endorsed: bool
    review_due: date | None
    made_at: datetime
    recorded_at: datetime


@dataclass(frozen=True)
class RecordSnapshot:
    record_id: UUID
    version: int
    died: bool
    caring_organisations: tuple[str, ...]
    plans: tuple[PlanSnapshot, ...]

    def active_plans(self) -> tuple[PlanSnapshot, ...]:
        return tuple(plan for plan in self.plans if in_force(plan.status))

    def as_json(self) -> dict[str, Any]:
        document: dict[str, Any] = jsonable(asdict(self))
        return document


def snapshot(record_id: UUID, events: list[CareRecordEvent]) -> RecordSnapshot:
    """The record after `events` (its first events, in version order)."""
    return snapshot_of(replay(record_id, events))


def snapshot_of(record: PersonRecord) -> RecordSnapshot:
    return RecordSnapshot(
        record_id=record.record_id,
        version=record.version,
        died=record.died,
        caring_organisations=tuple(sorted(record.caring_organisations)),
        plans=tuple(plan_snapshot(plan) for plan in record.plans.values()),
    )


def plan_snapshot(plan: PlanState) -> PlanSnapshot:
    made = plan.made
    clinician = made.responsible_clinician
    return PlanSnapshot(
        plan_id=made.plan_id,
        status=plan.status.value,
        form_type=made.form_type.value,
        form_name=FORM_NAMES[made.form_type],
        cpr_code=made.cpr.value,
        cpr=describe_cpr(made.cpr),
        reason_category=made.reason_category.value,
        reasoning=made.reasoning,
        person_involved=made.involvement.person_involved,
        involvement_route=made.involvement.route.value,
        responsible_clinician=f"{clinician.name} ({ROLES[clinician.role].label})",
        organisation=made.organisation,
        setting=SETTING_NAMES[made.setting],
        needs_senior_endorsement=made.needs_senior_endorsement,
        endorsed=plan.endorsed,
        review_due=plan.review_due,
        made_at=made.occurred_at,
        recorded_at=made.recorded_at,
    )


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value
