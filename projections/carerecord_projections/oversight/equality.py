"""Equality monitoring of DNACPR recommendations, with small-number disclosure control.

Why: the regulator found that DNACPR decisions may have discriminated by age, disability, learning disability,
dementia and ethnicity. An integrated care system therefore compares, for each characteristic, how many people
in the record have an active do-not-attempt-CPR recommendation, against the people in the record and against
the registered population, without publishing numbers small enough to identify anyone.

Pure Python over plain values (no database): the read models are wired to it elsewhere.

Choices, stated once:

* Age bands are ``AGE_BANDS``: "under 18" is its own band (decisions for children follow a different, paediatric
  process and must not be hidden inside an adult band), then 18-39, 40-64, 65-74, 75-84 and 85+. Age is in
  completed years on the reference date; someone born on 29 February is a year older on 1 March in other years.
* "Not recorded" is its own group, never folded into "no". Every characteristic's total says how many people
  have it not recorded, and flags a characteristic recorded for nobody (no comparison is then possible).
  Age band always has a value (date of birth is required at registration), so it has no "not recorded" group.
* Rates are per 1,000 people (``RATE_PER``), rounded to one decimal place: DNACPR recommendations per 1,000
  people in the record in the group, and per 1,000 of the group's registered population. The registered
  population is by age band, sex and ethnicity only, so for the yes/no characteristics it is not available.
  A group's registered population is the sum of the population rows carrying its label; a label the population
  does not carry is "not available" (None), not zero.
* Disclosure control (``suppress``), with ``minimum_cell`` 5 by default:

  - Primary: a count of people, or of DNACPR recommendations, from 1 to 4 is withheld. Zero is published: a true
    zero identifies nobody, and the regulator needs to see "none". A group's DNACPR count is also withheld when
    fewer than 5 people in it have no recommendation (0 included): publishing it would tell anyone who knows a
    person is in that group that they almost certainly have one. When a group's people count is withheld, its
    DNACPR count is withheld too. Rates are withheld whenever their numerator or denominator is.
  - Totals: the overall number of people and of DNACPR recommendations are published once and are the same for
    every characteristic (everyone is in exactly one group of each, counting "not recorded"). When fewer than 5
    people are in the record, nothing but the registered population is published. When the DNACPR total is
    from 1 to 4, or fewer than 5 people have none, the DNACPR total and every non-empty group's DNACPR count
    are withheld.
  - Secondary: each withheld count must still have more than one value consistent with everything published
    (the totals, the other groups, the same people appearing under every characteristic, and 0 <= DNACPR <=
    people). Within each characteristic a withheld count must be able to trade one person, or one
    recommendation, with another withheld count without breaking any published total; when it cannot, the
    group with the next smallest count is withheld as well, until every withheld count can. Because the
    characteristics share nothing but the published totals, a characteristic protected on its own stays
    protected in the linked tables.
  - The reason for each withheld count is kept on the cell for the governance audit trail, but
    ``EqualityTable.published_rows`` marks every withheld value with the same "[c]": publishing "primary"
    would tell a reader that the value is 1 to 4, narrowing what the secondary suppression protects.
  - The registered population is external, already published data, and is not treated as a bound on the
    record's counts (the record holds people registered elsewhere, and the population file has its own date).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from carerecord_events.people import EqualityMonitoring

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

RATE_PER = 1000
MINIMUM_CELL = 5
SECONDARY = "secondary (protects another cell)"

# Markers in published rows, after the Office for National Statistics' conventions.
WITHHELD_MARK = "[c]"
NOT_AVAILABLE_MARK = "[x]"
NOT_APPLICABLE_MARK = "[z]"

PopulationKey = tuple[str, str, str]
"""(age band, sex, ethnicity) of a row of the registered population; blank sex or ethnicity is "not recorded"."""


def primary_reason(minimum_cell: int = MINIMUM_CELL) -> str:
    return f"primary (fewer than {minimum_cell})"


def primary_reason_without(minimum_cell: int = MINIMUM_CELL) -> str:
    return f"primary (fewer than {minimum_cell} without a DNACPR recommendation)"


def age_band(date_of_birth: date, on: date) -> str:
    """The age band of someone born on `date_of_birth`, in completed years on the reference date `on`."""
    if date_of_birth > on:
        raise ValueError("the date of birth is after the reference date")
    not_had_birthday = (on.month, on.day) < (date_of_birth.month, date_of_birth.day)
    age = on.year - date_of_birth.year - not_had_birthday
    band = AGE_BANDS[0]
    for name, start in zip(AGE_BANDS, _AGE_BAND_STARTS, strict=True):
        if age >= start:
            band = name
    return band


@dataclass(frozen=True, kw_only=True)
class PersonForMonitoring:
    """One person in the record: their characteristics (None = not recorded) and whether they had an active
    do-not-attempt-CPR recommendation in the period."""

    age_band: str
    has_dnacpr: bool
    sex: str | None = None
    ethnicity: str | None = None
    disability: bool | None = None
    learning_disability: bool | None = None
    autism: bool | None = None
    dementia: bool | None = None

    def __post_init__(self) -> None:
        if self.age_band not in AGE_BANDS:
            raise ValueError(f"unknown age band {self.age_band!r}; expected one of {AGE_BANDS}")

    @classmethod
    def from_registration(
        cls, equality: EqualityMonitoring, *, date_of_birth: date, on: date, has_dnacpr: bool
    ) -> PersonForMonitoring:
        return cls(
            age_band=age_band(date_of_birth, on),
            has_dnacpr=has_dnacpr,
            sex=equality.sex,
            ethnicity=equality.ethnicity,
            disability=equality.disability,
            learning_disability=equality.learning_disability,
            autism=equality.autism,
            dementia=equality.dementia,
        )


def _label(value: str | None) -> str:
    if value is None or not value.strip():
        return NOT_RECORDED
    return value.strip()


def _yes_no(value: bool | None) -> str:
    if value is None:
        return NOT_RECORDED
    return YES if value else NO


def _groups_of(person: PersonForMonitoring) -> dict[str, str]:
    return {
        AGE_BAND: person.age_band,
        SEX: _label(person.sex),
        ETHNICITY: _label(person.ethnicity),
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
        key = (band, _label(row["sex"]), _label(row["ethnicity"]))
        population[key] = population.get(key, 0) + count
    return population


# --- Disclosure control ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupCounts:
    """One group of one characteristic: how many people are in it and how many of them have a DNACPR
    recommendation."""

    group: str
    people: int
    dnacpr: int


@dataclass(frozen=True)
class Withheld:
    """Why a group's counts are withheld: "" when published, else the reason."""

    people: str = ""
    dnacpr: str = ""

    @property
    def any(self) -> bool:
        return bool(self.people or self.dnacpr)


