"""`carerecord schemas`: the checked-in JSON Schemas of the events, and the GraphQL SDL, regenerated."""

from __future__ import annotations

import argparse

from carerecord.commands.shared import Commands, subcommand

HELP = "write the JSON Schema of every event type into events/carerecord_events/schemas/"
DESCRIPTION = "Regenerates the checked-in JSON Schemas from the event catalogue."


def add(commands: Commands) -> None:
    subcommand(commands, "schemas", _schemas, help=HELP, description=DESCRIPTION)


def _schemas(_: argparse.Namespace) -> int:
    from carerecord_events.jsonschema import write_all
    from carerecord_graphql.schema import export_sdl

    for path in write_all():
        print(path)
    print(export_sdl())
    return 0
