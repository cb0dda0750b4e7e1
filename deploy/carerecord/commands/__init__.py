"""The subcommands of `carerecord`: one module each, with `add(commands)` adding its parser and handler.

Listed in the order `carerecord --help` shows them. Each module imports what its handler needs inside the
handler, so that `carerecord --help` and every short command start quickly.
"""

from __future__ import annotations

from types import ModuleType

from carerecord.commands import (
    bench,
    checkpoint,
    demo,
    feeds,
    forms,
    infra,
    investigate,
    kafka_setup,
    keygen,
    project,
    rebuild,
    reference,
    relay,
    schemas,
    serve,
    subscribe,
    token,
    verify,
)
from carerecord.commands.shared import Commands

REGISTRY: tuple[ModuleType, ...] = (
    serve,
    infra,
    relay,
    project,
    rebuild,
    kafka_setup,
    feeds,
    schemas,
    token,
    subscribe,
    bench,
    reference,
    forms,
    demo,
    verify,
    checkpoint,
    investigate,
    keygen,
)


def add_all(commands: Commands) -> None:
    for module in REGISTRY:
        module.add(commands)
