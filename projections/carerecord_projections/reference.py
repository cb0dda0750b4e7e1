"""Reference data the oversight views stand on: the organisation register (ODS code, name, setting, integrated
care board, region, whether it is an urgent and emergency care service, and its CQC location where known) and the registered population of each integrated care board by age band, sex and
ethnicity. Neither is derived from events, so a rebuild of the read models never touches them.

Both come from CSV. An import checks every row first and reports every problem with its line number; only a
file with no problems replaces the table, in one transaction, so a register is never half-loaded."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import psycopg2.extras

from carerecord_events.vocabulary import URGENT_AND_EMERGENCY_CARE_SETTINGS, Setting
from carerecord_projections.database import transaction
from carerecord_projections.schema import REFERENCE_DDL
from carerecord_services.errors import InvalidIdentifier
from carerecord_services.identifiers import canonical_ods_code
from carerecord_services.schema_changes import lock_schema_changes

ORGANISATION_COLUMNS = ("ods_code", "name", "setting", "icb_code", "icb_name", "region")
URGENT_CARE_COLUMN = "urgent_and_emergency_care"
"""Optional (a register without it marks no one): `yes` for an ambulance service, NHS 111, an out-of-hours
service or an emergency department that a board may grant the region's plans in force; `no` or empty else."""
CQC_LOCATION_COLUMN = "cqc_location"
"""Optional: the Care Quality Commission's location ID of the organisation (`1-` and 9 to 11 digits, as the CQC
directory writes it), so that an assurance team can take a care home named in an alert to the regulator's own
register; empty when not known."""
_CQC_LOCATION = re.compile(r"1-[0-9]{9,11}")
URGENT_CARE_SETTINGS = tuple(sorted(setting.value for setting in URGENT_AND_EMERGENCY_CARE_SETTINGS))
POPULATION_COLUMNS = ("icb_code", "age_band", "sex", "ethnicity", "people")
AGE_BANDS = ("under 18", "18-39", "40-64", "65-74", "75-84", "85+")
SETTINGS = tuple(setting.value for setting in Setting)


class ReferenceDataError(ValueError):
    """A reference file that cannot be imported, with every problem found (line numbers count the header)."""

    def __init__(self, what: str, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:20]
        more = f"\n  ... and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
        super().__init__(f"{what}: {len(problems)} problem(s)\n  " + "\n  ".join(shown) + more)


@dataclass(frozen=True)
class Organisation:
    ods_code: str
    name: str
    setting: str
    icb_code: str
    icb_name: str
    region: str
    urgent_and_emergency_care: bool = False
    cqc_location: str | None = None


@dataclass(frozen=True)
class PopulationCell:
    icb_code: str
    age_band: str
    sex: str
    ethnicity: str
    people: int


def _rows(text: str, columns: tuple[str, ...], what: str) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = tuple(name.strip() for name in reader.fieldnames or ())
    missing = [column for column in columns if column not in header]
    if missing:
        raise ReferenceDataError(
            what, [f"the header lacks {', '.join(missing)} (expected {', '.join(columns)})"]
        )
    return [
        (reader.line_num, {key.strip(): (value or "").strip() for key, value in row.items() if key})
        for row in reader
    ]


_WHOLE_NUMBER = re.compile(r"[0-9]+")


def _code(value: str, problem: str, problems: list[str]) -> str:
    """The ODS code in its canonical form, or the problem noted (and the value as written, to carry on)."""
    try:
        return canonical_ods_code(value)
    except InvalidIdentifier:
        problems.append(f"{problem} (3 to 9 letters A-Z or digits 0-9)")
        return value


def parse_organisations(text: str) -> list[Organisation]:
    what = "organisation register"
    problems: list[str] = []
    organisations: dict[str, Organisation] = {}
    for line, row in _rows(text, ORGANISATION_COLUMNS, what):
        code = _code(row["ods_code"], f"line {line}: {row['ods_code']!r} is not an ODS code", problems)
        icb_code = _code(
            row["icb_code"], f"line {line}: icb_code {row['icb_code']!r} is not an ODS code", problems
        )
        if row["setting"] not in SETTINGS:
            problems.append(f"line {line}: setting {row['setting']!r} is not one of {', '.join(SETTINGS)}")
        for column in ("name", "icb_name", "region"):
            if not row[column]:
                problems.append(f"line {line}: {column} is empty")
        if code in organisations:
            problems.append(f"line {line}: {code} appears twice")
        organisations[code] = Organisation(
            code,
            row["name"],
            row["setting"],
            icb_code,
            row["icb_name"],
            row["region"],
            _urgent_care(line, row, problems),
            _cqc_location(line, row, problems),
        )
    if problems:
        raise ReferenceDataError(what, problems)
    if not organisations:
        raise ReferenceDataError(what, ["the file has no organisations"])
    return list(organisations.values())


