"""Organisations compared as NHS quality dashboards compare providers, and the region month by month.

Comparison (a funnel plot): for one measure (say, decisions made with the person involved), each organisation's
rate is set against the region's, with exact binomial control limits at 95% and 99.8% for an organisation of that
size: the range of rates an organisation with that many decisions would show by chance alone if its true rate
were the region's. A rate beyond the 99.8% limit is very unlikely to be chance (about 1 in 500); beyond 95%,
worth a look. Small organisations have wide limits, so a rate that looks extreme on few decisions is not flagged.
An organisation with 1 to 4 decisions in the period has its numbers withheld ([c]), as the equality table's
small numbers are, and is not placed on the plot.

Trend: the region's figures month by month (calendar months in Europe/London), with the same withholding of any
month's count from 1 to 4, because a month's count can point at a handful of people.

Pure arithmetic: no database, no SQL (queries/comparison.py gathers the counts).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

MINIMUM_SHOWN = 5
"""Counts from 1 to MINIMUM_SHOWN - 1 are withheld, as in the equality table."""
WITHHELD = "[c]"
LEVELS = (0.95, 0.998)


@dataclass(frozen=True)
class OrganisationCount:
    organisation: str
    name: str
    events: int  # decisions meeting the measure
    decisions: int  # decisions made


@dataclass(frozen=True)
class ComparedOrganisation:
    organisation: str
    name: str
    decisions: int | None  # None: withheld (1 to 4)
    events: int | None
    rate: float | None
    limits_95: tuple[float, float] | None
    limits_998: tuple[float, float] | None
    position: str  # in words: "within the 95% limits", "above the 99.8% limit", ..., or "withheld"

    @property
    def shown(self) -> bool:
        return self.rate is not None


@dataclass(frozen=True)
class Comparison:
    key: str
    title: str  # what the rate is a rate of, in words
    regional_rate: float | None
    regional_events: int
    regional_decisions: int
    organisations: tuple[ComparedOrganisation, ...]  # highest rate first; withheld last

    @property
    def outside_998(self) -> tuple[ComparedOrganisation, ...]:
        return tuple(o for o in self.organisations if o.position.endswith("99.8% limit"))


def binomial_limits(decisions: int, rate: float, level: float) -> tuple[float, float]:
    """The exact binomial control limits, as proportions, for `decisions` trials at the true rate `rate`: the
    lowest and highest counts k for which P(X <= k) >= (1 - level) / 2 and P(X >= k) >= (1 - level) / 2 first
    hold, divided by the number of decisions."""
    if decisions <= 0:
        raise ValueError("control limits need at least one decision")
    tail = (1.0 - level) / 2.0
    pmf = _pmf(decisions, rate)
    below, low = 0.0, 0
    for k, probability in enumerate(pmf):
        below += probability
        if below >= tail - 1e-12:
            low = k
            break
    above, high = 0.0, decisions
    for k in range(decisions, -1, -1):
        above += pmf[k]
        if above >= tail - 1e-12:
            high = k
            break
    return low / decisions, high / decisions


def _pmf(n: int, p: float) -> list[float]:
    if p <= 0.0:
        return [1.0] + [0.0] * n
    if p >= 1.0:
        return [0.0] * n + [1.0]
    log_p, log_q = math.log(p), math.log1p(-p)
    log_n = math.lgamma(n + 1)
    return [
        math.exp(log_n - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * log_p + (n - k) * log_q)
        for k in range(n + 1)
    ]


def compare(key: str, title: str, counts: list[OrganisationCount]) -> Comparison:
    """Each organisation's rate against the region's (all the organisations' decisions together)."""
    events = sum(count.events for count in counts)
    decisions = sum(count.decisions for count in counts)
    regional = events / decisions if decisions else None
    compared = [_compared(count, regional) for count in counts if count.decisions > 0]
    compared.sort(key=lambda o: (not o.shown, -(o.rate or 0.0), o.organisation))
    return Comparison(key, title, regional, events, decisions, tuple(compared))


def _compared(count: OrganisationCount, regional: float | None) -> ComparedOrganisation:
    if count.decisions < MINIMUM_SHOWN or regional is None:
        return ComparedOrganisation(
            count.organisation, count.name, None, None, None, None, None, "withheld (fewer than 5 decisions)"
        )
    rate = count.events / count.decisions
    limits_95 = binomial_limits(count.decisions, regional, LEVELS[0])
    limits_998 = binomial_limits(count.decisions, regional, LEVELS[1])
    return ComparedOrganisation(
        count.organisation,
        count.name,
        count.decisions,
        count.events,
        rate,
        limits_95,
        limits_998,
        _position(rate, limits_95, limits_998),
    )


def _position(rate: float, limits_95: tuple[float, float], limits_998: tuple[float, float]) -> str:
    if rate > limits_998[1]:
        return "above the 99.8% limit"
    if rate < limits_998[0]:
        return "below the 99.8% limit"
    if rate > limits_95[1]:
        return "above the 95% limit"
    if rate < limits_95[0]:
        return "below the 95% limit"
    return "within the 95% limits"


@dataclass(frozen=True)
class Month:
    month: date  # the first day of the month
    decisions: int
    person_involved: int
    endorsement_median_hours: float | None

    @property
    def label(self) -> str:
        return f"{self.month:%b %Y}"


def shown(count: int | None) -> str:
    """A count as it may be shown: withheld from 1 to 4."""
    if count is None:
        return WITHHELD
    return WITHHELD if 0 < count < MINIMUM_SHOWN else str(count)


def share_shown(part: int, whole: int) -> str:
    """A share in per cent, withheld when either count would be."""
    if 0 < part < MINIMUM_SHOWN or 0 < whole < MINIMUM_SHOWN:
        return WITHHELD
    return "" if whole == 0 else f"{100 * part / whole:.0f}%"