@dataclass(frozen=True)
class Suppression:
    """What to withhold: per (characteristic, group), and for the overall totals."""

    cells: Mapping[tuple[str, str], Withheld]
    people_total: str
    dnacpr_total: str


def suppress(
    characteristics: Mapping[str, Sequence[GroupCounts]], minimum_cell: int = MINIMUM_CELL
) -> Suppression:
    """Decide which counts to withhold (see the module's docstring for the rules). Every characteristic must
    partition the same people: the same number of people and of DNACPR recommendations in each."""
    if minimum_cell < 3:
        # With 2, a withheld total could only be 1, which anyone reading the rules would know.
        raise ValueError("the minimum cell must be at least 3")
    people, dnacpr = _common_totals(characteristics)
    primary = primary_reason(minimum_cell)
    people_total = primary if 0 < people < minimum_cell else ""
    if people_total or 0 < dnacpr < minimum_cell:
        dnacpr_total = primary
    elif people > 0 and people - dnacpr < minimum_cell:
        dnacpr_total = primary_reason_without(minimum_cell)
    else:
        dnacpr_total = ""
    cells: dict[tuple[str, str], Withheld] = {}
    for name, groups in characteristics.items():
        if people_total:
            for g in groups:
                cells[(name, g.group)] = Withheld(
                    people=primary if g.people else SECONDARY, dnacpr=primary if g.dnacpr else SECONDARY
                )
            continue
        totals = _Totals(people, dnacpr, minimum_cell, dnacpr_hidden=bool(dnacpr_total))
        withheld = _suppress_characteristic(groups, totals)
        for g in groups:
            cells[(name, g.group)] = withheld.get(g.group, Withheld())
    return Suppression(cells=cells, people_total=people_total, dnacpr_total=dnacpr_total)


def _common_totals(characteristics: Mapping[str, Sequence[GroupCounts]]) -> tuple[int, int]:
    totals: set[tuple[int, int]] = set()
    for name, groups in characteristics.items():
        if len({g.group for g in groups}) != len(groups):
            raise ValueError(f"{name}: a group appears twice")
        for g in groups:
            if not 0 <= g.dnacpr <= g.people:
                raise ValueError(f"{name}, {g.group}: counts must satisfy 0 <= DNACPR <= people")
        totals.add((sum(g.people for g in groups), sum(g.dnacpr for g in groups)))
    if len(totals) > 1:
        raise ValueError(
            "every characteristic must count the same people and the same DNACPR recommendations"
        )
    return totals.pop() if totals else (0, 0)


