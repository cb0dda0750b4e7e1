"""A store can be marked as holding the synthetic demo region, so that every page and /health can say so and
so that demo data is never loaded into a store holding real people's records."""

from __future__ import annotations

from carerecord_projections.database import transaction
from carerecord_services.schema_changes import lock_schema_changes

DEMO = "demo"
MARKS_DDL = """CREATE TABLE IF NOT EXISTS store_marks (
    mark text PRIMARY KEY,
    marked_at timestamptz NOT NULL DEFAULT now(),
    note text NOT NULL
)"""


def mark_demo(dsn: str, note: str) -> None:
    with transaction(dsn) as cursor:
        lock_schema_changes(cursor)
        cursor.execute(MARKS_DDL)
        cursor.execute(
            "INSERT INTO store_marks (mark, note) VALUES (%s, %s) ON CONFLICT (mark) DO NOTHING", (DEMO, note)
        )


def is_demo(dsn: str) -> bool:
    with transaction(dsn) as cursor:
        cursor.execute("SELECT to_regclass('store_marks') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return False
        cursor.execute("SELECT 1 FROM store_marks WHERE mark = %s", (DEMO,))
        return cursor.fetchone() is not None
