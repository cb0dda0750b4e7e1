"""Staff knowledge beside decision quality: each organisation's training figures (staff trained in advance care
planning and in DNACPR conversations, by role, per quarter, as it reported them) next to the decision figures
of the decisions it made in the same period, as the review recommended (clinicians' knowledge and skills)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from carerecord_events.roles import Role
from carerecord_projections.oversight.rules.figures import Figure
from carerecord_projections.oversight.rules.scope import Period


@dataclass(frozen=True)
class TrainingRow:
    quarter: str
    """The quarter, such as 2026-Q3"""
    role: Role
    """The staff role"""
    staff: int
    """How many staff in that role"""
    trained_in_advance_care_planning: int
    """How many of them are trained in advance care planning"""
    trained_in_dnacpr_conversations: int
    """How many of them are trained in DNACPR conversations"""

    @property
    def share_trained_in_advance_care_planning(self) -> float | None:
        """The share of them trained in advance care planning (0 to 1); none when there are no staff."""
        return None if not self.staff else self.trained_in_advance_care_planning / self.staff

    @property
    def share_trained_in_dnacpr_conversations(self) -> float | None:
        """The share of them trained in DNACPR conversations (0 to 1); none when there are no staff."""
        return None if not self.staff else self.trained_in_dnacpr_conversations / self.staff


@dataclass(frozen=True)
class OrganisationKnowledge:
    organisation: str
    """The organisation, by its ODS code"""
    name: str
    """The organisation's name, from the register"""
    training: tuple[TrainingRow, ...]
    """The quarters of the period it reported, earliest first; empty when it reported none."""
    decisions: tuple[Figure, ...]
    """The decision figures of the decisions it made in the period (the dashboard's, for it alone)."""


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarters_in(period: Period) -> list[str]:
    """The calendar quarters the period touches, earliest first (at most 40: ten years)."""
    found: list[str] = []
    day = period.start.date()
    last = (period.end - timedelta(microseconds=1)).date() if period.end > period.start else day
    while day <= last and len(found) < 40:
        found.append(quarter_of(day))
        month = ((day.month - 1) // 3 + 1) * 3 + 1
        day = date(day.year + (month > 12), (month - 1) % 12 + 1, 1)
    return found
