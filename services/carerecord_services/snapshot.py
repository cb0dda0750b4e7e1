"""The record as it stood at a version, replayed from its events: the plans, in plain language, and who cared
for the person. What a reader was shown, or what the record said after each change."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from carerecord_events.base import CareRecordEvent
from carerecord_events.plain import FORM_NAMES
from carerecord_events.record.evolve import replay
from carerecord_events.record.facts import in_force
from carerecord_events.record.state import PersonRecord, PlanState
from carerecord_events.roles import ROLES
from carerecord_events.vocabulary import (
    CprRecommendation,
    FormType,
    InvolvementRoute,
    PlanStatus,
    ReasonCategory,
    Setting,
)


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
    """One plan as it stood at a version of the record, in plain language."""

    plan_id: UUID
    """The plan's id"""
    status: PlanStatus
    """Where the plan stood: in force, or why it no longer was"""
    form_type: FormType
    """The kind of form"""
    form_name: str
    """The kind of form, in words"""
    cpr_code: str
    """SNOMED CT: 450475007 for CPR, 450476008 not for attempted CPR"""
    cpr: CprRecommendation
    """The CPR recommendation (its words, with what it does not limit: cprLabel)"""
    reason_category: ReasonCategory
    """Why CPR is or is not recommended, as the national form's reason"""
    reasoning: str
    """The clinician's reasoning, in their words"""
    person_involved: bool
    """Whether the person themselves took part in making the recommendation"""
    involvement_route: InvolvementRoute
    """ReSPECT section 6's route (A to D)"""
    responsible_clinician: str
    """The responsible clinician's name and role"""
    organisation: str
    """The organisation the recommendation was made in, by its ODS code"""
    setting: Setting
    """The setting it was made in"""
    needs_senior_endorsement: bool
    """Whether it needed a senior clinician's endorsement"""
    endorsed: bool
    """Whether it had been endorsed"""
    review_due: date | None
    """When the plan was next to be reviewed"""
    made_at: datetime
    """When the recommendation was made"""
    recorded_at: datetime
    """When it was recorded"""


@dataclass(frozen=True)
class RecordSnapshot:
    record_id: UUID
    """The record's id"""
    version: int
    """The record's version"""
    died: bool
    """Whether the person's death was recorded"""
    caring_organisations: tuple[str, ...]
    """The organisations caring for the person, by ODS code"""
    plans: tuple[PlanSnapshot, ...]
    """Every plan made by then, with its status"""

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
        status=plan.status,
        form_type=made.form_type,
        form_name=FORM_NAMES[made.form_type],
        cpr_code=made.cpr.value,
        cpr=made.cpr,
        reason_category=made.reason_category,
        reasoning=made.reasoning,
        person_involved=made.involvement.person_involved,
        involvement_route=made.involvement.route,
        responsible_clinician=f"{clinician.name} ({ROLES[clinician.role].label})",
        organisation=made.organisation,
        setting=made.setting,
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
    if isinstance(value, StrEnum):  # its code, as the wire format writes it
        return value.value
    return value
