"""Equality monitoring of DNACPR recommendations: counts, rates, "not recorded", and disclosure control that an
attacker with the published table cannot undo."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carerecord_events.people import EqualityMonitoring
from carerecord_projections.oversight.rules.disclosure import (
    SECONDARY,
    GroupCounts,
    Withheld,
    primary_reason,
    primary_reason_without,
    suppress,
)
from carerecord_projections.oversight.rules.equality import equality_table
from carerecord_projections.oversight.rules.equality_groups import (
    AGE_BAND,
    AGE_BANDS,
    AUTISM,
    CHARACTERISTICS,
    DEMENTIA,
    DISABILITY,
    ETHNICITY,
    LEARNING_DISABILITY,
    NOT_RECORDED,
    SEX,
    TOTAL,
    PersonForMonitoring,
    age_band,
    read_population,
)
from tests.unit.equality_attacker import DNACPR, PEOPLE, Unknown, attack

PRIMARY = primary_reason(5)
WITHOUT = primary_reason_without(5)


def people(count: int, with_dnacpr: int, **characteristics: Any) -> list[PersonForMonitoring]:
    one = PersonForMonitoring(has_dnacpr=False, **characteristics)
    return [dataclasses.replace(one, has_dnacpr=i < with_dnacpr) for i in range(count)]


# Four groups of people, each sharing every characteristic; see the expectations worked out below.
A = people(
    20, 16, age_band="85+", sex="female", ethnicity="White British", disability=True, learning_disability=False,
    dementia=True,
)  # fmt: skip
B = people(
    12, 3, age_band="75-84", sex="male", ethnicity="White British", disability=False, learning_disability=False,
    dementia=False,
)  # fmt: skip
C = people(
    3, 2, age_band="40-64", sex="male", ethnicity="Indian", disability=True, learning_disability=True,
)  # fmt: skip
D = people(10, 0, age_band="65-74", sex="female", learning_disability=False, dementia=False)
RECORD = A + B + C + D  # 45 people, 21 with a DNACPR recommendation
POPULATION = {
    ("85+", "female", "White British"): 400,
    ("75-84", "male", "White British"): 900,
    ("40-64", "male", "Indian"): 600,
    ("65-74", "female", ""): 1100,
    ("18-39", "female", "White British"): 3000,
}


def true_counts(record: list[PersonForMonitoring]) -> dict[tuple[str, str], tuple[int, int]]:
    """(people, DNACPR) per (characteristic, group), counted independently of the module."""
    counts: Counter[tuple[str, str, str]] = Counter()

    def label(value: object) -> str:
        if value is None or value == "":
            return NOT_RECORDED
        if isinstance(value, bool):
            return "yes" if value else "no"
        return str(value)

    for p in record:
        values = {
            AGE_BAND: p.age_band,
            SEX: p.sex,
            ETHNICITY: p.ethnicity,
            DISABILITY: p.disability,
            LEARNING_DISABILITY: p.learning_disability,
            AUTISM: p.autism,
            DEMENTIA: p.dementia,
        }
        for characteristic, value in values.items():
            counts[(characteristic, label(value), PEOPLE)] += 1
            counts[(characteristic, label(value), DNACPR)] += p.has_dnacpr
    return {
        (c, g): (counts[(c, g, PEOPLE)], counts[(c, g, DNACPR)]) for (c, g, kind) in counts if kind == PEOPLE
    }


# --- Age bands, people and the population file ------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "band"),
    [
        (date(2008, 3, 2), "under 18"),
        (date(2008, 3, 1), "18-39"),
        (date(1986, 3, 2), "18-39"),
        (date(1986, 3, 1), "40-64"),
        (date(1961, 3, 1), "65-74"),
        (date(1951, 3, 2), "65-74"),
        (date(1951, 3, 1), "75-84"),
        (date(1941, 3, 1), "85+"),
        (date(2026, 3, 1), "under 18"),
    ],
)
def test_age_band_is_from_completed_years_on_the_reference_date(born: date, band: str) -> None:
    assert age_band(born, on=date(2026, 3, 1)) == band


def test_someone_born_on_29_february_is_a_year_older_on_1_march() -> None:
    assert age_band(date(2008, 2, 29), on=date(2026, 2, 28)) == "under 18"
    assert age_band(date(2008, 2, 29), on=date(2026, 3, 1)) == "18-39"


def test_a_date_of_birth_after_the_reference_date_is_refused() -> None:
    with pytest.raises(ValueError, match="after the reference date"):
        age_band(date(2026, 3, 2), on=date(2026, 3, 1))


def test_a_person_is_taken_from_their_registration_keeping_not_recorded_apart_from_no() -> None:
    equality = EqualityMonitoring(ethnicity="Indian", sex="female", disability=False, dementia=True)
    person = PersonForMonitoring.from_registration(
        equality, date_of_birth=date(1940, 6, 1), on=date(2026, 3, 1), has_dnacpr=True
    )
    assert person == PersonForMonitoring(
        age_band="85+", has_dnacpr=True, sex="female", ethnicity="Indian", disability=False, dementia=True
    )
    assert person.learning_disability is None and person.autism is None


def test_an_unknown_age_band_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown age band"):
        PersonForMonitoring(age_band="90+", has_dnacpr=False)


def test_the_population_file_is_read_for_one_area_adding_repeated_rows() -> None:
    text = [
        "area,age_band,sex,ethnicity,count\n",
        "North,85+,female,White British,300\n",
        "North,85+,female,White British,100\n",
        "North,65-74,female,,1100\n",
        "South,85+,female,White British,999\n",
    ]
    assert read_population(text, area="North") == {
        ("85+", "female", "White British"): 400,
        ("65-74", "female", NOT_RECORDED): 1100,
    }


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("85 and over,female,White British,1\n", "line 2: unknown age band"),
        ("85+,female,White British,lots\n", "line 2: the count is not a whole number"),
        ("85+,female,White British,-1\n", "line 2: the count is negative"),
    ],
)
def test_a_wrong_population_row_is_refused_with_its_line(line: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        read_population(["age_band,sex,ethnicity,count\n", line])


def test_a_population_file_without_a_count_column_is_refused() -> None:
    with pytest.raises(ValueError, match="no column count"):
        read_population(["age_band,sex,ethnicity\n"])


# --- The worked example -------------------------------------------------------------------------------------


def test_counts_and_rates_of_a_characteristic_with_nothing_small_are_all_published() -> None:
    table = equality_table(RECORD, POPULATION)
    female, male, not_recorded = table.cells_for(SEX)
    assert (female.group, female.people_in_record, female.dnacpr) == ("female", 30, 16)
    assert (male.group, male.people_in_record, male.dnacpr) == ("male", 15, 5)
    assert (not_recorded.group, not_recorded.people_in_record, not_recorded.dnacpr) == (NOT_RECORDED, 0, 0)
    assert female.rate_in_record == 533.3  # 16 / 30 per 1,000
    assert male.rate_in_record == 333.3
    assert female.registered_population == 400 + 1100 + 3000
    assert female.rate_in_population == 3.6  # 16 / 4,500 per 1,000
    assert male.rate_in_population == 3.3  # 5 / 1,500
    assert not_recorded.registered_population is None  # the population has no row without a sex
    assert not_recorded.rate_in_record is None  # a rate over nobody
    assert not any(c.suppressed for c in table.cells_for(SEX))
    total = table.total_for(SEX)
    assert (total.total.people_in_record, total.total.dnacpr) == (45, 21)
    assert total.total.rate_in_record == 466.7 and total.total.rate_in_population == 3.5  # 21 / 6,000
    assert (total.people_not_recorded, total.nothing_recorded, total.note) == (
        0,
        False,
        "Recorded for everyone.",
    )


def test_age_bands_withhold_small_counts_and_the_next_smallest_group_so_subtraction_recovers_nothing() -> (
    None
):
    table = equality_table(RECORD, POPULATION)
    cells = {c.group: c for c in table.cells_for(AGE_BAND)}
    assert list(cells) == list(AGE_BANDS)
    # 40-64: 3 people, 2 with a recommendation: both counts withheld as too small.
    assert (cells["40-64"].people_suppression, cells["40-64"].suppression) == (PRIMARY, PRIMARY)
    # 65-74 (10 people, the smallest other non-empty band) hides 40-64's people count from subtraction.
    assert (cells["65-74"].people_suppression, cells["65-74"].suppression) == (SECONDARY, SECONDARY)
    assert cells["65-74"].people_in_record is None and cells["65-74"].dnacpr is None
    # 75-84: 3 of 12 have a recommendation; 85+: 16 of 20, so only 4 have none.
    assert (cells["75-84"].people_in_record, cells["75-84"].dnacpr, cells["75-84"].suppression) == (
        12,
        None,
        PRIMARY,
    )
    assert (cells["85+"].people_in_record, cells["85+"].dnacpr, cells["85+"].suppression) == (
        20,
        None,
        WITHOUT,
    )
    assert cells["85+"].rate_in_record is None and cells["85+"].rate_in_population is None
    assert cells["85+"].registered_population == 400
    # Empty bands are published zeros; "under 18" is not in the population file at all.
    assert (cells["18-39"].people_in_record, cells["18-39"].dnacpr, cells["18-39"].suppressed) == (
        0,
        0,
        False,
    )
    assert cells["18-39"].rate_in_population == 0.0 and cells["18-39"].registered_population == 3000
    assert cells["under 18"].registered_population is None and cells["under 18"].rate_in_population is None


def test_a_yes_no_characteristic_withholds_the_zero_beside_a_small_count() -> None:
    table = equality_table(RECORD, POPULATION)
    yes, no, not_recorded = table.cells_for(DISABILITY)
    # yes: 23 people, 18 with and exactly 5 without a recommendation: published (the threshold is fewer than 5).
    assert (yes.people_in_record, yes.dnacpr, yes.suppressed) == (23, 18, False)
    assert yes.registered_population is None and yes.rate_in_population is None  # no population by disability
    # no: 3 of 12; not recorded: 0 of 10 — the smallest DNACPR count — withheld so that 21 - 18 - x tells nothing.
    assert (no.people_in_record, no.dnacpr, no.suppression) == (12, None, PRIMARY)
    assert (not_recorded.people_in_record, not_recorded.dnacpr, not_recorded.suppression) == (
        10,
        None,
        SECONDARY,
    )
    total = table.total_for(DISABILITY)
    assert (total.people_not_recorded, total.nothing_recorded) == (10, False)
    assert total.note == "Not recorded for 10 of 45 people."


def test_a_withheld_not_recorded_group_is_reported_as_withheld() -> None:
    table = equality_table(RECORD, POPULATION)
    indian, white_british, not_recorded = table.cells_for(ETHNICITY)
    assert (indian.group, indian.people_suppression) == ("Indian", PRIMARY)
    assert (white_british.people_in_record, white_british.dnacpr, white_british.suppressed) == (32, 19, False)
    assert white_british.registered_population == 400 + 900 + 3000
    assert white_british.rate_in_population == 4.4  # 19 / 4,300 per 1,000
    assert (not_recorded.people_suppression, not_recorded.suppression) == (SECONDARY, SECONDARY)
    assert not_recorded.registered_population == 1100  # the population's blank ethnicity
    total = table.total_for(ETHNICITY)
    assert (total.people_not_recorded, total.nothing_recorded) == (None, False)
    assert total.note == "The number of people with it not recorded is withheld."


def test_a_characteristic_recorded_for_nobody_says_so() -> None:
    table = equality_table(RECORD, POPULATION)
    assert table.nothing_recorded == (AUTISM,)
    total = table.total_for(AUTISM)
    assert (total.people_not_recorded, total.nothing_recorded) == (45, True)
    assert total.note == "Not recorded for anyone in the record: no comparison by autism is possible."
    yes, no, not_recorded = table.cells_for(AUTISM)
    assert (yes.people_in_record, no.people_in_record, not_recorded.people_in_record) == (0, 0, 45)


def test_every_reason_for_dementia() -> None:
    table = equality_table(RECORD, POPULATION)
    yes, no, not_recorded = table.cells_for(DEMENTIA)
    assert (not_recorded.people_suppression, not_recorded.suppression) == (PRIMARY, PRIMARY)  # 3 people
    assert (yes.people_suppression, yes.suppression) == (SECONDARY, WITHOUT)  # 16 of 20; protects 3 people
    assert (no.people_in_record, no.suppression) == (22, PRIMARY)  # 3 of 22


def test_the_published_rows_mark_every_withheld_value_the_same_and_give_no_reasons() -> None:
    rows = equality_table(RECORD, POPULATION).published_rows()
    shown = {(r["characteristic"], r["group"]): r for r in rows}
    assert shown[(AGE_BAND, "85+")] == {
        "characteristic": AGE_BAND,
        "group": "85+",
        "dnacpr": "[c]",
        "people in record": "20",
        "registered population": "400",
        "with DNACPR per 1,000 people in record": "[c]",
        "with DNACPR per 1,000 registered population": "[c]",
    }
    assert shown[(AGE_BAND, "under 18")]["registered population"] == "[x]"
    assert shown[(AGE_BAND, "18-39")]["with DNACPR per 1,000 people in record"] == "[z]"
    assert shown[(AUTISM, TOTAL)]["nothing recorded"] == "yes"
    assert shown[(DISABILITY, TOTAL)]["registered population"] == "[x]"
    text = repr(rows)
    assert "primary" not in text and "secondary" not in text
    assert len(rows) == sum(len(equality_table(RECORD, POPULATION).cells_for(c)) + 1 for c in CHARACTERISTICS)


def test_every_published_count_is_the_true_count() -> None:
    table = equality_table(RECORD, POPULATION)
    truth = true_counts(RECORD)
    for cell in table.cells:
        people_count, dnacpr = truth.get((cell.characteristic, cell.group), (0, 0))
        assert cell.people_in_record in (None, people_count)
        assert cell.dnacpr in (None, dnacpr)


# --- The attacker -------------------------------------------------------------------------------------------


def test_the_attacker_cannot_pin_down_any_withheld_count_of_the_worked_example() -> None:
    table = equality_table(RECORD, POPULATION)
    found = attack(table.published_rows(), minimum_cell=5)
    withheld = {
        Unknown(c.characteristic, c.group, kind)
        for c in table.cells
        for kind, reason in ((PEOPLE, c.people_suppression), (DNACPR, c.suppression))
        if reason
    }
    assert set(found) == withheld and len(withheld) == 21
    truth = true_counts(RECORD)
    for unknown, values in found.items():
        assert truth[(unknown.characteristic, unknown.group)][unknown.count == DNACPR] in values
        assert len(values) > 1, unknown
    # For instance 85+ (16 with a recommendation) could have anything from 0 to 20.
    assert found[Unknown(AGE_BAND, "85+", DNACPR)] == set(range(21))


def test_the_attacker_recovers_counts_when_only_primary_suppression_is_applied() -> None:
    """A control: without secondary suppression the same attacker pins the small counts down exactly."""
    table = equality_table(RECORD, POPULATION)
    truth = true_counts(RECORD)
    rows = table.published_rows()
    for row, cell in zip(
        (r for r in rows if r["group"] != TOTAL), table.cells, strict=True
    ):  # every cell row, in the same order
        people_count, dnacpr = truth.get((cell.characteristic, cell.group), (0, 0))
        if cell.people_suppression == SECONDARY:
            row["people in record"] = str(people_count)
        if cell.suppression == SECONDARY:
            row["dnacpr"] = str(dnacpr)
    found = attack(rows, minimum_cell=5)
    assert found[Unknown(AGE_BAND, "40-64", PEOPLE)] == {3}
    assert found[Unknown(ETHNICITY, "Indian", PEOPLE)] == {3}
    assert found[Unknown(DISABILITY, "no", DNACPR)] == {3}


def test_the_attacker_pins_a_count_left_alone_in_its_characteristic() -> None:
    """A control on the attacker itself: one withheld count among published ones is found by subtraction."""
    rows = equality_table(RECORD, POPULATION).published_rows()
    for row in rows:
        if (row["characteristic"], row["group"]) == (SEX, "male"):
            row["dnacpr"] = "[c]"
    assert attack(rows, minimum_cell=5)[Unknown(SEX, "male", DNACPR)] == {5}


ETHNICITIES = ("White British", "Indian", "Black Caribbean", "Pakistani", "Irish Traveller", "Chinese", None)
person_strategy = st.builds(
    PersonForMonitoring,
    age_band=st.sampled_from(AGE_BANDS),
    has_dnacpr=st.booleans(),
    sex=st.sampled_from(("female", "male", None)),
    ethnicity=st.sampled_from(ETHNICITIES),
    disability=st.sampled_from((True, False, None)),
    learning_disability=st.sampled_from((True, False, None)),
    autism=st.sampled_from((True, False, None)),
    dementia=st.sampled_from((True, False, None)),
)


@st.composite
def records(draw: st.DrawFn) -> list[PersonForMonitoring]:
    # Mostly enough people for the totals to be published, sometimes fewer than the minimum cell.
    record = draw(
        st.one_of(st.lists(person_strategy, min_size=12, max_size=40), st.lists(person_strategy, max_size=8))
    )
    # Steer towards the edges: nobody, everybody, or only a few with a recommendation.
    how = draw(st.sampled_from(("as drawn", "as drawn", "nobody", "everybody", "few", "all but a few")))
    if how == "as drawn":
        return record
    few = draw(st.integers(1, 4))
    with_dnacpr = {"nobody": 0, "everybody": len(record), "few": few, "all but a few": len(record) - few}[how]
    return [dataclasses.replace(p, has_dnacpr=i < with_dnacpr) for i, p in enumerate(record)]


populations = st.dictionaries(
    st.tuples(
        st.sampled_from(AGE_BANDS), st.sampled_from(("female", "male", "")), st.sampled_from(ETHNICITIES[:4])
    ),
    st.integers(0, 3000),
    max_size=8,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(record=records(), population=populations, minimum_cell=st.sampled_from((3, 5, 5, 7)))
def test_no_withheld_count_can_be_worked_out_from_any_published_table(
    record: list[PersonForMonitoring], population: dict[tuple[str, str, str], int], minimum_cell: int
) -> None:
    table = equality_table(record, population, minimum_cell=minimum_cell)
    truth = true_counts(record)
    found = attack(table.published_rows(), minimum_cell)
    for cell in table.cells:
        people_count, dnacpr = truth.get((cell.characteristic, cell.group), (0, 0))
        assert cell.people_in_record in (None, people_count)
        assert cell.dnacpr in (None, dnacpr)
        # nothing published is small: no count of 1 to 4, and no group with 1 to 4 people without a recommendation
        if cell.people_in_record is not None:
            assert people_count == 0 or people_count >= minimum_cell
        if cell.dnacpr is not None and people_count > 0:
            assert dnacpr == 0 or dnacpr >= minimum_cell
            if cell.people_in_record is not None:
                assert people_count - dnacpr >= minimum_cell
        for kind, withheld, true_value in (
            (PEOPLE, cell.people_in_record is None, people_count),
            (DNACPR, cell.dnacpr is None, dnacpr),
        ):
            key = Unknown(cell.characteristic, cell.group, kind)
            if withheld:
                assert true_value in found[key], key  # the attacker is sound
                assert len(found[key]) > 1, (key, found[key])
    for unknown, values in found.items():
        assert len(values) > 1, unknown  # the withheld totals too


# --- Totals that are themselves small ----------------------------------------------------------------------


def test_fewer_than_five_people_publishes_only_the_registered_population() -> None:
    record = people(4, 1, age_band="85+", sex="female")
    table = equality_table(record, POPULATION)
    assert all(
        c.people_in_record is None and c.dnacpr is None
        for c in (*table.cells, *(t.total for t in table.totals))
    )
    assert table.cell(AGE_BAND, "85+").registered_population == 400
    total = table.total_for(SEX)
    assert (total.nothing_recorded, total.people_not_recorded) == (None, None)
    assert total.note == "Fewer than 5 people in the record: only the registered population is published."
    assert table.nothing_recorded == ()


@pytest.mark.parametrize(("with_dnacpr", "reason"), [(3, PRIMARY), (38, WITHOUT), (40, WITHOUT)])
def test_a_small_dnacpr_total_or_few_without_one_withholds_every_dnacpr_count(
    with_dnacpr: int, reason: str
) -> None:
    record = people(25, min(with_dnacpr, 25), age_band="85+", sex="female") + people(
        15, max(with_dnacpr - 25, 0), age_band="75-84", sex="male"
    )
    table = equality_table(record)
    assert table.total_for(SEX).total.suppression == reason
    assert table.total_for(SEX).total.people_in_record == 40
    non_empty = [c for c in table.cells if c.people_in_record != 0]
    assert non_empty and all(c.dnacpr is None and c.rate_in_record is None for c in non_empty)
    assert all(len(values) > 1 for values in attack(table.published_rows(), 5).values())


def test_nobody_with_a_recommendation_publishes_every_dnacpr_count_as_zero() -> None:
    record = people(30, 0, age_band="85+", dementia=True) + people(2, 0, age_band="40-64", dementia=False)
    table = equality_table(record)
    small = table.cell(DEMENTIA, "no")
    assert (small.people_in_record, small.people_suppression, small.dnacpr, small.suppression) == (
        None,
        PRIMARY,
        0,
        "",
    )
    assert small.rate_in_record is None  # its denominator is withheld
    assert all(c.dnacpr == 0 for c in table.cells)


# --- The disclosure-control core on its own -----------------------------------------------------------------


def test_suppress_on_its_own_protects_a_lone_small_count_with_the_next_smallest() -> None:
    plan = suppress(
        {
            "setting": [
                GroupCounts("care home", 40, 25),
                GroupCounts("hospice", 12, 7),
                GroupCounts("own home", 30, 2),
            ]
        }
    )
    assert plan.cells[("setting", "own home")] == Withheld(dnacpr=PRIMARY)
    assert plan.cells[("setting", "hospice")] == Withheld(dnacpr=SECONDARY)  # 7 is smaller than 25
    assert plan.cells[("setting", "care home")] == Withheld()
    assert (plan.people_total, plan.dnacpr_total) == ("", "")


@pytest.mark.parametrize(
    ("characteristics", "message"),
    [
        ({"a": [GroupCounts("x", 5, 6)]}, "0 <= DNACPR <= people"),
        ({"a": [GroupCounts("x", 5, 1), GroupCounts("x", 5, 1)]}, "a group appears twice"),
        ({"a": [GroupCounts("x", 5, 1)], "b": [GroupCounts("y", 6, 1)]}, "the same people"),
    ],
)
def test_suppress_refuses_counts_that_cannot_be_true(
    characteristics: dict[str, list[GroupCounts]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        suppress(characteristics)


def test_suppress_refuses_a_minimum_cell_that_would_give_withheld_totals_away() -> None:
    with pytest.raises(ValueError, match="at least 3"):
        suppress({"a": [GroupCounts("x", 1, 1)]}, minimum_cell=2)
