"""The web application: GraphQL at /graphql and an honest health check at /health."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL

HealthReport = dict[str, Any]


def create_app(
    schema: strawberry.Schema, health: Callable[[], HealthReport], metrics: Callable[[], str] | None = None
) -> Starlette:
    async def health_endpoint(_: Request) -> JSONResponse:
        report = await run_in_threadpool(health)
        return JSONResponse(report, status_code=200 if report.get("status") == "ok" else 503)

    async def metrics_endpoint(_: Request) -> PlainTextResponse:
        text = await run_in_threadpool(metrics) if metrics else ""
        return PlainTextResponse(text, media_type="text/plain; version=0.0.4")

    graphql_app: GraphQL[None, None] = GraphQL(schema)
    return Starlette(
        routes=[
            Route("/health", health_endpoint, methods=["GET"]),
            Route("/metrics", metrics_endpoint, methods=["GET"]),
            Route("/graphql", graphql_app),
            WebSocketRoute("/graphql", graphql_app),
        ]
    )
