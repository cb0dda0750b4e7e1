"""In production mode the schema does not describe itself to strangers: no suggestions in errors, and
introspection only for signed-in callers. In development both stay, for whoever builds a client."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from carerecord_graphql.schema import build_schema

MISSPELT = "{ glosary { term } }"
INTROSPECTION = "{ __schema { queryType { name } } }"
SIGNED_IN = SimpleNamespace(principal=object())
STRANGER = SimpleNamespace(principal=None)


def _messages(production: bool, query: str, context: object) -> list[str]:
    result = build_schema(production=production).execute_sync(query, context_value=context)
    return [error.message for error in result.errors or []]


def test_in_production_a_misspelt_field_gets_no_suggestion() -> None:
    assert _messages(True, MISSPELT, SIGNED_IN) == ["Cannot query field 'glosary' on type 'Query'."]
    misspelt_argument = '{ person(nhsNumbr: "1") { version } }'
    assert not any("Did you mean" in m for m in _messages(True, misspelt_argument, STRANGER))


def test_in_development_a_misspelt_field_gets_a_suggestion() -> None:
    assert _messages(False, MISSPELT, STRANGER) == [
        "Cannot query field 'glosary' on type 'Query'. Did you mean 'glossary'?"
    ]


@pytest.mark.parametrize("query", [INTROSPECTION, '{ __type(name: "Person") { name } }'])
def test_in_production_introspection_is_refused_to_a_caller_not_signed_in(query: str) -> None:
    assert _messages(True, query, STRANGER) == [
        "introspection is open to signed-in callers only; the schema is published as graphql/schema.graphql"
    ]
    assert _messages(True, query, None) == _messages(True, query, STRANGER)


def test_in_production_a_signed_in_caller_may_introspect_and_anyone_may_ask_for_typename() -> None:
    assert _messages(True, INTROSPECTION, SIGNED_IN) == []
    assert _messages(True, "{ __typename glossary { term } }", STRANGER) == []


def test_in_development_anyone_may_introspect() -> None:
    assert _messages(False, INTROSPECTION, STRANGER) == []
