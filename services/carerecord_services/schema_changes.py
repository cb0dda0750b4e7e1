"""One lock for every change to a schema's tables, types, indexes and functions, whoever makes it: the event
store's recorder, the checkpoint log, the read models, the audit's and the feeds' tables.

Processes that start at once on a new schema (API workers, `relay` and `project` beside `serve`) make them one
after another, instead of failing on each other's half-made types ("duplicate key value violates unique
constraint pg_type_typname_nsp_index", "tuple concurrently updated"): `CREATE TABLE IF NOT EXISTS` is not safe
against a concurrent create of the same table. A lock per kind of table is not enough, because several kinds
share tables (the access log, the reference data, the refused requests), so there is one lock per schema."""

from __future__ import annotations

from typing import Any

NAME = "carerecord schema changes"

KEY = f"hashtext('{NAME}'), hashtext(coalesce(%s::text, current_schema(), ''))"
"""The lock's two keys: this name and the schema (given, or the connection's current one)."""

TRANSACTION_LOCK = f"SELECT pg_advisory_xact_lock({KEY})"
SESSION_LOCK = f"SELECT pg_advisory_lock({KEY})"
SESSION_UNLOCK = f"SELECT pg_advisory_unlock({KEY})"


def lock_schema_changes(cursor: Any, schema: str | None = None) -> None:
    """Waits for, then holds until this transaction ends, the lock on changes to `schema` (default: the
    connection's current schema). Taken before any DDL, first thing in its transaction."""
    cursor.execute(TRANSACTION_LOCK, (schema,))
