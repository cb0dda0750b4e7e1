"""What an oversight view covers: a scope (a region, an organisation or a setting) and a period.

A region is an integrated care board code or an NHS region name from the organisation register; an
organisation is an ODS code; a setting is one of the record's settings (care home, GP practice, hospital...)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
"""The region's clock: a period given in dates starts and ends at midnight here."""


@dataclass(frozen=True)
class Scope:
    region: str | None = None
    organisation: str | None = None
    setting: str | None = None

    def describe(self) -> str:
        parts = [
            f"region {self.region}" if self.region else "",
            f"organisation {self.organisation}" if self.organisation else "",
            f"setting {self.setting}" if self.setting else "",
        ]
        return ", ".join(part for part in parts if part) or "every organisation"


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("the period's start and end must carry a time zone")
        if self.end <= self.start:
            raise ValueError("the period must end after it starts")


def london_period(first: date, last: date) -> Period:
    """From the start of the first day to the end of the last, in Europe/London (British Summer Time included)."""
    return Period(
        start=datetime.combine(first, time.min, LONDON),
        end=datetime.combine(last + timedelta(days=1), time.min, LONDON),
    )
