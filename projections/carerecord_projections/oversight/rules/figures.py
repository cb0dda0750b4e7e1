"""The dashboard's values and their arithmetic: figures, timings (median and 90th centile in hours), charts,
drill-down rows, and what is worked out from the receipts of decisions by the organisations caring for a person.

A receipt row (see queries/receipts.py) is a decision or revocation recorded in the period, one other
organisation caring for the person then, and when that organisation first received it (`first_receipt`, None
when it has not yet). Anything that depends on time is judged against the caller's clock, `now`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from carerecord_events.plain import label
from carerecord_events.vocabulary import PlanStatus, Setting
from carerecord_projections.oversight.rules.scope import Period, Scope

if TYPE_CHECKING:
    from carerecord_projections.oversight.rules.comparison import Comparison, Month
    from carerecord_projections.oversight.rules.staff_knowledge import OrganisationKnowledge

Receipt = Mapping[str, Any]


@dataclass(frozen=True)
class Figure:
    key: str
    """The figure's stable key"""
    section: str
    """The dashboard section it belongs to"""
    label: str
    """What it counts, in words"""
    count: int
    """How many"""
    out_of: int | None = None
    """What it is out of, when it is a share"""

    @property
    def share(self) -> float | None:
        """The count as a share of what it is out of (0 to 1); none when it is not a share."""
        return None if not self.out_of else self.count / self.out_of


@dataclass(frozen=True)
class Timing:
    """How long something took, over `count` cases: median and 90th centile in hours (None when no cases)."""

    key: str
    """The timing's stable key"""
    section: str
    """The dashboard section it belongs to"""
    label: str
    """What was timed, in words"""
    count: int
    """How many cases were timed"""
    median_hours: float | None
    """The median, in hours; none when no cases"""
    p90_hours: float | None
    """The 90th centile, in hours; none when no cases"""


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    rows: tuple[tuple[str, int], ...]
    counted: str = "Recommendations"
    """What each bar counts, as a column heading."""


@dataclass(frozen=True)
class Dashboard:
    scope: Scope
    period: Period
    as_of: datetime
    figures: tuple[Figure, ...]
    charts: tuple[Chart, ...]
    demo: bool = False
    timings: tuple[Timing, ...] = ()
    unregistered_organisations: tuple[str, ...] = ()
    staff_knowledge: tuple[OrganisationKnowledge, ...] = ()
    """Each organisation's staff training beside the quality of the decisions it made in the period."""
    comparisons: tuple[Comparison, ...] = ()
    """Organisations compared with the region on some decision figures (a funnel plot's numbers)."""
    trend: tuple[Month, ...] = ()
    """The region month by month."""

    def figure(self, key: str) -> Figure:
        return next(figure for figure in self.figures if figure.key == key)


@dataclass(frozen=True)
class DrillDownRow:
    plan_id: UUID | None
    """The plan the row is about; none when the row is about something else (a change not yet seen)"""
    record_id: UUID
    """The person's record: ask `record` with it"""
    organisation: str
    """The organisation that made the decision, by its ODS code"""
    setting: Setting | None
    """The setting it was made in (none where the row has none: a conversation, a break-glass access)"""
    made_at: datetime
    """When it was made (or recorded)"""
    status: str
    """Where the plan stands, as its code; for a row that is not a plan, what it is (awaiting review, or the
    type of a change not yet seen)"""
    label: str
    """What the row is, in words"""

    @property
    def plan_status(self) -> PlanStatus | None:
        """Where the plan stands, when the row is a plan's"""
        return PlanStatus(self.status) if self.plan_id is not None and self.status in _PLAN_STATUSES else None

    @property
    def plan_status_label(self) -> str | None:
        """Where the plan stands, in words, when the row is a plan's"""
        status = self.plan_status
        return label(status) if status is not None else None


_PLAN_STATUSES = frozenset(status.value for status in PlanStatus)


