"""Do the read models serve what the stores imply? Rebuilt from both stores into a scratch schema, then compared
row by row with the live ones, each difference named by table, record id and column.

The API serves read models, and a read model is a mutable table: a row edited in PostgreSQL (a plan's reasoning
changed) would be served as the record, and neither the hash chains nor a checkpoint would notice, since they
prove the stores. This check closes that gap. The live read models may lag the store (Kafka workers by
partition, a worker that is down): a record whose live projected version differs from the rebuilt one is listed
as behind and not compared, rather than reported as altered; the access audit's tables are rebuilt up to the
position the live ones stand at.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from psycopg2 import sql

from carerecord_projections.database import transaction
from carerecord_projections.rebuild import rebuild_from_store
from carerecord_projections.registry import ADDITIONAL_PROJECTIONS
from carerecord_projections.schema import CHECKSUM_ORDER
from carerecord_projections.store_feeder import StoreFeeder
from carerecord_projections.who_has_looked import AccessLogFeeder
from carerecord_services.store import EventStore

Progress = Callable[[int, int], None]

# Tables built per record from the clinical store, by their keys; then the access audit's, by theirs.
PER_RECORD = {**CHECKSUM_ORDER, "reviews_due": "plan_id"}
AUDIT = {
    "access_log": "access_id",
    "refused_requests": "access_id",
    "feed_disclosures": "organisation, event_id",
}
NOT_COMPARED = {"refused_requests": ("id",)}  # a serial number, given by whichever insert came first


@dataclass(frozen=True)
class Difference:
    table: str
    record_id: str  # "-" for a row that concerns no one person
    key: str
    column: str  # a JSON column down to the field: document.plans[0].reasoning
    problem: str


@dataclass
class ReadModelReport:
    differences: list[Difference] = field(default_factory=list)
    behind: list[str] = field(default_factory=list)
    rows_compared: int = 0

    @property
    def agrees(self) -> bool:
        return not self.differences


def rebuild_into(
    store: EventStore,
    audit_store: EventStore,
    scratch_dsn: str,
    *,
    audit_up_to: int,
    progress: Progress | None,
) -> None:
    """Every read model, rebuilt from the stores into the (empty) schema `scratch_dsn` names."""
    rebuild_from_store(store, scratch_dsn, as_of=None, progress=progress)
    for projection in ADDITIONAL_PROJECTIONS.values():
        StoreFeeder(store, scratch_dsn, projection=projection()).catch_up()
    AccessLogFeeder(audit_store, scratch_dsn).catch_up_to(audit_up_to)


def compare(live_dsn: str, scratch_schema: str) -> ReadModelReport:
    """The live read models (the schema `live_dsn` names) against those rebuilt into `scratch_schema`."""
    report = ReadModelReport()
    with transaction(live_dsn) as cursor:
        report.behind = _behind(cursor, scratch_schema)
        skipped = set(report.behind)
        for table, key in {**PER_RECORD, **AUDIT}.items():
            rows, found = _compare_table(cursor, scratch_schema, table, [k.strip() for k in key.split(",")])
            report.rows_compared += rows
            report.differences += [d for d in found if d.record_id not in skipped or table in AUDIT]
    return report


def _behind(cursor: Any, scratch: str) -> list[str]:
    cursor.execute(
        sql.SQL(
            "SELECT coalesce(l.record_id, s.record_id)::text FROM projected_records l "
            "FULL JOIN {}.projected_records s ON s.record_id = l.record_id "
            "WHERE l.version IS DISTINCT FROM s.version ORDER BY 1"
        ).format(sql.Identifier(scratch))
    )
    return [row[0] for row in cursor.fetchall()]


def _columns(cursor: Any, table: str) -> list[tuple[str, str]]:
    cursor.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position",
        (table,),
    )
    skipped = NOT_COMPARED.get(table, ())
    return [(name, kind) for name, kind in cursor.fetchall() if name not in skipped]


def _compare_table(cursor: Any, scratch: str, table: str, key: list[str]) -> tuple[int, list[Difference]]:
    columns = _columns(cursor, table)
    if not columns:
        return 0, []  # not created here (no feeds router has run): nothing is served from it
    names = [name for name, _ in columns]
    live, rebuilt = sql.Identifier(table), sql.Identifier(scratch, table)
    select = sql.SQL(", ").join(
        [sql.SQL("l.{0}, s.{0}").format(sql.Identifier(name)) for name in names]
        + [sql.SQL("l.{0} IS NULL").format(sql.Identifier(key[0]))]
        + [sql.SQL("s.{0} IS NULL").format(sql.Identifier(key[0]))]
    )
    join = sql.SQL(" AND ").join(sql.SQL("l.{0} = s.{0}").format(sql.Identifier(k)) for k in key)
    differs = sql.SQL(" OR ").join(
        sql.SQL("l.{0} IS DISTINCT FROM s.{0}").format(sql.Identifier(name)) for name in names
    )
    cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(live))
    rows = int(cursor.fetchone()[0])
    cursor.execute(
        sql.SQL("SELECT {} FROM {} l FULL JOIN {} s ON {} WHERE {}").format(
            select, live, rebuilt, join, differs
        )
    )
    return rows, [d for row in cursor.fetchall() for d in _row_differences(table, names, key, row)]


def _row_differences(table: str, names: list[str], key: list[str], row: tuple[Any, ...]) -> list[Difference]:
    values = {name: (row[2 * i], row[2 * i + 1]) for i, name in enumerate(names)}
    only_rebuilt, only_live = row[-2], row[-1]
    side = 1 if only_rebuilt else 0
    record = values.get("record_id", (None, None))[side]
    record_id = str(record) if record is not None else "-"
    row_key = ", ".join(f"{k}={values[k][side]}" for k in key)
    if only_rebuilt:
        return [Difference(table, record_id, row_key, "(row)", "missing from the read model")]
    if only_live:
        return [Difference(table, record_id, row_key, "(row)", "not implied by the store")]
    found = []
    for name, (served, implied) in values.items():
        if served == implied:
            continue
        for path in _paths(name, served, implied):
            found.append(Difference(table, record_id, row_key, path, "differs from what the store implies"))
    return found


def _paths(prefix: str, served: Any, implied: Any) -> list[str]:
    """Where two JSON values differ, down to the field (a whole column for anything else)."""
    if isinstance(served, dict) and isinstance(implied, dict):
        return [
            path
            for name in sorted(set(served) | set(implied))
            if served.get(name) != implied.get(name)
            for path in _paths(f"{prefix}.{name}", served.get(name), implied.get(name))
        ]
    if isinstance(served, list) and isinstance(implied, list) and len(served) == len(implied):
        return [
            path
            for index, (a, b) in enumerate(zip(served, implied, strict=True))
            if a != b
            for path in _paths(f"{prefix}[{index}]", a, b)
        ]
    return [prefix]
