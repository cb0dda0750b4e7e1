"""The migration: `carerecord import plans` taking a region's plans in from FHIR NDJSON, against loading the same
people and plans through the group writer directly.

The file is what the FHIR view writes: each person registered, cared for and given a plan in memory (the record's
own `decide` and `evolve`), their current-plan document made as the projector makes it, and that mapped to a
Bundle by `plan_bundle`. The import then takes each Bundle in as `POST /fhir/Bundle` would (read it back, find the
person, register them, start the care relationship on the stated basis, take the plan in: three transactions,
each decided on the record loaded from the store). The baseline is `loading.load_people` on another scratch
schema: the same registrations, relationships and plans, decided in memory and appended in batches of 250 people
from 4 threads. The ratio is the price of the import's checks and of taking one Bundle at a time.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

from carerecord.bootstrap import build_reading
from carerecord.migration import import_ndjson
from carerecord.settings import DatabaseLocation, Settings
from carerecord.tools.bench.common import GP, Row, bench_schema, synthetic_nhs_numbers
from carerecord.tools.bench.loading import decided, load_people, person_commands
from carerecord_events.record.state import PersonRecord
from carerecord_events.vocabulary import RelationshipBasis, Setting
from carerecord_graphql.fhir_intake import BundleIntake
from carerecord_projections.current_plan.document import document_of
from carerecord_projections.current_plan.queries import PlanRow
from carerecord_projections.database import prepare
from carerecord_projections.fhir import plan_bundle
from carerecord_projections.held_submissions import HeldSubmissions
from carerecord_services import commands as c
from carerecord_services.changes import RecordChanges
from carerecord_services.intake import Intake, StatedRelationship
from carerecord_services.read_access import Reader

Report = Callable[[str], None]
FIRST_NUMBER = 930_000_000
AS_PRACTICE = StatedRelationship(Setting.GP_PRACTICE, RelationshipBasis.REGISTERED_WITH_PRACTICE)


def migration_scenario(
    settings: Settings, database: DatabaseLocation, plans: int, report: Report
) -> list[Row]:
    with tempfile.TemporaryDirectory() as folder:
        source = region_file(Path(folder) / "region.ndjson", plans)
        with bench_schema(settings, database) as scratch:
            report(f"migration: importing {plans:,} plans from FHIR NDJSON")
            prepare(scratch.dsn)  # the access audit's and the held queue's tables
            services = scratch.services()
            try:
                reading = build_reading(services, timedelta(days=30))
                intake = BundleIntake(
                    Intake(services.care_records, RecordChanges(services.care_records, reading)),
                    HeldSubmissions(scratch.dsn),
                    lambda: datetime.now(UTC),
                )
                started = time.perf_counter()
                imported = import_ndjson(
                    intake,
                    Reader(GP),
                    source,
                    checkpoint=source.with_name("checkpoint"),
                    report=source.with_name("refused.ndjson"),
                    relationship=AS_PRACTICE,
                    workers=4,  # as many threads as the baseline's loader
                )
                import_seconds = time.perf_counter() - started
            finally:
                services.close()
        if imported.plans != plans:
            raise RuntimeError(
                f"the import took in {imported.plans} of {plans} plans: {imported.refusals[:3]}"
            )
    with bench_schema(settings, database) as scratch:
        report(f"migration baseline: {plans:,} people and plans through the group writer")
        services = scratch.services()
        try:
            started = time.perf_counter()
            load_people(services, plans, first_number=FIRST_NUMBER, recommend_every=1)
            direct_seconds = time.perf_counter() - started
        finally:
            services.close()
    return [
        Row(
            "migration",
            f"plans taken in/s ({plans:,})",
            plans / import_seconds,
            plans / direct_seconds,
            "plans/s",
            "",
        )
    ]


def region_file(path: Path, plans: int) -> Path:
    """`plans` Bundles, one a line, each as the FHIR view shows a person with one plan in force."""
    now = datetime.now(UTC)
    with path.open("w") as out:
        for index, number in enumerate(synthetic_nhs_numbers(plans, start=FIRST_NUMBER)):
            commands = person_commands(number, index, True)
            registration = commands[0]
            assert isinstance(registration, c.RegisterPerson)
            record, _ = decided(PersonRecord(record_id=uuid4()), commands, lambda: now)
            row = PlanRow(
                record.record_id,
                number,
                registration.given_name,
                registration.family_name,
                registration.date_of_birth,
                registration.postcode,
                False,
                record.version,
                0,
                document_of(record),
            )
            out.write(json.dumps(plan_bundle(row, generated_at=now)) + "\n")
    return path
