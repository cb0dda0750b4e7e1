"""An organisation's staff training figures, checked before anything is taken in: every problem named by its
row (the header is row 1) and column."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from carerecord_projections.oversight.rules.scope import Period
from carerecord_projections.oversight.rules.staff_knowledge import quarters_in
from carerecord_projections.staff_training import (
    StaffTrainingRefused,
    TrainingFigures,
    parse_staff_training,
)

HEADER = "quarter,role,staff,trained_in_advance_care_planning,trained_in_dnacpr_conversations\n"


def test_a_good_file_gives_the_figures_by_quarter_and_role() -> None:
    figures = parse_staff_training(HEADER + "2026-Q3,gp,12,10,9\n2026-Q3,nurse,30,21,18\n")
    assert figures == [
        TrainingFigures("2026-Q3", "gp", 12, 10, 9),
        TrainingFigures("2026-Q3", "nurse", 30, 21, 18),
    ]


def test_every_problem_is_named_by_row_and_column() -> None:
    bad = HEADER + "2026-Q3,gp,12,10,9\n2026-Q5,surgeon,１２,3,2\n2026-Q3,gp,12,13,4\n"
    with pytest.raises(StaffTrainingRefused) as refused:
        parse_staff_training(bad)
    assert [str(problem) for problem in refused.value.problems] == [
        "row 3, column quarter: '2026-Q5' is not a quarter such as 2026-Q3",
        "row 3, column role: 'surgeon' is not one of consultant, gp, doctor, nurse, paramedic, care-home-staff",
        "row 3, column staff: '１２' is not a whole number (digits 0-9)",
        "row 4, column trained_in_advance_care_planning: 13 trained is more than the 12 staff",
    ]


def test_a_role_twice_in_a_quarter_a_missing_column_and_an_empty_file_are_refused() -> None:
    with pytest.raises(
        StaffTrainingRefused, match=r"row 3, column role: gp appears twice for 2026-Q3 \(row 2\)"
    ):
        parse_staff_training(HEADER + "2026-Q3,gp,12,10,9\n2026-Q3,gp,12,10,9\n")
    with pytest.raises(StaffTrainingRefused, match="row 1, column trained_in_dnacpr_conversations: missing"):
        parse_staff_training("quarter,role,staff,trained_in_advance_care_planning\n2026-Q3,gp,1,1\n")
    with pytest.raises(StaffTrainingRefused, match="the file has no rows"):
        parse_staff_training(HEADER)


def test_a_period_covers_the_quarters_it_touches() -> None:
    period = Period(datetime(2026, 8, 15, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert quarters_in(period) == ["2026-Q3", "2026-Q4"]
    assert quarters_in(Period(datetime(2026, 12, 31, tzinfo=UTC), datetime(2027, 1, 2, tzinfo=UTC))) == [
        "2026-Q4",
        "2027-Q1",
    ]
