"""Automatic persisted queries over HTTP (Apollo's protocol), bounded, and never a way around the cost bound;
parsing and validation kept per query text without changing an answer."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from carerecord.tokens import development_keys
from carerecord_graphql.app import create_app
from carerecord_graphql.auth import TokenSettings, TokenVerifier
from carerecord_graphql.context import Api
from carerecord_graphql.persisted import PersistedQueries
from carerecord_graphql.schema import build_schema
from carerecord_projections.queries import ReadModels

UNREACHABLE = "host=127.0.0.1 port=1 dbname=none user=nobody connect_timeout=2"
GLOSSARY = "{ glossary { term } }"


def _client(tmp_path: Path, **schema_options: Any) -> TestClient:
    """The glossary needs no sign-in and no database: the API's services are not reached."""
    api = Api(
        care_records=None,
        read_models=ReadModels(UNREACHABLE),
        audit=None,
        investigations=None,
        verifier=TokenVerifier(TokenSettings("issuer-x", "carerecord", development_keys(tmp_path).jwks)),
        clock=lambda: datetime.now(UTC),
        reading=None,
    )
    return TestClient(create_app(build_schema(**schema_options), lambda: {"status": "ok"}, api=api))


def _persisted(query: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(query.encode()).hexdigest()}}


def test_an_unknown_hash_is_persisted_query_not_found_then_registered_then_answered_from_the_hash(
    tmp_path: Path,
) -> None:
    client = _client(tmp_path)
    missed = client.post("/graphql", json={"extensions": _persisted(GLOSSARY)}).json()
    assert missed["errors"][0]["message"] == "PersistedQueryNotFound"
    assert missed["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    registered = client.post("/graphql", json={"query": GLOSSARY, "extensions": _persisted(GLOSSARY)}).json()
    assert "errors" not in registered
    hit = client.post("/graphql", json={"extensions": _persisted(GLOSSARY)}).json()
    assert hit == registered
    assert "DNACPR" in [entry["term"] for entry in hit["data"]["glossary"]]


def test_a_query_whose_hash_does_not_match_is_refused_and_not_registered(tmp_path: Path) -> None:
    client = _client(tmp_path)
    wrong = client.post("/graphql", json={"query": GLOSSARY, "extensions": _persisted("{ other }")}).json()
    assert wrong["errors"][0]["message"] == "provided sha does not match query"
    assert (
        client.post("/graphql", json={"extensions": _persisted("{ other }")}).json()["errors"][0]["message"]
        == "PersistedQueryNotFound"
    )


def test_a_persisted_query_meets_the_cost_bound_on_every_use(tmp_path: Path) -> None:
    client = _client(tmp_path, max_fields=2)
    costly = "{ glossary { term easyRead } }"  # three fields
    first = client.post("/graphql", json={"query": costly, "extensions": _persisted(costly)}).json()
    assert "more than 2 fields" in first["errors"][0]["message"]
    again = client.post("/graphql", json={"extensions": _persisted(costly)}).json()
    assert "more than 2 fields" in again["errors"][0]["message"]
    assert "data" not in again or again["data"] is None


def test_the_persisted_queries_are_bounded_in_number_and_bytes() -> None:
    queries = PersistedQueries(max_queries=3, max_bytes=10_000)
    texts = [f"{{ q{index} }}" for index in range(5)]
    for text in texts:
        assert queries.resolve(text, _persisted(text)) == text
    assert len(queries) == 3
    assert queries.resolve(None, _persisted(texts[0])).message == "PersistedQueryNotFound"  # type: ignore[union-attr]
    assert queries.resolve(None, _persisted(texts[4])) == texts[4]
    small = PersistedQueries(max_queries=100, max_bytes=40)
    for text in [f"{{ {'x' * 15}{index} }}" for index in range(4)]:
        small.resolve(text, _persisted(text))
    assert len(small) == 2


def test_a_cached_validation_gives_the_same_errors_and_the_same_answers() -> None:
    schema = build_schema()
    for _ in range(3):
        bad = schema.execute_sync("{ glossary { nonsense } }")
        assert bad.errors and "nonsense" in bad.errors[0].message
        good = schema.execute_sync(GLOSSARY)
        assert good.errors is None and good.data is not None


def test_a_query_over_the_cost_bound_is_refused_each_time_however_often_it_is_sent() -> None:
    schema = build_schema(max_fields=2)
    for _ in range(3):
        refused = schema.execute_sync("{ glossary { term easyRead } }")
        assert refused.errors and "more than 2 fields" in refused.errors[0].message
        assert schema.execute_sync("{ glossary { term } }").errors is None
