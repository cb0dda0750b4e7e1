"""`carerecord serve`: the GraphQL API, the portal and the health check."""

from __future__ import annotations

import argparse

from carerecord.commands.shared import Commands, process_settings, subcommand


def add(commands: Commands) -> None:
    serve = subcommand(
        commands,
        "serve",
        _serve,
        help="run the GraphQL API (/graphql) and health check (/health)",
        description="Runs the API. With no DATABASE_URL it starts an embedded PostgreSQL first.",
    )
    serve.add_argument("--host", help="address to listen on (default CARERECORD_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default CARERECORD_PORT or 8000)")


def _serve(arguments: argparse.Namespace) -> int:
    from carerecord.processes import serve

    settings = process_settings()
    serve(settings, host=arguments.host or settings.host, port=arguments.port or settings.port)
    return 0
