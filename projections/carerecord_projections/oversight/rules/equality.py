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

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from carerecord_projections.oversight.rules.disclosure import (
    MINIMUM_CELL,
    GroupCounts,
    Withheld,
    suppress,
)
from carerecord_projections.oversight.rules.equality_groups import (
    AGE_BAND,
    AGE_BANDS,
    CHARACTERISTICS,
    ETHNICITY,
    NO,
    NOT_RECORDED,
    POPULATION_CHARACTERISTICS,
    SEX,
    TOTAL,
    YES,
    PersonForMonitoring,
    PopulationKey,
    group_label,
    groups_of,
)

RATE_PER = 1000

# Markers in published rows, after the Office for National Statistics' conventions.
WITHHELD_MARK = "[c]"
NOT_AVAILABLE_MARK = "[x]"
NOT_APPLICABLE_MARK = "[z]"


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
        "with DNACPR per 1,000 people in record": _shown(
            c.rate_in_record, dnacpr_withheld or bool(c.people_suppression)
        ),
        "with DNACPR per 1,000 registered population": _shown(
            c.rate_in_population, dnacpr_withheld, population_known
        ),
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
        for name, group in ((AGE_BAND, band), (SEX, group_label(sex)), (ETHNICITY, group_label(ethnicity))):
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
    groups = _group_counts(people, by_group)
    plan = suppress(groups, minimum_cell)
    overall = GroupCounts(
        TOTAL, sum(g.people for g in groups[AGE_BAND]), sum(g.dnacpr for g in groups[AGE_BAND])
    )
    population_total = sum(population.values()) if population else None
    cells: list[Cell] = []
    totals: list[CharacteristicTotal] = []
    for name in CHARACTERISTICS:
        with_population = name in POPULATION_CHARACTERISTICS and bool(population)
        registered = by_group[name] if with_population else {}
        cells.extend(
            _cell(name, g, plan.cells[(name, g.group)], registered.get(g.group)) for g in groups[name]
        )
        withheld = Withheld(people=plan.people_total, dnacpr=plan.dnacpr_total)
        total = _cell(name, overall, withheld, population_total if with_population else None)
        totals.append(_characteristic_total(name, total, cells[-len(groups[name]) :], minimum_cell))
    return EqualityTable(cells=tuple(cells), totals=tuple(totals), minimum_cell=minimum_cell)


def _group_counts(
    people: Iterable[PersonForMonitoring], by_group: Mapping[str, Mapping[str, int]]
) -> dict[str, list[GroupCounts]]:
    """Per characteristic, every group (those seen in the record or the population, in their order) with its
    people and DNACPR recommendations."""
    counts: dict[str, dict[str, list[int]]] = {name: {} for name in CHARACTERISTICS}
    for person in people:
        for name, group in groups_of(person).items():
            tally = counts[name].setdefault(group, [0, 0])
            tally[0] += 1
            tally[1] += person.has_dnacpr
    groups: dict[str, list[GroupCounts]] = {}
    for name in CHARACTERISTICS:
        seen = {*counts[name], *by_group.get(name, {})}
        groups[name] = [
            GroupCounts(group, *counts[name].get(group, [0, 0])) for group in _group_order(name, seen)
        ]
    return groups


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