def _urgent_care(line: int, row: dict[str, str], problems: list[str]) -> bool:
    marked = row.get(URGENT_CARE_COLUMN, "").lower()
    if marked not in ("yes", "no", ""):
        problems.append(f"line {line}: {URGENT_CARE_COLUMN} {marked!r} is not yes, no or empty")
    if marked == "yes" and row["setting"] not in URGENT_CARE_SETTINGS:
        problems.append(
            f"line {line}: {URGENT_CARE_COLUMN} is yes for setting {row['setting']!r}, which is not one of "
            f"{', '.join(URGENT_CARE_SETTINGS)}"
        )
    return marked == "yes"


def _cqc_location(line: int, row: dict[str, str], problems: list[str]) -> str | None:
    location = row.get(CQC_LOCATION_COLUMN, "")
    if location and _CQC_LOCATION.fullmatch(location) is None:
        problems.append(
            f"line {line}: {CQC_LOCATION_COLUMN} {location!r} is not a CQC location ID (1- and 9 to 11 digits,"
            " such as 1-101234567)"
        )
    return location or None


def parse_population(text: str) -> list[PopulationCell]:
    what = "registered population"
    problems: list[str] = []
    cells: dict[tuple[str, str, str, str], PopulationCell] = {}
    for line, row in _rows(text, POPULATION_COLUMNS, what):
        if row["age_band"] not in AGE_BANDS:
            problems.append(f"line {line}: age band {row['age_band']!r} is not one of {', '.join(AGE_BANDS)}")
        icb_code = _code(
            row["icb_code"], f"line {line}: icb_code {row['icb_code']!r} is not an ODS code", problems
        )
        for column in ("sex", "ethnicity"):
            if not row[column]:
                problems.append(f"line {line}: {column} is empty")
        if _WHOLE_NUMBER.fullmatch(row["people"]) is None:  # not isdigit(): that accepts '٩' and '²'
            problems.append(f"line {line}: people {row['people']!r} is not a whole number (digits 0-9)")
            continue
        key = (icb_code, row["age_band"], row["sex"].lower(), row["ethnicity"])
        if key in cells:
            problems.append(f"line {line}: {', '.join(key)} appears twice")
        cells[key] = PopulationCell(*key, people=int(row["people"]))
    if problems:
        raise ReferenceDataError(what, problems)
    if not cells:
        raise ReferenceDataError(what, ["the file has no rows"])
    return list(cells.values())


def create_reference_tables(cursor: Any) -> None:
    lock_schema_changes(cursor)
    cursor.execute(REFERENCE_DDL)


def replace_organisations(dsn: str, organisations: Iterable[Organisation]) -> int:
    rows = [
        (
            o.ods_code,
            o.name,
            o.setting,
            o.icb_code,
            o.icb_name,
            o.region,
            o.urgent_and_emergency_care,
            o.cqc_location,
        )
        for o in organisations
    ]
    with transaction(dsn) as cursor:
        create_reference_tables(cursor)
        cursor.execute("DELETE FROM organisations")
        psycopg2.extras.execute_values(
            cursor,
            f"INSERT INTO organisations ({', '.join(ORGANISATION_COLUMNS)}, {URGENT_CARE_COLUMN},"
            f" {CQC_LOCATION_COLUMN}) VALUES %s",
            rows,
        )
    return len(rows)


def replace_population(dsn: str, cells: Iterable[PopulationCell]) -> int:
    rows = [(c.icb_code, c.age_band, c.sex, c.ethnicity, c.people) for c in cells]
    with transaction(dsn) as cursor:
        create_reference_tables(cursor)
        cursor.execute("DELETE FROM registered_population")
        psycopg2.extras.execute_values(cursor, "INSERT INTO registered_population VALUES %s", rows)
    return len(rows)


def board_organisations(dsn: str, icb_code: str) -> frozenset[str]:
    """The ODS codes of the organisations the register places in an integrated care board (none before any
    register is imported)."""
    with transaction(dsn) as cursor:
        cursor.execute("SELECT to_regclass('organisations') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return frozenset()
        cursor.execute("SELECT ods_code FROM organisations WHERE icb_code = upper(%s)", (icb_code,))
        return frozenset(row[0] for row in cursor.fetchall())


def registered_organisation(dsn: str, ods_code: str) -> Organisation | None:
    """The register's entry for an organisation (None if it is not in the register, or none is imported)."""
    with transaction(dsn) as cursor:
        cursor.execute("SELECT to_regclass('organisations') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return None
        cursor.execute(
            f"SELECT {', '.join(ORGANISATION_COLUMNS)}, {URGENT_CARE_COLUMN}, {CQC_LOCATION_COLUMN}"
            " FROM organisations "
            "WHERE ods_code = upper(%s)",
            (ods_code,),
        )
        row = cursor.fetchone()
    return Organisation(*row) if row else None


def organisation_names(dsn: str, codes: Iterable[str]) -> dict[str, str]:
    """The register's name of each of these ODS codes that it holds (none before any register is imported)."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    with transaction(dsn) as cursor:
        cursor.execute("SELECT to_regclass('organisations') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return {}
        cursor.execute("SELECT ods_code, name FROM organisations WHERE ods_code = ANY(%s)", (wanted,))
        return {code: name for code, name in cursor.fetchall()}
