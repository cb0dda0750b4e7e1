"""When things happened: the bounds every date of birth and every `occurred_at` must keep.

The clock is the command's `Context.now` (injected), never the wall clock. A device's clock may run a little
ahead of the server's, so `occurred_at` may be up to five minutes after now; anything later is a mistake (a
wrong year, a wrong time zone) that would put the entry out of order in the person's history.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from carerecord_services.errors import InvalidInput, TimeInFuture

EARLIEST_DATE_OF_BIRTH = date(1880, 1, 1)
CLOCK_ALLOWANCE = timedelta(minutes=5)


def check_date_of_birth(value: date, now: datetime, field_name: str = "date_of_birth") -> None:
    if value < EARLIEST_DATE_OF_BIRTH:
        raise InvalidInput(
            f"{field_name}: a date of birth is from {EARLIEST_DATE_OF_BIRTH.isoformat()} onwards",
            field=field_name,
        )
    if value > now.date():
        raise TimeInFuture(f"{field_name}: a date of birth cannot be in the future", field=field_name)


def check_occurred_at(occurred_at: datetime, now: datetime, born: date | None) -> None:
    """Not later than now plus the clock allowance, and not before the person was born."""
    if occurred_at.tzinfo is None:
        raise InvalidInput("occurred_at: times must carry a time zone", field="occurred_at")
    if occurred_at > now + CLOCK_ALLOWANCE:
        raise TimeInFuture(
            "occurred_at: something cannot be recorded as happening in the future (more than five minutes "
            "after now)",
            field="occurred_at",
        )
    if born is not None and occurred_at.date() < born:
        raise InvalidInput(
            f"occurred_at: this is before the person was born ({born.isoformat()})", field="occurred_at"
        )
