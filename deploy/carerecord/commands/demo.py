"""`carerecord demo`: load the synthetic demo region into its own store, and optionally serve it."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from carerecord.commands.shared import Commands, refuse, subcommand
from carerecord.settings import load_settings


def add(commands: Commands) -> None:
    command = subcommand(
        commands,
        "demo",
        _demo,
        help="load the synthetic demo region (its own store, marked as demo) and optionally serve it",
        description=(
            "Loads a synthetic region into the schema carerecord_demo (or CARERECORD_SCHEMA if set): the "
            "organisation register and population fixtures, thousands of invented people with conversations, "
            "decisions, reviews, revocations, moves, deaths and concerns, and one care home where every "
            "resident got the same reasoning. NHS numbers come from the 999 test range, never issued to anyone. "
            "The store is marked as demo, and loading refuses a store that holds anything else. Running it "
            "again tops the region up to --people and changes nothing else."
        ),
        epilog="Example: carerecord demo --people 3000 --serve",
    )
    command.add_argument("--people", type=int, default=2000, help="how many people (default 2000)")
    command.add_argument("--serve", action="store_true", help="then run the API and portal on the demo store")
    command.add_argument("--host", help="address to listen on with --serve (default CARERECORD_HOST)")
    command.add_argument("--port", type=int, help="port to listen on with --serve (default CARERECORD_PORT)")


class _Bar:
    def __init__(self) -> None:
        self._started = time.monotonic()
        self._last = 0.0
        self._tty = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last < (0.2 if self._tty else 5.0):
            return
        self._last = now
        width = 30
        filled = width * done // max(total, 1)
        rate = done / max(now - self._started, 1e-6)
        line = f"demo region [{'#' * filled}{'.' * (width - filled)}] {done}/{total} people ({rate:,.0f}/s)"
        print(("\r" if self._tty else "") + line, end="" if self._tty else "\n", file=sys.stderr, flush=True)
        if done >= total and self._tty:
            print(file=sys.stderr)


def _demo(arguments: argparse.Namespace) -> int:
    from carerecord.bootstrap import Feeding, build_services
    from carerecord.processes import serve
    from carerecord.tools.demo_region import DEMO_SCHEMA, DemoLoader, DemoRefused
    from carerecord.tools.demo_region.sign_in import sign_in_guide, sign_in_users

    if arguments.people < 1:
        return refuse("--people must be at least 1")
    settings = load_settings()
    # the demo region's read models are fed in-process, whatever else is configured: it is self-contained
    settings = dataclasses.replace(settings, schema=settings.schema or DEMO_SCHEMA, kafka=None)
    services = build_services(settings, feeding=Feeding.AT_START)
    try:
        summary = DemoLoader(services, now=datetime.now(UTC)).load(arguments.people, _Bar())
    except DemoRefused as refused:
        return refuse(f"refused: {refused}", status=1)
    finally:
        services.close()
    print("building the read models...", file=sys.stderr, flush=True)
    build_services(settings, services.database).close()  # every projection catches up as it starts
    if summary.people:
        print(
            f"demo region in schema {settings.schema}: {summary.people} people added, {summary.commands} "
            f"commands recorded, {summary.refused} refused by the rules, in {summary.seconds:.0f} s"
        )
    else:
        print(
            f"demo region in schema {settings.schema}: already loaded ({summary.already} people); nothing added"
        )
    host, port = arguments.host or settings.host, arguments.port or settings.port
    program = _program()
    print(sign_in_guide(services.read_models_dsn, program, f"http://{host}:{port}"), flush=True)
    if arguments.serve:  # the portal's sign-in page lists the same users
        serve(settings, host=host, port=port, demo_sign_in=lambda dsn: sign_in_users(dsn, program))
    return 0


def _program() -> str:
    """This command as the user can type it again: relative to where they are when it is below there."""
    program = Path(sys.argv[0]).resolve() if sys.argv and sys.argv[0] else None
    if program is None or program.name != "carerecord":
        return "carerecord"
    try:
        return str(program.relative_to(Path.cwd()))
    except ValueError:
        return str(program)
