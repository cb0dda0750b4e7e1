"""`carerecord rebuild`: every read model rebuilt from scratch, from the store or from Kafka."""

from __future__ import annotations

import argparse
import sys

from carerecord.commands.shared import Commands, position_progress, process_settings, subcommand


def add(commands: Commands) -> None:
    rebuild = subcommand(
        commands,
        "rebuild",
        _rebuild,
        help="rebuild every read model from scratch, from the store or from Kafka",
        description=(
            "Empties the read models and rebuilds them. From Kafka it first checks that the topic holds every "
            "store position and refuses otherwise. Stop the projection workers first."
        ),
    )
    rebuild.add_argument(
        "--from",
        dest="source",
        choices=("store", "kafka"),
        default="store",
        help="where to read the history from (default: store)",
    )
    rebuild.add_argument(
        "--as-of",
        type=int,
        metavar="POSITION",
        help="stop at this store position: the read models as they stood then",
    )
    rebuild.add_argument(
        "--workers",
        type=_workers,
        metavar="N",
        help="from Kafka: processes sharing the topic's partitions (default: one per partition; 1: this "
        "process alone)",
    )


def _workers(value: str) -> int:
    if not value.isascii() or not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of workers, 1 or more")
    return int(value)


def _rebuild(arguments: argparse.Namespace) -> int:
    from carerecord.processes import rebuild
    from carerecord_messaging.rebuild import IncompleteTopic

    print(f"rebuilding the read models from the {arguments.source}", flush=True)
    try:
        result = rebuild(
            process_settings(),
            arguments.source,
            arguments.as_of,
            position_progress,
            workers=arguments.workers,
        )
    except IncompleteTopic as refused:
        print(f"\ncarerecord: refused: {refused}", file=sys.stderr)
        return 1
    print(f"\n{result.events} events applied in {result.seconds:.2f} s ({result.rate:,.0f} events/s)")
    print(f"read model checksum {result.checksum}")
    return 0