@dataclass(frozen=True)
class _Totals:
    people: int
    dnacpr: int
    minimum_cell: int
    dnacpr_hidden: bool

    def dnacpr_total_could_be(self, value: int) -> bool:
        """Whether a reader who knows the rules could believe the withheld DNACPR total is `value`."""
        small = 1 <= value < self.minimum_cell
        few_without = self.people - self.minimum_cell < value <= self.people
        return small or few_without


class _Protection:
    """One characteristic's withheld counts, and whether each can move without changing anything published."""

    def __init__(self, groups: Sequence[GroupCounts], totals: _Totals) -> None:
        self.groups = {g.group: g for g in groups}
        self.order = [g.group for g in groups]
        self.totals = totals
        self.people: dict[str, str] = {}
        self.dnacpr: dict[str, str] = {}

    def people_can_move(self, name: str, people: Iterable[str] | None = None) -> bool:
        """A person can move between this group and another withheld one (any group can take a person; the
        registered population is not a bound, see the module's docstring)."""
        hidden = self.people if people is None else people
        g = self.groups[name]
        return any(other != name and (g.people > 0 or self.groups[other].people > 0) for other in hidden)

    def dnacpr_can_move(
        self, name: str, dnacpr: Iterable[str] | None = None, people: Iterable[str] | None = None
    ) -> bool:
        hidden_dnacpr = set(self.dnacpr if dnacpr is None else dnacpr)
        hidden_people = set(self.people if people is None else people)
        g = self.groups[name]
        gives, takes = g.dnacpr > 0, g.dnacpr < g.people
        for other in hidden_dnacpr - {name}:
            h = self.groups[other]
            if (gives and h.dnacpr < h.people) or (takes and h.dnacpr > 0):
                return True
            # a person with a recommendation moving between two groups whose people counts are withheld
            if name in hidden_people and other in hidden_people and (gives or h.dnacpr > 0):
                return True
        if self.totals.dnacpr_hidden:
            # The DNACPR total is withheld too, and with it every non-empty group's count in every
            # characteristic: the total can move by one, each characteristic moving one of its counts.
            t = self.totals
            if takes and t.dnacpr < t.people and t.dnacpr_total_could_be(t.dnacpr + 1):
                return True
            if gives and t.dnacpr_total_could_be(t.dnacpr - 1):
                return True
        return False

    def first_stuck(self) -> tuple[str, str] | None:
        for name in self.order:
            if name in self.people and not self.people_can_move(name):
                return ("people", name)
        for name in self.order:
            if name in self.dnacpr and not self.dnacpr_can_move(name):
                return ("dnacpr", name)
        return None

    def partner_for(self, level: str, name: str) -> str | None:
        """The group to withhold as well so that `name` can move: the one with the smallest count that does."""
        candidates: list[tuple[tuple[int, ...], str]] = []
        for position, other in enumerate(self.order):
            h = self.groups[other]
            if level == "people":
                if other in self.people or not self.people_can_move(name, {*self.people, other}):
                    continue
                candidates.append(((h.people == 0, h.people, h.dnacpr, position), other))
            else:
                if other in self.dnacpr or h.people == 0:
                    continue
                if not self.dnacpr_can_move(name, {*self.dnacpr, other}):
                    continue
                candidates.append(((h.dnacpr, h.people, position), other))
        return min(candidates)[1] if candidates else None


def _suppress_characteristic(groups: Sequence[GroupCounts], totals: _Totals) -> dict[str, Withheld]:
    m = totals.minimum_cell
    primary, without = primary_reason(m), primary_reason_without(m)
    p = _Protection(groups, totals)
    for g in groups:
        if 0 < g.people < m:
            p.people[g.group] = primary
            p.dnacpr[g.group] = primary
        elif g.people == 0:
            continue
        elif 0 < g.dnacpr < m:
            p.dnacpr[g.group] = primary
        elif g.people - g.dnacpr < m:
            p.dnacpr[g.group] = without
        elif totals.dnacpr_hidden:
            p.dnacpr[g.group] = SECONDARY
    if totals.dnacpr == 0:
        # Nobody has a recommendation and the total says so: every DNACPR count is a published zero.
        p.dnacpr.clear()
    while (stuck := p.first_stuck()) is not None:
        level, name = stuck
        partner = p.partner_for(level, name)
        if partner is None:
            # Unreachable while the totals are at least the minimum cell (a partner always exists then);
            # refuse rather than publish a count that could be worked out.
            raise RuntimeError(f"no group can protect a withheld {level} count")
        if level == "people":
            p.people[partner] = SECONDARY
            if totals.dnacpr > 0:
                p.dnacpr.setdefault(partner, SECONDARY)
        else:
            p.dnacpr[partner] = SECONDARY
    return {
        name: Withheld(people=p.people.get(name, ""), dnacpr=p.dnacpr.get(name, ""))
        for name in p.order
        if name in p.people or name in p.dnacpr
    }


