"""An attacker who tries to work out withheld counts from a published equality table.

It reads only what `EqualityTable.published_rows` publishes (visible counts, rates, totals, the "nothing
recorded" flag and "[c]" marks, never the reasons) and knows the rules: a withheld overall total of people is
1 to (minimum cell - 1); a withheld DNACPR total is 1 to (minimum cell - 1), or within (minimum cell - 1) of the
people total, or anything up to the people total when that is withheld too. It knows that every characteristic
counts the same people (so the same totals), that 0 <= DNACPR <= people in every group, and that a visible rate
was computed from the group's counts.

For every candidate pair of totals it solves each characteristic exactly: a dynamic programme over groups of
which (people, DNACPR) sums are reachable, so a value is feasible when the other groups can make up the rest.
That is exact integer reasoning, stronger than subtraction (one unknown left in a characteristic) and than
linear-programming bounds. Characteristics share nothing but the totals (any set of margins with the same
totals can be realised by one set of people), so a pair of totals is feasible when every characteristic is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from carerecord_projections.oversight.rules.equality import WITHHELD_MARK
from carerecord_projections.oversight.rules.equality_groups import TOTAL

PEOPLE = "people in record"
DNACPR = "dnacpr"


@dataclass(frozen=True)
class Unknown:
    characteristic: str
    group: str
    count: str  # PEOPLE or DNACPR


Interval = tuple[int, int]
Domain = dict[int, list[Interval]]  # people -> the DNACPR values possible with it


def _number(text: str) -> int | None:
    return None if text == WITHHELD_MARK else int(text)


def _is_number(text: str) -> bool:
    return text not in (WITHHELD_MARK, "[z]", "[x]")


def _rate_matches(rate: str, numerator: int, denominator: int) -> bool:
    return denominator > 0 and round(1000 * numerator / denominator, 1) == float(rate)


def _domain(row: dict[str, str], people_total: int, flag: str | None) -> Domain:
    people = _number(row[PEOPLE])
    dnacpr = _number(row[DNACPR])
    choices = [people] if people is not None else list(range(people_total + 1))
    if flag == "yes":
        choices = [n for n in choices if n == people_total]
    elif flag == "no":
        choices = [n for n in choices if n < people_total]
    in_record = row["with DNACPR per 1,000 people in record"]
    in_population = row["with DNACPR per 1,000 registered population"]
    population = row["registered population"]
    domain: Domain = {}
    for n in choices:
        if in_record == "[z]" and n != 0:
            continue
        ds = [dnacpr] if dnacpr is not None else list(range(n + 1))
        ds = [d for d in ds if 0 <= d <= n]
        if _is_number(in_record):
            ds = [d for d in ds if _rate_matches(in_record, d, n)]
        if _is_number(in_population):
            ds = [d for d in ds if _rate_matches(in_population, d, int(population))]
        if not ds:
            continue
        if dnacpr is None and not _is_number(in_record) and not _is_number(in_population):
            domain[n] = [(0, n)]
        else:
            domain[n] = [(d, d) for d in ds]
    return domain


def _reach(domains: Iterable[Domain], people: int, dnacpr: int) -> list[int]:
    """reach[n] is a bit mask of the DNACPR sums reachable with n people over the given groups."""
    limit = (1 << (dnacpr + 1)) - 1
    reach = [1] + [0] * people
    for domain in domains:
        following = [0] * (people + 1)
        for so_far, mask in enumerate(reach):
            if not mask:
                continue
            spread = [mask]  # spread[k]: mask shifted by 0..k, OR-ed together
            for shift in range(1, people + 1):
                spread.append(spread[-1] | (mask << shift))
            for n, intervals in domain.items():
                if so_far + n > people:
                    continue
                for low, high in intervals:
                    following[so_far + n] |= (spread[high - low] << low) & limit
        reach = following
    return reach


def _solve_characteristic(
    name: str, rows: Sequence[dict[str, str]], flag: str | None, people: int, dnacpr: int
) -> dict[Unknown, set[int]] | None:
    """Feasible values of each withheld count of one characteristic given the totals; None if infeasible."""
    domains = [_domain(row, people, flag if row["group"] == "not recorded" else None) for row in rows]
    if not _reach(domains, people, dnacpr)[people] >> dnacpr & 1:
        return None
    found: dict[Unknown, set[int]] = {}
    for i, row in enumerate(rows):
        withheld_people = row[PEOPLE] == WITHHELD_MARK
        withheld_dnacpr = row[DNACPR] == WITHHELD_MARK
        if not (withheld_people or withheld_dnacpr):
            continue
        others = _reach(domains[:i] + domains[i + 1 :], people, dnacpr)
        for n, intervals in domains[i].items():
            for low, high in intervals:
                for d in range(low, high + 1):
                    if dnacpr - d >= 0 and others[people - n] >> (dnacpr - d) & 1:
                        if withheld_people:
                            found.setdefault(Unknown(name, row["group"], PEOPLE), set()).add(n)
                        if withheld_dnacpr:
                            found.setdefault(Unknown(name, row["group"], DNACPR), set()).add(d)
    return found


def attack(rows: Sequence[dict[str, str]], minimum_cell: int) -> dict[Unknown, set[int]]:
    """Every value each withheld count (and withheld total, under group "total") could have."""
    by_characteristic: dict[str, list[dict[str, str]]] = {}
    totals: dict[str, dict[str, str]] = {}
    for row in rows:
        if row["group"] == TOTAL:
            totals[row["characteristic"]] = row
        else:
            by_characteristic.setdefault(row["characteristic"], []).append(row)
    any_total = next(iter(totals.values()))
    people_seen, dnacpr_seen = _number(any_total[PEOPLE]), _number(any_total[DNACPR])
    people_choices = [people_seen] if people_seen is not None else list(range(1, minimum_cell))
    found: dict[Unknown, set[int]] = {}
    for people in people_choices:
        if dnacpr_seen is not None:
            dnacpr_choices = [dnacpr_seen]
        elif people_seen is None:
            dnacpr_choices = list(range(people + 1))
        else:
            dnacpr_choices = [
                d for d in range(people + 1) if 1 <= d < minimum_cell or people - minimum_cell < d <= people
            ]
        for dnacpr in dnacpr_choices:
            solved: dict[Unknown, set[int]] = {}
            for name, group_rows in by_characteristic.items():
                flag = totals[name].get("nothing recorded")
                values = _solve_characteristic(name, group_rows, flag, people, dnacpr)
                if values is None:
                    break
                solved.update(values)
            else:
                for unknown, values in solved.items():
                    found.setdefault(unknown, set()).update(values)
                if people_seen is None:
                    found.setdefault(Unknown("all", TOTAL, PEOPLE), set()).add(people)
                if dnacpr_seen is None:
                    found.setdefault(Unknown("all", TOTAL, DNACPR), set()).add(dnacpr)
    return found
