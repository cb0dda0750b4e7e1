"""The arguments several operations take, each described once (the schema linter asks every argument for one)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import strawberry

RecordId = Annotated[UUID, strawberry.argument(description="The care record's id (a person's `recordId`)")]
Purpose = Annotated[
    str,
    strawberry.argument(description="Why the record is read, in the reader's words: recorded with the read"),
]
ExpectedVersion = Annotated[
    int | None,
    strawberry.argument(
        description="The record's version the change was prepared against: the change is refused as a version "
        "conflict if the record has changed since (none: no check)"
    ),
]
IdempotencyKey = Annotated[
    str | None,
    strawberry.argument(
        description="A key of the caller's choosing: the same request sent again with it is answered as the "
        "first was, and not made twice"
    ),
]
PeriodStart = Annotated[
    datetime, strawberry.argument(description="The period's first instant (with its time zone)")
]
PeriodEnd = Annotated[
    datetime,
    strawberry.argument(description="The instant the period ends, not included (with its time zone)"),
]
Region = Annotated[
    str | None,
    strawberry.argument(description="A region: an integrated care board's code or an NHS region's"),
]
Organisation = Annotated[str | None, strawberry.argument(description="An organisation, by its ODS code")]
SettingName = Annotated[
    str | None,
    strawberry.argument(description="A setting of care by its code (such as care-home or hospital)"),
]
AsOf = Annotated[
    datetime | None,
    strawberry.argument(description="The instant 'overdue' is judged at (with its time zone; none: now)"),
]
Reason = Annotated[str, strawberry.argument(description="Why, in the words of the person acting: recorded")]
NhsNumber = Annotated[str, strawberry.argument(description="The person's NHS number, with or without spaces")]
FamilyName = Annotated[str, strawberry.argument(description="The person's family name")]
DateOfBirth = Annotated[date, strawberry.argument(description="The person's date of birth")]
Postcode = Annotated[str, strawberry.argument(description="The postcode of the person's address")]
