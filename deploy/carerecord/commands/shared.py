"""What the subcommands share: the registry's types, how they report progress and how they refuse."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from typing import TypeAlias

from carerecord.settings import Settings, load_settings
from carerecord.startup import check_drivers

Handler = Callable[[argparse.Namespace], int]
# argparse names no public type for the object `add_subparsers` returns
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""The `commands` of the top parser, to which each subcommand module's `add` adds its parser."""

USAGE_ERROR = 2


def refuse(message: str, status: int = USAGE_ERROR) -> int:
    """One line on standard error, in the form every refusal of the command takes; returns the exit status."""
    print(f"carerecord: {message}", file=sys.stderr)
    return status


def process_settings() -> Settings:
    """Settings for a long-running process, after checking the drivers it will run on."""
    settings = load_settings()
    check_drivers(settings)
    return settings


def log_to_stderr() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def position_progress(done: int, total: int) -> None:
    width = 30
    filled = width * done // max(total, 1)
    print(f"\r  [{'#' * filled}{'.' * (width - filled)}] {done}/{total} events", end="", flush=True)


def progress(message: str) -> None:
    print(f"  .. {message}", flush=True)


def subcommand(
    commands: Commands, name: str, handler: Handler, *, help: str, description: str, epilog: str | None = None
) -> argparse.ArgumentParser:
    """Adds `carerecord <name>`, run by `handler`, with its help, description and epilog."""
    parser = commands.add_parser(name, help=help, description=description, epilog=epilog)
    parser.set_defaults(handler=handler)
    return parser
