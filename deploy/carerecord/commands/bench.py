"""`carerecord bench`: speed measured against bare baselines in the same run, on the same servers."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from carerecord.commands.shared import Commands, process_settings, progress, refuse, subcommand


def add(commands: Commands) -> None:
    bench = subcommand(
        commands,
        "bench",
        _bench,
        help="measure speed against bare baselines in the same run, and print the ratios",
        description=(
            "Runs each scenario and its baseline on the same servers and prints a table (and --json FILE). "
            "Uses DATABASE_URL and, when set, KAFKA_* (with a principal allowed to create topics). "
            "Scratch schemas and topics are created per run; the schemas are dropped afterwards."
        ),
    )
    bench.add_argument("--quick", action="store_true", help="a small smoke run (CI): figures, no assertions")
    bench.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as JSON")
    bench.add_argument(
        "--rebuild-sizes",
        type=_sizes,
        metavar="N,N,...",
        help="store sizes, in events, to relay and rebuild (default 10000,100000; --quick 1000,3000); "
        "e.g. 10000,100000,1000000 to show the cost per event stays flat up to a million",
    )
    bench.add_argument(
        "--people", type=int, metavar="N", help="people loaded for the API scenarios (default 100000)"
    )
    bench.add_argument(
        "--only",
        type=lambda text: tuple(text.split(",")),
        metavar="SCENARIOS",
        help="run only these, comma-separated: write, freshness, relay-rebuild, api, migration (default: all)",
    )


def _bench(arguments: argparse.Namespace) -> int:
    from carerecord.tools import bench

    unknown = set(arguments.only or ()) - set(bench.SCENARIOS)
    if unknown:
        return refuse(f"--only: no scenario {', '.join(sorted(unknown))}")
    sizes = bench.Sizes.chosen(arguments.quick, arguments.rebuild_sizes, arguments.people)
    rows = bench.run(process_settings(), sizes, progress, arguments.only or bench.SCENARIOS)
    print(bench.render(rows))
    cores = os.cpu_count() or 0
    print(f"({cores} cores; ratio = carerecord / baseline)")
    if arguments.json:
        bench.write_json(rows, arguments.json, cores)
    return 0


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(sorted(int(part) for part in text.split(",")))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes like 10000,100000, got {text!r}") from None
    if not sizes or min(sizes) < 100:
        raise argparse.ArgumentTypeError("each size must be at least 100 events")
    return sizes
