"""Automatic persisted queries (Apollo's protocol) and the validation cache: a query's fixed costs paid once.

A client sends `extensions.persistedQuery = {"version": 1, "sha256Hash": <hex SHA-256 of the query>}`, with
no query. If this process knows the hash, the query it stands for runs; if not, the answer is the error
`PersistedQueryNotFound` (code PERSISTED_QUERY_NOT_FOUND) and the client sends the query with its hash, which
registers it. A persisted query is only a shorter way of sending its text: it then meets every check a query
sent in full meets (the cost, depth, alias and token limits run on each request), so it is never a way around
them. Queries are kept per API process, least recently used dropped first, bounded in number and in bytes (a
client that asks another process gets PersistedQueryNotFound once and registers it there). Over the websocket
transport queries are sent in full.

Validation (graphql-core's rules) depends only on the query's text and the rules that apply to the caller, so
its answer is kept per (text, rules), after the cost check has passed (a query over its limits is refused
before validation, as without the cache). One cache per schema: a rule is named by its class's name (some
extensions make their rule's class afresh for each request, always the same for one schema).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from graphql import GraphQLError

NOT_FOUND = "PersistedQueryNotFound"
MAX_QUERIES = 1000
MAX_BYTES = 4 * 1024 * 1024
MAX_VALIDATIONS = 512


class PersistedQueries:
    """Query texts by their SHA-256, least recently used dropped first."""

    def __init__(self, max_queries: int = MAX_QUERIES, max_bytes: int = MAX_BYTES) -> None:
        self._max_queries = max_queries
        self._max_bytes = max_bytes
        self._queries: OrderedDict[str, str] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._queries)

    def resolve(self, query: str | None, extensions: dict[str, Any] | None) -> str | GraphQLError | None:
        """The query to run: `query` itself, or the one its persisted-query hash stands for (registered when
        both are given); a GraphQLError the client must hear instead."""
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            return query
        digest = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        if not isinstance(digest, str) or persisted.get("version") != 1:
            return GraphQLError(
                "persistedQuery needs version 1 and a sha256Hash", extensions={"code": "BAD_USER_INPUT"}
            )
        if query is None:
            known = self._get(digest.lower())
            if known is None:
                return GraphQLError(NOT_FOUND, extensions={"code": "PERSISTED_QUERY_NOT_FOUND"})
            return known
        if hashlib.sha256(query.encode()).hexdigest() != digest.lower():
            return GraphQLError("provided sha does not match query", extensions={"code": "BAD_USER_INPUT"})
        self._put(digest.lower(), query)
        return query

    def _get(self, digest: str) -> str | None:
        with self._lock:
            query = self._queries.get(digest)
            if query is not None:
                self._queries.move_to_end(digest)
            return query

    def _put(self, digest: str, query: str) -> None:
        size = len(query.encode())
        if size > self._max_bytes:
            return
        with self._lock:
            if digest in self._queries:
                self._queries.move_to_end(digest)
                return
            self._queries[digest] = query
            self._bytes += size
            while len(self._queries) > self._max_queries or self._bytes > self._max_bytes:
                _, dropped = self._queries.popitem(last=False)
                self._bytes -= len(dropped.encode())


class Validations:
    """Validation answers of one schema, least recently used dropped first."""

    def __init__(self, max_entries: int = MAX_VALIDATIONS) -> None:
        self._max_entries = max_entries
        self._answers: OrderedDict[tuple[str, tuple[str, ...]], list[GraphQLError]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, tuple[str, ...]]) -> list[GraphQLError] | None:
        with self._lock:
            answer = self._answers.get(key)
            if answer is not None:
                self._answers.move_to_end(key)
            return answer

    def put(self, key: tuple[str, tuple[str, ...]], errors: list[GraphQLError]) -> None:
        with self._lock:
            self._answers[key] = errors
            while len(self._answers) > self._max_entries:
                self._answers.popitem(last=False)


class ValidatedOnce(SchemaExtension):
    """Validation kept per (query text, rules). Listed after every extension that refuses a query or adds a
    rule in its own on_validate (the cost check, the disclosure rules), so it sees what they decided."""

    def __init__(self, *, validations: Validations) -> None:
        self._validations = validations

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document, query = context.graphql_document, context.query
        if document is not None and query is not None and context.pre_execution_errors is None:
            rules = tuple(f"{rule.__module__}.{rule.__qualname__}" for rule in context.validation_rules)
            key = (query, rules)
            errors = self._validations.get(key)
            if errors is None:
                errors = validate_document(context.schema._schema, document, context.validation_rules)
                self._validations.put(key, errors)
            context.pre_execution_errors = list(errors)
        yield
