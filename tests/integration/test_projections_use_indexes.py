"""No statement a projection makes per event reads a whole read-model table: each finds its rows through an
index, so that applying an event costs the same in a region of ten people and of a million.

relationships_for_review looked for a person's earlier relationship with an organisation, and ended one, by
record and organisation with no index for them: its back-fill over 100,000 people scanned the table once per
relationship started and ran for many minutes at a full core. The check: the region's read models and each
additional projection apply an event of every type through a cursor that first has PostgreSQL plan each
statement (EXPLAIN, with `enable_seqscan = off`, so that a sequential scan is planned only where no index
can serve), and no plan scans a table sequentially."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import psycopg2
import psycopg2.extensions

from carerecord.bootstrap import Feeding, build_services
from carerecord_projections.projector import Positioned, apply_batch
from carerecord_projections.registry import ADDITIONAL_PROJECTIONS
from carerecord_services.store import LoadedRecord
from tests.builders import every_event_type_scenario, recommendation, register, valid_nhs_numbers
from tests.conftest import schema_settings


class Planning(psycopg2.extensions.cursor):
    """A cursor that has each statement planned before running it, noting every sequential scan planned."""

    scans: ClassVar[list[tuple[str, str]]] = []

    def execute(self, query: Any, vars: Any = None) -> None:
        text = self.mogrify(query, vars).decode()
        if text.lstrip().split(None, 1)[0].upper() in {"SELECT", "UPDATE", "DELETE", "INSERT", "WITH"}:
            super().execute("EXPLAIN (FORMAT JSON) " + text)
            (plan,) = self.fetchone()
            Planning.scans += [(table, text[:160]) for table in _sequential(plan[0]["Plan"])]
        super().execute(query, vars)


def _sequential(node: dict[str, Any]) -> list[str]:
    found = [node["Relation Name"]] if node.get("Node Type") == "Seq Scan" else []
    return found + [table for child in node.get("Plans", []) for table in _sequential(child)]


def test_every_projection_applies_every_kind_of_event_through_indexes(
    test_database_url: str, fresh_schema: str, tmp_path: Path
) -> None:
    settings = schema_settings(test_database_url, fresh_schema, tmp_path)
    services = build_services(settings, feeding=Feeding.NOT_HERE, back_fill_at_start=False)
    try:
        scenario = every_event_type_scenario()
        empty = LoadedRecord(scenario.record.record_id, [], 0, "0" * 64)
        services.writer.append(services.store.chain(empty, scenario.history))
        for number in valid_nhs_numbers(5):
            record_id = services.care_records.register_person(register(nhs_number=number)).record_id
            services.care_records.execute(record_id, recommendation())
        logged = list(services.store.notifications_after(0, 100_000))
        items = [
            (each.stored.originator_version, Positioned(each.position, each.stored.decode()))
            for each in logged
        ]
        connection = psycopg2.connect(services.read_models_dsn, cursor_factory=Planning)
        try:
            with connection, connection.cursor() as cursor:
                cursor.execute("SET enable_seqscan = off")
                Planning.scans = []
                assert apply_batch(cursor, items) > len(scenario.history)
                main = list(Planning.scans)
                for projection in (cls() for cls in ADDITIONAL_PROJECTIONS.values()):
                    projection.prepare(cursor)
                    Planning.scans = []
                    for version, item in items:
                        projection.apply(cursor, version, item)
                    main += Planning.scans
        finally:
            connection.close()
    finally:
        services.close()
    types = {type(event).__name__ for event in scenario.history}
    assert {"CareRelationshipStarted", "CareRelationshipEnded", "PersonDied"} <= types
    assert main == [], json.dumps(main, indent=1)
