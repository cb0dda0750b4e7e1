"""A query's cost is bounded before validation, in time linear in its text."""

from __future__ import annotations

import time

import pytest

from carerecord_graphql.limits import CostLimits, TooCostly, measure
from carerecord_graphql.schema import build_schema
from graphql import get_introspection_query, parse


def nested_fragments(levels: int) -> str:
    """fragment f0 spreads f1 twice, f1 spreads f2 twice, ...: 2**levels fields once expanded, in ~50 bytes a
    level (once exponential in strawberry's depth limiter)."""
    parts = ["{ glossary { ...f0 } }"]
    parts += [f"fragment f{i} on GlossaryTerm {{ ...f{i + 1} ...f{i + 1} }}" for i in range(levels)]
    parts.append(f"fragment f{levels} on GlossaryTerm {{ term }}")
    return " ".join(parts)


@pytest.mark.parametrize("levels", [20, 30, 250])
def test_nested_fragment_spreads_are_refused_at_once(levels: int) -> None:
    document = parse(nested_fragments(levels), max_tokens=10_000)
    started = time.perf_counter()
    with pytest.raises(TooCostly, match="more than 500 fields once its fragments are expanded"):
        measure(document, CostLimits(max_spreads=1000))
    assert time.perf_counter() - started < 0.1


def test_the_schema_refuses_nested_fragment_spreads_with_a_clear_error() -> None:
    result = build_schema().execute_sync(nested_fragments(30))
    assert result.data is None and result.errors
    assert "fields once its fragments are expanded" in result.errors[0].message


def test_depth_is_counted_through_fragments_as_before() -> None:
    query = '{ person(nhsNumber: "1") { ...P } } fragment P on Person { plans { involvement { route } } }'
    result = build_schema(max_depth=2).execute_sync(query)
    assert result.errors and result.errors[0].message == "'anonymous' exceeds maximum operation depth of 2"
    assert measure(parse(query), CostLimits(max_depth=3))["anonymous"].depth == 3


def test_a_fragment_that_spreads_itself_is_refused_naming_the_cycle() -> None:
    query = (
        "{ glossary { ...A } } fragment A on GlossaryTerm { term ...B } fragment B on GlossaryTerm { ...A }"
    )
    with pytest.raises(TooCostly, match="fragment 'A' is spread within itself via 'B'"):
        measure(parse(query), CostLimits())


def test_one_field_repeated_in_a_selection_is_refused_whichever_way_it_is_repeated() -> None:
    flat = "{ glossary { " + "term " * 200 + "} }"
    inline = "{ glossary { " + "... on GlossaryTerm { term } " * 50 + "} }"
    fragments = " ".join(f"fragment g{i} on GlossaryTerm {{ term }}" for i in range(50))
    spread = "{ glossary { " + " ".join(f"...g{i}" for i in range(50)) + " } } " + fragments
    for query in (flat, inline, spread):
        with pytest.raises(TooCostly, match="asks for 'term' more than 5 times in one selection"):
            measure(parse(query), CostLimits())


def test_too_many_spreads_are_refused() -> None:
    query = "{ glossary { " + "...g " * 101 + "} } fragment g on GlossaryTerm { term }"
    with pytest.raises(TooCostly, match="spreads fragments 101 times"):
        measure(parse(query), CostLimits())


def test_the_standard_introspection_query_and_ordinary_queries_pass() -> None:
    assert measure(parse(get_introspection_query()), CostLimits())["IntrospectionQuery"].fields < 500
    result = build_schema().execute_sync("{ glossary { term easyRead } }")
    assert result.errors is None and result.data and result.data["glossary"]


def test_the_items_a_query_asks_for_are_its_page_sizes_multiplied_through_fragments_and_variables() -> None:
    query = """query($n: Int) { a: record(recordId: "x") { ...T } b: record(recordId: "x") { ...T } }
    fragment T on Person { timeline(first: $n) { edges { node { version } } } accessHistory(last: 30) {
      edges { node { operation } } } }"""
    assert measure(parse(query), CostLimits(), {"n": 10})["anonymous"].items == 2 * (10 + 30)
    assert measure(parse(query), CostLimits(), {})["anonymous"].items == 2 * (200 + 30)  # not given: the most
    plain = '{ record(recordId: "x") { timeline { edges { node { version } } } } }'
    assert measure(parse(plain), CostLimits())["anonymous"].items == 50  # neither first nor last: the default
    assert measure(parse("{ glossary { term } }"), CostLimits())["anonymous"].items == 0


def test_a_query_asking_for_more_items_than_allowed_or_a_page_out_of_bounds_is_refused() -> None:
    pages = " ".join(
        f'r{i}: record(recordId: "x") {{ timeline(first: 200) {{ edges {{ cursor }} }} }}' for i in range(11)
    )
    with pytest.raises(TooCostly, match="asks for more than 2000 items of lists"):
        measure(parse("{ " + pages + " }"), CostLimits())
    result = build_schema().execute_sync(
        '{ record(recordId: "x") { timeline(last: 500) { edges { cursor } } } }'
    )
    assert result.errors and result.errors[0].message == "last must be between 1 and 200"
