"""Who is in which group for equality monitoring: age bands, the characteristics compared, a person as the
monitoring sees them, and the registered population read from its CSV file. See equality.py for the choices."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date

from carerecord_events.people import EqualityMonitoring
from carerecord_events.record.facts import age_on

AGE_BANDS: tuple[str, ...] = ("under 18", "18-39", "40-64", "65-74", "75-84", "85+")
_AGE_BAND_STARTS: tuple[int, ...] = (0, 18, 40, 65, 75, 85)

AGE_BAND = "age band"
SEX = "sex"
ETHNICITY = "ethnicity"
DISABILITY = "disability"
LEARNING_DISABILITY = "learning disability"
AUTISM = "autism"
DEMENTIA = "dementia"
CHARACTERISTICS: tuple[str, ...] = (
    AGE_BAND,
    SEX,
    ETHNICITY,
    DISABILITY,
    LEARNING_DISABILITY,
    AUTISM,
    DEMENTIA,
)
POPULATION_CHARACTERISTICS: tuple[str, ...] = (AGE_BAND, SEX, ETHNICITY)

NOT_RECORDED = "not recorded"
YES = "yes"
NO = "no"
TOTAL = "total"

PopulationKey = tuple[str, str, str]
"""(age band, sex, ethnicity) of a row of the registered population; blank sex or ethnicity is "not recorded"."""


def age_band(date_of_birth: date, on: date) -> str:
    """The age band of someone born on `date_of_birth`, in completed years on the reference date `on`."""
    if date_of_birth > on:
        raise ValueError("the date of birth is after the reference date")
    age = age_on(date_of_birth, on)
    band = AGE_BANDS[0]
    for name, start in zip(AGE_BANDS, _AGE_BAND_STARTS, strict=True):
        if age >= start:
            band = name
    return band


@dataclass(frozen=True, kw_only=True)
class PersonForMonitoring(EqualityMonitoring):
    """One person in the record: their characteristics as registered (None = not recorded), their age band, and
    whether they had an active do-not-attempt-CPR recommendation in the period."""

    age_band: str
    has_dnacpr: bool

    def __post_init__(self) -> None:
        if self.age_band not in AGE_BANDS:
            raise ValueError(f"unknown age band {self.age_band!r}; expected one of {AGE_BANDS}")

    @classmethod
    def from_registration(
        cls, equality: EqualityMonitoring, *, date_of_birth: date, on: date, has_dnacpr: bool
    ) -> PersonForMonitoring:
        characteristics = {field.name: getattr(equality, field.name) for field in fields(EqualityMonitoring)}
        return cls(age_band=age_band(date_of_birth, on), has_dnacpr=has_dnacpr, **characteristics)


def group_label(value: str | None) -> str:
    if value is None or not value.strip():
        return NOT_RECORDED
    return value.strip()


def _yes_no(value: bool | None) -> str:
    if value is None:
        return NOT_RECORDED
    return YES if value else NO


def groups_of(person: PersonForMonitoring) -> dict[str, str]:
    return {
        AGE_BAND: person.age_band,
        SEX: group_label(person.sex),
        ETHNICITY: group_label(person.ethnicity),
        DISABILITY: _yes_no(person.disability),
        LEARNING_DISABILITY: _yes_no(person.learning_disability),
        AUTISM: _yes_no(person.autism),
        DEMENTIA: _yes_no(person.dementia),
    }


def read_population(lines: Iterable[str], *, area: str | None = None) -> dict[PopulationKey, int]:
    """The registered population from CSV text with columns age_band, sex, ethnicity, count (and area, when
    `area` picks one). Rows with the same age band, sex and ethnicity are added together."""
    reader = csv.DictReader(lines)
    needed = {"age_band", "sex", "ethnicity", "count"} | ({"area"} if area is not None else set())
    missing = needed - set(reader.fieldnames or ())
    if missing:
        raise ValueError(f"the population file has no column {', '.join(sorted(missing))}")
    population: dict[PopulationKey, int] = {}
    for row in reader:
        if area is not None and row["area"].strip() != area:
            continue
        band = row["age_band"].strip()
        if band not in AGE_BANDS:
            raise ValueError(
                f"line {reader.line_num}: unknown age band {band!r}; expected one of {AGE_BANDS}"
            )
        written = (row["count"] or "").strip()
        if written.startswith("-") and written[1:].isascii() and written[1:].isdecimal():
            raise ValueError(f"line {reader.line_num}: the count is negative")
        if not (written.isascii() and written.isdecimal()):  # int() would accept '٣' and '３'
            raise ValueError(f"line {reader.line_num}: the count is not a whole number (digits 0-9)")
        count = int(written)
        key = (band, group_label(row["sex"]), group_label(row["ethnicity"]))
        population[key] = population.get(key, 0) + count
    return population
