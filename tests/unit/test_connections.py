"""One page of a list, as Relay's Cursor Connections specification has it (the algorithm over a list held
whole; the database's windows are checked end to end in tests/e2e/test_connections_and_nodes.py)."""

from __future__ import annotations

import base64

import pytest

from carerecord_graphql.connections import Connection, connection, listed, page

LETTERS = list("abcdefg")


def _shown(found: Connection[str]) -> tuple[list[str], bool, bool]:
    info = found.page_info
    return [edge.node for edge in found.edges], info.has_previous_page, info.has_next_page


def _page(**asked: object) -> Connection[str]:
    given = {"first": None, "after": None, "last": None, "before": None} | asked
    return connection("letters", listed(LETTERS), page("letters", **given))  # type: ignore[arg-type]


def test_forwards_with_first_and_after_to_the_end() -> None:
    first = _page(first=3)
    assert _shown(first) == (["a", "b", "c"], False, True)
    second = _page(first=3, after=first.page_info.end_cursor)
    assert _shown(second) == (["d", "e", "f"], True, True)
    assert _shown(_page(first=3, after=second.page_info.end_cursor)) == (["g"], True, False)


def test_backwards_with_last_and_before_to_the_start() -> None:
    end = _page(last=3)
    assert _shown(end) == (["e", "f", "g"], True, False)
    middle = _page(last=3, before=end.page_info.start_cursor)
    assert _shown(middle) == (["b", "c", "d"], True, True)
    assert _shown(_page(last=3, before=middle.page_info.start_cursor)) == (["a"], False, True)


def test_between_two_cursors_and_past_the_end() -> None:
    every = _page(first=7)
    cursors = [edge.cursor for edge in every.edges]
    assert _shown(_page(first=10, after=cursors[1], before=cursors[5])) == (["c", "d", "e"], True, False)
    empty = _page(first=2, after=cursors[-1])
    assert _shown(empty) == ([], True, False)
    assert empty.page_info.start_cursor is None and empty.page_info.end_cursor is None


def test_a_cursor_of_another_list_both_sizes_or_a_size_out_of_bounds_is_refused() -> None:
    timeline_cursor = (
        connection("timeline", listed(LETTERS), page("timeline", 1, None, None, None)).edges[0].cursor
    )
    with pytest.raises(ValueError, match="not one this API gave out for the letters"):
        page("letters", 1, timeline_cursor, None, None)
    with pytest.raises(ValueError, match="not both"):
        page("letters", 1, None, 1, None)
    with pytest.raises(ValueError, match="first must be between 1 and 200"):
        page("letters", 0, None, None, None)


def test_a_cursor_made_up_from_the_list_name_and_a_negative_key_is_refused() -> None:
    made_up = base64.urlsafe_b64encode(b"letters:-3").decode()
    with pytest.raises(ValueError, match="not one this API gave out"):
        page("letters", 1, made_up, None, None)
