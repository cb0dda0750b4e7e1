"""The portal's search takes a date of birth as people in the UK write it."""

from __future__ import annotations

from datetime import date

import pytest

from carerecord_graphql.portal.pages import day_month_year


@pytest.mark.parametrize(
    "written", ["2/4/1938", "02/04/1938", "2-4-1938", "2 4 1938", "2.4.1938", "1938-04-02"]
)
def test_day_month_year_is_read_as_the_uk_writes_it(written: str) -> None:
    assert day_month_year(written) == date(1938, 4, 2)


@pytest.mark.parametrize("written", ["", "31/2/1938", "4/2", "1938/04/02", "٢/٤/١٩٣٨", "2/4/38", "tomorrow"])
def test_anything_else_is_not_a_date(written: str) -> None:
    assert day_month_year(written) is None
