"""The migration's benchmark at CI's size: `carerecord import plans` against the group writer, on the real
PostgreSQL (`make bench` runs it at 100,000 plans)."""

from __future__ import annotations

from pathlib import Path

from carerecord.bootstrap import Services
from carerecord.settings import load_settings
from carerecord.tools.bench import SCENARIOS
from carerecord.tools.bench.migration import migration_scenario


def test_the_migration_is_measured_against_the_group_writer_at_a_small_size(
    test_database_url: str, tmp_path: Path
) -> None:
    settings = load_settings({"DATABASE_URL": test_database_url, "CARERECORD_DATA_DIR": str(tmp_path)})
    said: list[str] = []
    [row] = migration_scenario(settings, Services(settings).database, 25, said.append)
    assert "migration" in SCENARIOS
    assert row.scenario == "migration" and row.unit == "plans/s"
    assert row.carerecord > 0 and row.baseline > 0
    assert said == [
        "migration: importing 25 plans from FHIR NDJSON",
        "migration baseline: 25 people and plans through the group writer",
    ]
