"""`carerecord project`: a projection worker, from the region's Kafka topic to the read models."""

from __future__ import annotations

import argparse

from carerecord.commands.shared import Commands, log_to_stderr, process_settings, refuse, subcommand
from carerecord_projections.registry import ADDITIONAL_PROJECTIONS

MAIN_READ_MODELS = "read-models"
GROUP = "carerecord-projections"  # the ACLs allow the projector consumer groups with this prefix only


def add(commands: Commands) -> None:
    project = subcommand(
        commands,
        "project",
        _project,
        help="run a projection worker: Kafka -> read models (several may run at once)",
        description=(
            "Consumes KAFKA_TOPIC in the consumer group carerecord-projections and writes the read models, "
            "committing each batch and its offsets in one PostgreSQL transaction (principal: projector)."
        ),
    )
    project.add_argument(
        "--group",
        help="consumer group; must start with carerecord-projections "
        "(default: carerecord-projections, or carerecord-projections-<projection>)",
    )
    project.add_argument(
        "--projection",
        choices=[MAIN_READ_MODELS, *ADDITIONAL_PROJECTIONS],
        default=MAIN_READ_MODELS,
        help="which projection this worker feeds (default: read-models); a new one back-fills from the start "
        "of the topic at its own pace, without stopping the others",
    )


def _project(arguments: argparse.Namespace) -> int:
    from carerecord.processes import run_projector

    name = arguments.projection
    projection = ADDITIONAL_PROJECTIONS[name]() if name != MAIN_READ_MODELS else None
    group = arguments.group or (GROUP if projection is None else f"{GROUP}-{name}")
    if not group.startswith(GROUP):
        return refuse("--group must start with carerecord-projections (the ACLs allow no other)")
    log_to_stderr()
    run_projector(process_settings(), group, projection)
    return 0
