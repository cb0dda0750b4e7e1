"""`carerecord bench`: speed measured against a baseline in the same run, on the same servers.

Absolute numbers drift on shared machines; ratios hold. Each scenario prints carerecord's figure, the bare
baseline's figure and their ratio. `--quick` is a smoke run (small sizes) that prints figures and asserts none.

One module per family of scenarios: write.py (the write path), freshness.py (commit-to-visible),
relay_rebuild.py (the relay's throughput, the rebuild's cost per event as the store grows), api.py (reads,
history, subscription delivery and the API's memory, against real server processes). loading.py loads large
stores fast with real, chained events; bare.py holds the baselines that run as processes of their own.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from carerecord.bootstrap import Services
from carerecord.settings import Settings
from carerecord.tools.bench.api import api_scenarios
from carerecord.tools.bench.common import Row, bench_schema
from carerecord.tools.bench.freshness import freshness_embedded, freshness_kafka
from carerecord.tools.bench.relay_rebuild import relay_and_rebuild
from carerecord.tools.bench.write import write_path

SCENARIOS = ("write", "freshness", "relay-rebuild", "api")


@dataclass(frozen=True)
class Sizes:
    """How big each scenario runs. The defaults are the full run's; `quick()` is CI's smoke run."""

    write_seconds: float = 10.0
    commands: int = 1000
    rebuild_sizes: tuple[int, ...] = (10_000, 100_000)
    relay_size: int = 100_000  # the relay is compared at this size (the largest rebuild size up to it)
    people: int = 100_000
    read_seconds: float = 20.0
    history_events: int = 1000
    history_reads: int = 200
    subscription_changes: int = 200

    @classmethod
    def quick(cls) -> Sizes:
        return cls(
            write_seconds=1.0,
            commands=100,
            rebuild_sizes=(1_000, 3_000),
            relay_size=3_000,
            people=1_000,
            read_seconds=2.0,
            history_events=300,
            history_reads=20,
            subscription_changes=10,
        )

    @classmethod
    def chosen(cls, quick: bool, rebuild_sizes: tuple[int, ...] | None, people: int | None) -> Sizes:
        """The full run's sizes or the quick one's, with the rebuild sizes and people asked for."""
        sizes = cls.quick() if quick else cls()
        if rebuild_sizes:
            relay_size = min(max(rebuild_sizes), 100_000)
            sizes = dataclasses.replace(sizes, rebuild_sizes=rebuild_sizes, relay_size=relay_size)
        if people:
            sizes = dataclasses.replace(sizes, people=people)
        return sizes


def run(
    settings: Settings,
    sizes: Sizes,
    report: Callable[[str], None],
    only: tuple[str, ...] = SCENARIOS,
) -> list[Row]:
    database = Services(settings).database
    rows: list[Row] = []
    if "write" in only:
        for callers in (8, 32, 64):
            with bench_schema(settings, database) as scratch:
                report(f"write path: {callers} callers")
                rows += write_path(scratch, callers, sizes.write_seconds)
    if "freshness" in only:
        with bench_schema(settings, database) as scratch:
            report(f"freshness, embedded: {sizes.commands} commands at 100/s")
            rows += freshness_embedded(scratch, sizes.commands)
        if settings.kafka is not None:
            with bench_schema(settings, database) as scratch:
                report(f"freshness through Kafka: {sizes.commands} commands at 100/s")
                rows += freshness_kafka(scratch, settings.kafka, sizes.commands)
    if "relay-rebuild" in only and settings.kafka is not None:
        report(f"relay and rebuild at {', '.join(f'{size:,}' for size in sizes.rebuild_sizes)} events")
        relay_size = max(
            [s for s in sizes.rebuild_sizes if s <= sizes.relay_size] or [min(sizes.rebuild_sizes)]
        )
        rows += relay_and_rebuild(
            settings,
            database,
            settings.kafka,
            list(sizes.rebuild_sizes),
            relay_size,
            dict(os.environ),
            report,
        )
    if "api" in only:
        report(f"API: loading {sizes.people:,} people")
        rows += api_scenarios(
            database,
            settings,
            sizes.people,
            sizes.history_events,
            sizes.read_seconds,
            sizes.history_reads,
            sizes.subscription_changes,
            dict(os.environ),
            report,
        )
    return rows


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
    return "\n".join(lines)


def write_json(rows: list[Row], path: Path, cores: int) -> None:
    path.write_text(
        json.dumps({"cores": cores, "rows": [asdict(row) | {"ratio": row.ratio} for row in rows]}, indent=2)
        + "\n"
    )
