"""`carerecord bench`: speed measured against a baseline in the same run, on the same servers.

Absolute numbers drift on shared machines; ratios hold. Each scenario prints carerecord's figure, the bare
baseline's figure and their ratio. `--quick` is a smoke run (small sizes) that prints figures and asserts none.

One module per family of scenarios: write.py (the write path), freshness.py (commit-to-visible),
relay_rebuild.py (the relay's throughput, the rebuild's cost per event as the store grows), api.py (reads,
history, subscription delivery and the API's memory, against real server processes). loading.py loads large
stores fast with real, chained events; bare.py holds the baselines that run as processes of their own.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from carerecord.bootstrap import Services
from carerecord.settings import DatabaseLocation, Settings
from carerecord.tools.bench.api import api_scenarios
from carerecord.tools.bench.common import Row, Sizes, bench_schema
from carerecord.tools.bench.freshness import freshness_embedded, freshness_kafka
from carerecord.tools.bench.migration import migration_scenario
from carerecord.tools.bench.relay_rebuild import relay_and_rebuild
from carerecord.tools.bench.write import write_path, write_path_processes

__all__ = ["SCENARIOS", "Row", "Sizes", "render", "run", "write_json"]

SCENARIOS = ("write", "freshness", "relay-rebuild", "api", "migration")
Report = Callable[[str], None]


def run(
    settings: Settings,
    sizes: Sizes,
    report: Callable[[str], None],
    only: tuple[str, ...] = SCENARIOS,
) -> list[Row]:
    database = Services(settings).database
    families = {
        "write": _write,
        "freshness": _freshness,
        "relay-rebuild": _relay_rebuild,
        "api": _api,
        "migration": _migration,
    }
    return [
        row for name in SCENARIOS if name in only for row in families[name](settings, database, sizes, report)
    ]


def _write(settings: Settings, database: DatabaseLocation, sizes: Sizes, report: Report) -> list[Row]:
    rows: list[Row] = []
    for callers in (8, 32, 64):
        with bench_schema(settings, database) as scratch:
            report(f"write path: {callers} callers")
            rows += write_path(scratch, callers, sizes.write_seconds)
    with bench_schema(settings, database) as scratch:
        report(f"write path: 64 callers in {' and '.join(map(str, WRITE_PROCESSES))} processes")
        rows += write_path_processes(scratch, 64, WRITE_PROCESSES, sizes.write_seconds)
    return rows


WRITE_PROCESSES = (2, 4)
"""The write path shared out over several processes, as `serve --workers N` shares a region's writes."""


def _freshness(settings: Settings, database: DatabaseLocation, sizes: Sizes, report: Report) -> list[Row]:
    with bench_schema(settings, database) as scratch:
        report(f"freshness, embedded: {sizes.commands} commands at 100/s")
        rows = freshness_embedded(scratch, sizes.commands)
    if settings.kafka is not None:
        with bench_schema(settings, database) as scratch:
            report(f"freshness through Kafka: {sizes.commands} commands at 100/s")
            rows += freshness_kafka(scratch, settings.kafka, sizes.commands)
    return rows


def _relay_rebuild(settings: Settings, database: DatabaseLocation, sizes: Sizes, report: Report) -> list[Row]:
    if settings.kafka is None:
        return []
    report(f"relay and rebuild at {', '.join(f'{size:,}' for size in sizes.rebuild_sizes)} events")
    relay_size = max([s for s in sizes.rebuild_sizes if s <= sizes.relay_size] or [min(sizes.rebuild_sizes)])
    rebuild_sizes = list(sizes.rebuild_sizes)
    env = dict(os.environ)
    return relay_and_rebuild(settings, database, settings.kafka, rebuild_sizes, relay_size, env, report)


def _migration(settings: Settings, database: DatabaseLocation, sizes: Sizes, report: Report) -> list[Row]:
    """As many plans as the API scenario's people: 100,000 (1,000 quick)."""
    return migration_scenario(settings, database, sizes.people, report)


def _api(settings: Settings, database: DatabaseLocation, sizes: Sizes, report: Report) -> list[Row]:
    report(f"API: loading {sizes.people:,} people")
    return api_scenarios(database, settings, sizes, dict(os.environ), report)


BASELINES = {
    "write path": "(in one process, and with N processes sharing the callers) threads each doing a single-row INSERT + COMMIT of a stored event's size, keyed as the store "
    "is (unique record and version, unique position), synchronous commit",
    "freshness": "embedded: an INSERT + COMMIT, then a read of the row; Kafka: a bare producer, a consumer that "
    "INSERTs the message, then a read of the row",
    "relay": "a bare kafka-python producer of the same messages",
    "rebuild": "a bare consumer (C CRC32C) inserting each message's position and bytes, execute_values per "
    "batch, one COMMIT per batch",
    "reads": "a bare starlette endpoint: the same token check, the same two SQL statements, one access record",
    "history": "the current plan read, and the read model",
    "subscription": "polling the read model",
    "memory": "the bare endpoint's process",
    "mutation over HTTP": "a bare starlette endpoint: the same token check, one event appended at the record's "
    "next version (unique record and version) + COMMIT",
}
"""What each scenario's baseline does, printed under the table (each module's docstring says it in full)."""


def render(rows: list[Row]) -> str:
    header = (
        f"{'scenario':<26} {'measure':<30} {'carerecord':>11} {'baseline':>10} {'ratio':>7}  unit     target"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(
            f"{row.scenario:<26} {row.measure:<30} {row.carerecord:>11.1f} {row.baseline:>10.1f} "
            f"{row.ratio:>7.2f}  {row.unit:<8} {row.target}"
        )
    families = dict.fromkeys(row.scenario.split(",")[0] for row in rows)
    told = [name for name in BASELINES if any(family.startswith(name) for family in families)]
    lines += ["", "baselines:"] + [f"  {name}: {BASELINES[name]}" for name in told]
    return "\n".join(lines)


def write_json(rows: list[Row], path: Path, cores: int) -> None:
    path.write_text(
        json.dumps({"cores": cores, "rows": [asdict(row) | {"ratio": row.ratio} for row in rows]}, indent=2)
        + "\n"
    )