# --- The table ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One group of one characteristic (or its total, group "total"). Counts and rates are None when withheld;
    `registered_population` is None when not available for the group, and rates are None when their
    denominator is unavailable or zero. `suppression` says why the DNACPR count and its rates are withheld,
    `people_suppression` why the people count is; `suppressed` is true when either is."""

    characteristic: str
    group: str
    dnacpr: int | None
    people_in_record: int | None
    registered_population: int | None
    rate_in_record: float | None
    """DNACPR recommendations per 1,000 people in the record in the group."""
    rate_in_population: float | None
    """DNACPR recommendations per 1,000 of the group's registered population."""
    suppressed: bool
    suppression: str
    people_suppression: str


@dataclass(frozen=True)
class CharacteristicTotal:
    characteristic: str
    total: Cell
    people_not_recorded: int | None
    """How many people have the characteristic not recorded (None when withheld; 0 for age band)."""
    nothing_recorded: bool | None
    """True when there are people in the record and the characteristic is recorded for none of them (None when
    withheld)."""
    note: str


@dataclass(frozen=True)
class EqualityTable:
    cells: tuple[Cell, ...]
    totals: tuple[CharacteristicTotal, ...]
    minimum_cell: int

    def cells_for(self, characteristic: str) -> tuple[Cell, ...]:
        return tuple(c for c in self.cells if c.characteristic == characteristic)

    def cell(self, characteristic: str, group: str) -> Cell:
        for c in self.cells:
            if c.characteristic == characteristic and c.group == group:
                return c
        raise KeyError((characteristic, group))

    def total_for(self, characteristic: str) -> CharacteristicTotal:
        for t in self.totals:
            if t.characteristic == characteristic:
                return t
        raise KeyError(characteristic)

    @property
    def nothing_recorded(self) -> tuple[str, ...]:
        """The characteristics recorded for nobody in the record."""
        return tuple(t.characteristic for t in self.totals if t.nothing_recorded)

    def published_rows(self) -> list[dict[str, str]]:
        """The table as it may be published: every withheld value is "[c]" whatever the reason, "[x]" is not
        available and "[z]" not applicable (a rate over nobody). Each characteristic ends with its total row,
        which also says whether the characteristic is recorded for nobody."""
        rows: list[dict[str, str]] = []
        for total in self.totals:
            for c in (*self.cells_for(total.characteristic), total.total):
                row = _published(c)
                if c is total.total:
                    row["nothing recorded"] = _shown_flag(total.nothing_recorded)
                    row["note"] = total.note
                rows.append(row)
        return rows


def _shown(value: float | None, withheld: bool, available: bool = True) -> str:
    if withheld:
        return WITHHELD_MARK
    if not available:
        return NOT_AVAILABLE_MARK
    if value is None:
        return NOT_APPLICABLE_MARK
    return str(value)


def _shown_flag(value: bool | None) -> str:
    return WITHHELD_MARK if value is None else (YES if value else NO)


def _published(c: Cell) -> dict[str, str]:
    dnacpr_withheld = bool(c.suppression)
    population_known = c.registered_population is not None
    return {
        "characteristic": c.characteristic,
        "group": c.group,
        "dnacpr": _shown(c.dnacpr, dnacpr_withheld),
        "people in record": _shown(c.people_in_record, bool(c.people_suppression)),
        "registered population": _shown(c.registered_population, False, population_known),
        "rate per 1,000 in record": _shown(c.rate_in_record, dnacpr_withheld or bool(c.people_suppression)),
        "rate per 1,000 population": _shown(c.rate_in_population, dnacpr_withheld, population_known),
    }


def _rate(numerator: int | None, denominator: int | None) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return round(RATE_PER * numerator / denominator, 1)


def _group_order(characteristic: str, seen: Iterable[str]) -> list[str]:
    if characteristic == AGE_BAND:
        return list(AGE_BANDS)
    if characteristic not in POPULATION_CHARACTERISTICS:
        return [YES, NO, NOT_RECORDED]
    recorded = sorted({g for g in seen if g != NOT_RECORDED}, key=lambda g: (g.casefold(), g))
    return [*recorded, NOT_RECORDED]


