"""Organisations compared with the region: exact binomial control limits, positions in words, small numbers
withheld (rules/comparison.py)."""

from __future__ import annotations

import pytest

from carerecord_projections.oversight.rules.comparison import (
    OrganisationCount,
    binomial_limits,
    compare,
    share_shown,
    shown,
)


def test_exact_binomial_limits_are_the_binomial_quantiles() -> None:
    # R: qbinom(c(0.025, 0.975), 100, 0.5) = 40, 60; qbinom(c(0.001, 0.999), 100, 0.5) = 35, 65
    assert binomial_limits(100, 0.5, 0.95) == (0.40, 0.60)
    assert binomial_limits(100, 0.5, 0.998) == (0.35, 0.65)
    # R: qbinom(c(0.025, 0.975), 20, 0.1) = 0, 5
    assert binomial_limits(20, 0.1, 0.95) == (0.0, 0.25)
    with pytest.raises(ValueError):
        binomial_limits(0, 0.5, 0.95)


def test_limits_narrow_as_organisations_grow() -> None:
    small, large = binomial_limits(10, 0.6, 0.998), binomial_limits(1000, 0.6, 0.998)
    assert small[0] < large[0] < 0.6 < large[1] < small[1]


def test_each_organisation_is_placed_against_the_region_and_small_ones_are_withheld() -> None:
    counts = [
        OrganisationCount("A1", "Alder Practice", 60, 100),
        OrganisationCount("B1", "Birch Practice", 95, 100),  # far above a region near 60%
        OrganisationCount("C1", "Cedar Home", 30, 100),  # far below
        OrganisationCount("D1", "Tiny Home", 1, 3),  # 1 to 4 decisions: withheld
        *[OrganisationCount(f"E{n}", f"Elm {n}", 60, 100) for n in range(6)],
    ]
    comparison = compare("person-involved", "The person was involved", counts)
    assert comparison.regional_decisions == 903 and comparison.regional_events == 546  # the withheld included
    by_code = {o.organisation: o for o in comparison.organisations}
    assert by_code["B1"].position == "above the 99.8% limit"
    assert by_code["C1"].position == "below the 99.8% limit"
    assert by_code["A1"].position == "within the 95% limits"
    tiny = by_code["D1"]
    assert (tiny.rate, tiny.decisions, tiny.events) == (None, None, None) and tiny.position.startswith(
        "withheld"
    )
    assert (
        comparison.organisations[0].organisation == "B1" and comparison.organisations[-1].organisation == "D1"
    )
    assert [o.organisation for o in comparison.outside_998] == ["B1", "C1"]


def test_counts_from_one_to_four_are_withheld_as_in_the_equality_table() -> None:
    assert [shown(n) for n in (0, 1, 4, 5)] == ["0", "[c]", "[c]", "5"]
    assert share_shown(3, 100) == "[c]" and share_shown(50, 100) == "50%" and share_shown(0, 0) == ""
