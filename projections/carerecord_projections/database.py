"""Connections to the read-model database (psycopg2)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg2
import psycopg2.extras

from carerecord_projections.schema import create_tables

psycopg2.extras.register_uuid()  # type: ignore[no-untyped-call]  # UUIDs in and out as uuid.UUID (adapter registration, no I/O)


@contextmanager
def transaction(dsn: str) -> Iterator[Any]:
    """One connection, one transaction: committed if the block finishes, rolled back if it raises."""
    connection = psycopg2.connect(dsn)
    try:
        with connection, connection.cursor() as cursor:
            yield cursor
    finally:
        connection.close()


def prepare(dsn: str) -> None:
    with transaction(dsn) as cursor:
        create_tables(cursor)
