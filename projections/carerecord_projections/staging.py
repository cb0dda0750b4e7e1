"""Read models rebuilt beside the live ones, then swapped in at once.

A rebuild by several workers cannot share one transaction, so they build into a schema of their own beside the
live one (`<live>_rebuilding`, made with the same DDL; any other table, the reference data, is read from the live
schema behind it). When they have all finished, one transaction drops the live read models and moves the rebuilt
ones in: until it commits, readers are served the read models as they were, never a half-built current plan; a
rebuild that is refused drops its schema and leaves the live read models untouched. Moving a table is a change of
its catalogue entry, not a copy of its rows, so the swap costs the same at a million events as at ten.
"""

from __future__ import annotations

from typing import Any

from psycopg2 import sql

from carerecord_projections.schema import DDL, READ_MODEL_TABLES, TRACKING_TABLES

REBUILT_TABLES = READ_MODEL_TABLES + TRACKING_TABLES
_SUFFIX = "_rebuilding"
_MAX_NAME = 63  # PostgreSQL's identifiers, in bytes


def live_schema(cursor: Any) -> str:
    cursor.execute("SELECT current_schema()")
    schema: str = cursor.fetchone()[0]
    return schema


def staging_schema(live: str) -> str:
    """Where the read models of the schema `live` are rebuilt."""
    return live.encode()[: _MAX_NAME - len(_SUFFIX)].decode(errors="ignore") + _SUFFIX


def create_staging(cursor: Any, live: str) -> str:
    """An empty staging schema for `live` with the read models' tables (one left by a rebuild that was
    stopped is dropped first). Returns its name."""
    staging = staging_schema(live)
    discard_staging(cursor, live)
    cursor.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(staging)))
    cursor.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(staging)))
    cursor.execute(DDL)
    return staging


def build_in_staging(cursor: Any, live: str) -> None:
    """This session writes the rebuilt read models into the staging schema; any other table it names (the
    reference data) is the live schema's."""
    cursor.execute(
        sql.SQL("SET search_path TO {}, {}").format(
            sql.Identifier(staging_schema(live)), sql.Identifier(live)
        )
    )


def swap_in(cursor: Any, live: str) -> None:
    """In the caller's transaction: the live read models dropped and the staging schema's moved in their
    place, then the staging schema dropped."""
    staging = sql.Identifier(staging_schema(live))
    for table in REBUILT_TABLES:
        cursor.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(live, table)))
        cursor.execute(
            sql.SQL("ALTER TABLE {}.{} SET SCHEMA {}").format(
                staging, sql.Identifier(table), sql.Identifier(live)
            )
        )
    cursor.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(staging))


def discard_staging(cursor: Any, live: str) -> None:
    cursor.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(staging_schema(live))))