def _population_by_group(population: Mapping[PopulationKey, int]) -> dict[str, dict[str, int]]:
    marginal: dict[str, dict[str, int]] = {name: {} for name in POPULATION_CHARACTERISTICS}
    for (band, sex, ethnicity), count in population.items():
        if band not in AGE_BANDS:
            raise ValueError(f"unknown age band {band!r} in the population")
        if count < 0:
            raise ValueError("a population count is negative")
        for name, group in ((AGE_BAND, band), (SEX, _label(sex)), (ETHNICITY, _label(ethnicity))):
            marginal[name][group] = marginal[name].get(group, 0) + count
    return marginal


def equality_table(
    people: Iterable[PersonForMonitoring],
    population: Mapping[PopulationKey, int] | None = None,
    *,
    minimum_cell: int = MINIMUM_CELL,
) -> EqualityTable:
    """DNACPR recommendations by characteristic, against the people in the record and the registered
    population (keyed by age band, sex and ethnicity; see `read_population`), with small numbers withheld."""
    population = population or {}
    by_group = _population_by_group(population)
    population_total = sum(population.values()) if population else None
    counts: dict[str, dict[str, list[int]]] = {name: {} for name in CHARACTERISTICS}
    for person in people:
        for name, group in _groups_of(person).items():
            tally = counts[name].setdefault(group, [0, 0])
            tally[0] += 1
            tally[1] += person.has_dnacpr
    groups: dict[str, list[GroupCounts]] = {}
    for name in CHARACTERISTICS:
        seen = {*counts[name], *by_group.get(name, {})}
        groups[name] = [
            GroupCounts(group, *counts[name].get(group, [0, 0])) for group in _group_order(name, seen)
        ]
    plan = suppress(groups, minimum_cell)
    people_total = sum(g.people for g in groups[AGE_BAND])
    dnacpr_total = sum(g.dnacpr for g in groups[AGE_BAND])

    cells: list[Cell] = []
    totals: list[CharacteristicTotal] = []
    for name in CHARACTERISTICS:
        with_population = name in POPULATION_CHARACTERISTICS and bool(population)
        for g in groups[name]:
            withheld = plan.cells[(name, g.group)]
            registered = by_group[name].get(g.group) if with_population else None
            cells.append(_cell(name, g, withheld, registered))
        total = _cell(
            name,
            GroupCounts(TOTAL, people_total, dnacpr_total),
            Withheld(people=plan.people_total, dnacpr=plan.dnacpr_total),
            population_total if with_population else None,
        )
        totals.append(_characteristic_total(name, total, cells[-len(groups[name]) :], minimum_cell))
    return EqualityTable(cells=tuple(cells), totals=tuple(totals), minimum_cell=minimum_cell)


def _cell(name: str, g: GroupCounts, withheld: Withheld, registered: int | None) -> Cell:
    dnacpr = None if withheld.dnacpr else g.dnacpr
    people = None if withheld.people else g.people
    return Cell(
        characteristic=name,
        group=g.group,
        dnacpr=dnacpr,
        people_in_record=people,
        registered_population=registered,
        rate_in_record=_rate(dnacpr, people),
        rate_in_population=_rate(dnacpr, registered),
        suppressed=withheld.any,
        suppression=withheld.dnacpr,
        people_suppression=withheld.people,
    )


def _characteristic_total(
    name: str, total: Cell, cells: Sequence[Cell], minimum_cell: int
) -> CharacteristicTotal:
    if total.people_in_record is None:
        note = f"Fewer than {minimum_cell} people in the record: only the registered population is published."
        return CharacteristicTotal(name, total, None, None, note)
    if total.people_in_record == 0:
        return CharacteristicTotal(name, total, 0, False, "No people in the record.")
    if name == AGE_BAND:
        return CharacteristicTotal(name, total, 0, False, "Recorded for everyone (from the date of birth).")
    not_recorded = next(c for c in cells if c.group == NOT_RECORDED).people_in_record
    if not_recorded is None:
        note = "The number of people with it not recorded is withheld."
        return CharacteristicTotal(name, total, None, False, note)
    if not_recorded == total.people_in_record:
        note = f"Not recorded for anyone in the record: no comparison by {name} is possible."
        return CharacteristicTotal(name, total, not_recorded, True, note)
    if not_recorded == 0:
        return CharacteristicTotal(name, total, 0, False, "Recorded for everyone.")
    note = f"Not recorded for {not_recorded} of {total.people_in_record} people."
    return CharacteristicTotal(name, total, not_recorded, False, note)
