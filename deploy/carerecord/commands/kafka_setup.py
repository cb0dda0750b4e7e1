"""`carerecord kafka-setup`: the region's topic and the ACLs of the relay and the projection workers."""

from __future__ import annotations

import argparse

from carerecord.commands.shared import Commands, subcommand
from carerecord.settings import load_settings

HELP = "create the region's topic and ACLs (run once with the admin principal)"
DESCRIPTION = "Creates KAFKA_TOPIC (retained forever) and the ACLs for the relay and projection workers."


def add(commands: Commands) -> None:
    subcommand(commands, "kafka-setup", _kafka_setup, help=HELP, description=DESCRIPTION)


def _kafka_setup(_: argparse.Namespace) -> int:
    from carerecord.kafka_setup import provision

    for line in provision(load_settings().kafka_for("kafka-setup")):
        print(line)
    return 0
