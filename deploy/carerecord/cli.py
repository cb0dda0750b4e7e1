"""The `carerecord` command: one entry point for people, scripts and CI.

The subcommands live in `carerecord.commands`, one module each; this builds the top parser from that registry
and hands the parsed arguments to the chosen subcommand's handler.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from carerecord.commands import add_all
from carerecord.commands.shared import USAGE_ERROR, Handler, refuse
from carerecord.settings import SettingsError

INTERRUPTED = 130


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    arguments = parser.parse_args(argv)
    handler: Handler | None = getattr(arguments, "handler", None)
    if handler is None:
        parser.print_help()
        return USAGE_ERROR
    try:
        return handler(arguments)
    except SettingsError as error:
        return refuse(str(error))
    except KeyboardInterrupt:
        return INTERRUPTED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="carerecord",
        description=(
            "carerecord: a regional shared care record for advance care planning and DNACPR decisions. "
            "Every conversation, decision, review and revocation is an immutable event."
        ),
        epilog=(
            "Settings come from the environment: DATABASE_URL (unset: an embedded PostgreSQL under "
            "CARERECORD_DATA_DIR), KAFKA_BOOTSTRAP_SERVERS (unset: projections fed in-process), "
            "CARERECORD_HOST, CARERECORD_PORT, CARERECORD_CIPHER_KEY. See README.md."
        ),
    )
    add_all(parser.add_subparsers(title="commands", metavar="COMMAND"))
    return parser


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
