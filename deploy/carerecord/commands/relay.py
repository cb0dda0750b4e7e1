"""`carerecord relay`: the event store published to the region's Kafka topic."""

from __future__ import annotations

import argparse

from carerecord.commands.shared import Commands, log_to_stderr, process_settings, subcommand


def add(commands: Commands) -> None:
    subcommand(
        commands,
        "relay",
        _relay,
        help="publish the event store to the region's Kafka topic, in order, forever",
        description=(
            "Reads the event store's notification log from its checkpoint and publishes each event to "
            "KAFKA_TOPIC as a CloudEvent keyed by the person's record. Survives restarts and broker outages; "
            "never skips an event. Needs KAFKA_BOOTSTRAP_SERVERS (principal: relay)."
        ),
    )


def _relay(_: argparse.Namespace) -> int:
    from carerecord.processes import run_relay

    log_to_stderr()
    run_relay(process_settings())
    return 0
