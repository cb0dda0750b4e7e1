"""`carerecord serve`: the GraphQL API, the portal and the health check."""

from __future__ import annotations

import argparse

from carerecord.commands.shared import Commands, process_settings, refuse, subcommand


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
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="API processes on the one address (default 1); more than one needs DATABASE_URL. See README's "
        "'Several API processes'",
    )


def _serve(arguments: argparse.Namespace) -> int:
    from carerecord.processes import serve

    settings = process_settings()
    if arguments.workers < 1:
        return refuse("--workers: at least 1")
    if arguments.workers > 1 and settings.embedded:
        return refuse("--workers: several API processes need a PostgreSQL server of their own (DATABASE_URL)")
    host, port = arguments.host or settings.host, arguments.port or settings.port
    serve(settings, host=host, port=port, workers=arguments.workers)
    return 0
