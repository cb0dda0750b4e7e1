"""No text stops a projection: what PostgreSQL text cannot hold (NUL, a lone surrogate) is written to the read
models with U+FFFD in its place, whatever projection writes it (projections/database.py)."""

from __future__ import annotations

from carerecord_projections.database import REPLACEMENT, holdable, transaction
from tests.conftest import dsn


def test_a_nul_or_a_lone_surrogate_is_written_as_a_replacement_character(
    test_database_url: str, fresh_schema: str
) -> None:
    where = dsn(test_database_url, fresh_schema)
    with transaction(where) as cursor:
        cursor.execute("CREATE TABLE said (id integer PRIMARY KEY, words text NOT NULL)")
        cursor.execute(
            "INSERT INTO said VALUES (%s, %s), (%s, %s), (%s, %s)",
            (1, "before\x00after", 2, "broken \ud800 surrogate", 3, "plain words, quotes ' and \\ kept"),
        )
    with transaction(where) as cursor:
        cursor.execute("SELECT words FROM said ORDER BY id")
        assert [row[0] for row in cursor.fetchall()] == [
            f"before{REPLACEMENT}after",
            f"broken {REPLACEMENT} surrogate",
            "plain words, quotes ' and \\ kept",
        ]
    assert holdable("nothing odd") == "nothing odd"
