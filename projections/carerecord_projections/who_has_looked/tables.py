"""The access_log table. Its columns are named once, so that a table with some of them (the bench's bare
baseline) is made from the same definitions."""

from __future__ import annotations

from collections.abc import Iterable

ACCESS_COLUMNS = {
    "access_id": "uuid PRIMARY KEY",
    "position": "bigint NOT NULL",
    "record_id": "uuid NOT NULL",
    "kind": "text NOT NULL",
    "user_id": "text NOT NULL",
    "role": "text NOT NULL",
    "organisation": "text NOT NULL",
    "operation": "text NOT NULL",
    "purpose": "text NOT NULL",
    "granted": "boolean NOT NULL",
    "version_shown": "integer",
    "refusal_reason": "text NOT NULL DEFAULT ''",
    "via_break_glass": "boolean NOT NULL DEFAULT false",
    "at": "timestamptz NOT NULL",
    "expires_at": "timestamptz",
}


def access_table(name: str, columns: Iterable[str]) -> str:
    """CREATE TABLE for a table of these access-log columns, in the order given."""
    body = ",\n".join(f"    {column} {ACCESS_COLUMNS[column]}" for column in columns)
    return f"CREATE TABLE IF NOT EXISTS {name} (\n{body}\n);\n"


ACCESS_LOG_DDL = access_table("access_log", ACCESS_COLUMNS) + (
    "ALTER TABLE access_log ADD COLUMN IF NOT EXISTS reviewed_at timestamptz;\n"
    "ALTER TABLE access_log ADD COLUMN IF NOT EXISTS review_appropriate boolean;\n"
    # the reader's name as their token gave it (none for a token without one): shown to the person, not the id
    "ALTER TABLE access_log ADD COLUMN IF NOT EXISTS name text;\n"
    "CREATE INDEX IF NOT EXISTS access_log_by_record ON access_log (record_id, at);\n"
    # who has looked, a page at a time, newest first
    "CREATE INDEX IF NOT EXISTS access_log_by_record_position ON access_log (record_id, position);\n"
    "CREATE INDEX IF NOT EXISTS access_log_break_glass ON access_log (user_id, record_id) WHERE kind = 'break-glass';\n"
)
