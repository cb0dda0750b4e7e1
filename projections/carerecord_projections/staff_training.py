"""An organisation's staff training figures: how many of its staff in each role were trained in advance care
planning and in DNACPR conversations, per quarter, as the organisation's administrator reports them in CSV.

Kept as a table beside the reference data, not as events: the figures are counts the organisation states
about itself, not facts on any person's record (the event store's streams are people's records and their
access audit); a quarter reported again is a correction that replaces it, with who reported it and when kept
on each row; and oversight reads them by SQL beside the decisions the organisation made. A file with any
problem changes nothing, and every problem is named by its row (the header is row 1) and column."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import psycopg2.extras

from carerecord_events.roles import ROLES, Role
from carerecord_projections.database import transaction
from carerecord_projections.schema import REFERENCE_DDL
from carerecord_services.schema_changes import lock_schema_changes

COLUMNS = (
    "quarter",
    "role",
    "staff",
    "trained_in_advance_care_planning",
    "trained_in_dnacpr_conversations",
)
TRAINED = COLUMNS[3:]
STAFF_ROLES = tuple(role.value for role in Role if ROLES[role].clinical or role is Role.CARE_HOME_STAFF)
"""The roles whose training is reported: those who have these conversations and make or carry out the plans."""
MAX_ROWS = 500
_QUARTER = re.compile(r"([0-9]{4})-Q([1-4])")
_WHOLE_NUMBER = re.compile(r"[0-9]{1,7}")  # not isdigit(): that accepts '٩' and '²'


@dataclass(frozen=True)
class CsvProblem:
    row: int
    column: str
    problem: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.problem}"


class StaffTrainingRefused(ValueError):
    """A training file that cannot be taken in, with every problem found."""

    def __init__(self, problems: list[CsvProblem]) -> None:
        self.problems = problems
        shown = problems[:20]
        more = f"; and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
        super().__init__("; ".join(str(problem) for problem in shown) + more)


@dataclass(frozen=True)
class TrainingFigures:
    quarter: str
    role: str
    staff: int
    trained_in_advance_care_planning: int
    trained_in_dnacpr_conversations: int


def parse_staff_training(text: str) -> list[TrainingFigures]:
    """Every row checked; the figures, or StaffTrainingRefused naming each problem's row and column."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip() for name in next(reader, [])]
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise StaffTrainingRefused([CsvProblem(1, column, "missing from the header") for column in missing])
    problems: list[CsvProblem] = []
    figures: dict[tuple[str, str], tuple[int, TrainingFigures]] = {}
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(figures) >= MAX_ROWS:
            raise StaffTrainingRefused([CsvProblem(number, "quarter", f"more than {MAX_ROWS} rows")])
        row = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)}
        found = _figures(number, row, problems)
        if found is None:
            continue
        key = (found.quarter, found.role)
        if key in figures:
            problems.append(
                CsvProblem(
                    number, "role", f"{found.role} appears twice for {found.quarter} (row {figures[key][0]})"
                )
            )
        figures[key] = (number, found)
    if problems:
        raise StaffTrainingRefused(problems)
    if not figures:
        raise StaffTrainingRefused([CsvProblem(2, "quarter", "the file has no rows")])
    return [found for _, found in figures.values()]


def _figures(number: int, row: dict[str, str], problems: list[CsvProblem]) -> TrainingFigures | None:
    before = len(problems)
    if _QUARTER.fullmatch(row["quarter"]) is None:
        problems.append(CsvProblem(number, "quarter", f"{row['quarter']!r} is not a quarter such as 2026-Q3"))
    if row["role"] not in STAFF_ROLES:
        problems.append(CsvProblem(number, "role", f"{row['role']!r} is not one of {', '.join(STAFF_ROLES)}"))
    counts: dict[str, int] = {}
    for column in ("staff", *TRAINED):
        if _WHOLE_NUMBER.fullmatch(row[column]) is None:
            problems.append(CsvProblem(number, column, f"{row[column]!r} is not a whole number (digits 0-9)"))
        else:
            counts[column] = int(row[column])
    for column in TRAINED:
        if column in counts and "staff" in counts and counts[column] > counts["staff"]:
            problems.append(
                CsvProblem(
                    number, column, f"{counts[column]} trained is more than the {counts['staff']} staff"
                )
            )
    if len(problems) > before:
        return None
    return TrainingFigures(row["quarter"], row["role"], **counts)


def record_staff_training(
    dsn: str, organisation: str, figures: Sequence[TrainingFigures], reported_by: str, at: datetime
) -> int:
    """The organisation's figures for each quarter in the file replace what it reported for those quarters
    before, in one transaction."""
    quarters = sorted({found.quarter for found in figures})
    rows = [
        (
            organisation,
            found.quarter,
            found.role,
            found.staff,
            found.trained_in_advance_care_planning,
            found.trained_in_dnacpr_conversations,
            reported_by,
            at,
        )
        for found in figures
    ]
    with transaction(dsn) as cursor:
        lock_schema_changes(cursor)
        cursor.execute(REFERENCE_DDL)
        cursor.execute(
            "DELETE FROM staff_training WHERE organisation = %s AND quarter = ANY(%s)",
            (organisation, quarters),
        )
        psycopg2.extras.execute_values(cursor, "INSERT INTO staff_training VALUES %s", rows)
    return len(rows)


class StaffTrainingReports:
    """Where organisations' administrators report their staff training figures (see the module's docstring)."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn

    def report(self, organisation: str, text: str, reported_by: str, at: datetime) -> list[TrainingFigures]:
        """The figures taken in, or StaffTrainingRefused (nothing changed) naming every problem."""
        figures = parse_staff_training(text)
        record_staff_training(self._dsn, organisation, figures, reported_by, at)
        return figures
