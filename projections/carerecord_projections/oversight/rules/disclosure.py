"""Disclosure control for the equality table: which counts to withhold so that no small number is published
and none can be worked out from what is. The rules are stated in equality.py's docstring."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

MINIMUM_CELL = 5
SECONDARY = "secondary (protects another cell)"


def primary_reason(minimum_cell: int = MINIMUM_CELL) -> str:
    return f"primary (fewer than {minimum_cell})"


def primary_reason_without(minimum_cell: int = MINIMUM_CELL) -> str:
    return f"primary (fewer than {minimum_cell} without a DNACPR recommendation)"


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