@dataclass(frozen=True)
class AlertDecision:
    """One decision named by a blanket-decision alert, as the board looks into it: whose it is, who made it and
    when, how its reasoning opens, who was involved, and what the board last found about it."""

    plan_id: UUID
    record_id: UUID
    person_name: str
    nhs_number: str
    organisation: str
    organisation_name: str
    made_at: datetime
    status: str
    reasoning_opening: str  # the reasoning's first words (at most REASONING_OPENING_WORDS)
    involvement: str  # in plain words: whether the person was involved, and whether others were consulted
    finding: str | None  # the latest BoardFinding recorded for it, if any


REASONING_OPENING_WORDS = 12


def reasoning_opening(reasoning: str) -> str:
    words = reasoning.split()
    return " ".join(words[:REASONING_OPENING_WORDS]) + (" …" if len(words) > REASONING_OPENING_WORDS else "")


def involvement_in_words(person_involved: bool, reason_not_involved_given: bool, consulted: int) -> str:
    if person_involved:
        said = "the person was involved"
    elif reason_not_involved_given:
        said = "the person was not involved (a reason is recorded)"
    else:
        said = "the person was not involved, and no reason is recorded"
    others = "no one else consulted" if consulted == 0 else f"{consulted} consulted"
    return f"{said}; {others}"


def hours(seconds: Any) -> float | None:
    return None if seconds is None else round(float(seconds) / 3600.0, 2)


def centile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank centile of sorted values (None for none)."""
    if not values:
        return None
    return values[min(len(values) - 1, round(share * (len(values) - 1)))]


def elapsed(delta: timedelta) -> str:
    hours_passed = delta.total_seconds() / 3600
    return f"{hours_passed:.1f} hours" if hours_passed < 48 else f"{hours_passed / 24:.1f} days"


def timing_from_centiles(key: str, section: str, label: str, row: Sequence[Any]) -> Timing:
    """A timing from (count, median seconds, 90th centile seconds), as the database works them out."""
    count, median, p90 = row
    return Timing(key, section, label, count, hours(median), hours(p90))


def timing_of(key: str, section: str, label: str, seconds: Iterable[float]) -> Timing:
    ordered = sorted(seconds)
    return Timing(
        key, section, label, len(ordered), hours(centile(ordered, 0.5)), hours(centile(ordered, 0.9))
    )


def received(receipts: Iterable[Receipt]) -> int:
    return sum(1 for receipt in receipts if receipt["first_receipt"] is not None)


def receipt_timings(receipts: Sequence[Receipt], now: datetime) -> list[Timing]:
    """How long organisations took to first receive what they should, and how long the rest have waited."""
    taken = (
        (receipt["first_receipt"] - receipt["recorded_at"]).total_seconds()
        for receipt in receipts
        if receipt["first_receipt"] is not None
    )
    waiting = (
        (now - receipt["recorded_at"]).total_seconds()
        for receipt in receipts
        if receipt["first_receipt"] is None
    )
    return [
        timing_of(
            "time-to-first-receipt",
            "Sharing",
            "Time from recording to each caring organisation's first receipt",
            taken,
        ),
        timing_of(
            "not-yet-seen", "Sharing", "Not yet seen by a caring organisation: time waiting so far", waiting
        ),
    ]


def not_yet_seen(receipts: Iterable[Receipt], now: datetime) -> list[DrillDownRow]:
    """The decisions and revocations a caring organisation has not yet received, as drill-down rows."""
    return [
        DrillDownRow(
            None,
            receipt["record_id"],
            receipt["organisation"],
            Setting(receipt["setting"]) if receipt["setting"] else None,
            receipt["recorded_at"],
            receipt["event_type"],
            label=f"{receipt['organisation']} has not seen it after {elapsed(now - receipt['recorded_at'])}",
        )
        for receipt in receipts
        if receipt["first_receipt"] is None
    ]
