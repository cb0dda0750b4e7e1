"""The web application: GraphQL at /graphql (HTTP and graphql-transport-ws), read-only FHIR R4 at /fhir (see
fhir_api.py), /health and /metrics.

Hardening: query depth, token and alias limits (schema extensions); a maximum request size; no stack traces to
clients (unexpected errors masked, debug off); CORS and WebSocket origins configurable; a per-token rate limit.
Nothing about a request's content is logged.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import strawberry
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from carerecord_graphql.context import Api, ApiContext, context_for
from carerecord_graphql.fhir_api import fhir_routes
from carerecord_graphql.oversight import export_route

HealthReport = dict[str, Any]


@dataclass
class Limits:
    max_request_bytes: int = 256 * 1024
    requests_per_minute: int = 600
    cors_origins: Sequence[str] = ()


class CareRecordGraphQL(GraphQL[ApiContext, None]):
    def __init__(self, schema: strawberry.Schema, api: Api | None, limits: Limits) -> None:
        super().__init__(
            schema,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            allowed_origins=tuple(limits.cors_origins),
            graphql_ide=None,
        )
        self._api = api

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> ApiContext:
        assert self._api is not None, "the API was built without services"
        client = request.client.host if request.client else None
        context = await run_in_threadpool(
            context_for, self._api, request.headers.get("authorization"), client
        )
        context.request, context.response = request, response
        return context


@dataclass
class _Bucket:
    tokens: float
    updated: float = field(default_factory=time.monotonic)


class RateLimit:
    """A token bucket per bearer token (or per client address without one)."""

    def __init__(self, app: ASGIApp, per_minute: int) -> None:
        self._app = app
        self._rate = per_minute / 60.0
        self._capacity = float(per_minute)
        self._buckets: dict[str, _Bucket] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._allow(_caller_key(scope)):
            await self._app(scope, receive, send)
            return
        await JSONResponse({"errors": [{"message": "too many requests; slow down"}]}, status_code=429)(
            scope, receive, send
        )

    def _allow(self, key: str) -> bool:
        now = time.monotonic()
        bucket = self._buckets.setdefault(key, _Bucket(self._capacity, now))
        bucket.tokens = min(self._capacity, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        if bucket.tokens < 1:
            return False
        bucket.tokens -= 1
        return True


def _caller_key(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            return hashlib.sha256(value).hexdigest()
    client = scope.get("client") or ("unknown", 0)
    return f"address:{client[0]}"


class MaximumRequestSize:
    def __init__(self, app: ASGIApp, limit: int) -> None:
        self._app = app
        self._limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and int(declared) > self._limit:
            await self._too_large(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Any:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self._limit:
                raise _TooLarge
            return message

        try:
            await self._app(scope, counting_receive, send)
        except _TooLarge:
            await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        await JSONResponse({"errors": [{"message": "request too large"}]}, status_code=413)(
            scope, receive, send
        )


class _TooLarge(Exception):
    pass


def create_app(
    schema: strawberry.Schema,
    health: Callable[[], HealthReport],
    metrics: Callable[[], str] | None = None,
    api: Api | None = None,
    limits: Limits | None = None,
    pages: Sequence[BaseRoute] = (),
) -> Starlette:
    """`pages`: more routes on the same app and behind the same limits (the portal's)."""
    limits = limits or Limits()

    async def health_endpoint(_: Request) -> JSONResponse:
        report = await run_in_threadpool(health)
        return JSONResponse(report, status_code=200 if report.get("status") == "ok" else 503)

    async def metrics_endpoint(_: Request) -> PlainTextResponse:
        text = await run_in_threadpool(metrics) if metrics else ""
        return PlainTextResponse(text, media_type="text/plain; version=0.0.4")

    graphql_app = CareRecordGraphQL(schema, api, limits)
    return Starlette(
        debug=False,
        routes=[
            Route("/health", health_endpoint, methods=["GET"]),
            Route("/metrics", metrics_endpoint, methods=["GET"]),
            Route("/graphql", graphql_app),
            WebSocketRoute("/graphql", graphql_app),
            *([Route("/oversight/export.csv", export_route(api), methods=["GET"])] if api else []),
            *fhir_routes(api),
            *pages,
        ],
        middleware=[
            Middleware(MaximumRequestSize, limit=limits.max_request_bytes),
            Middleware(RateLimit, per_minute=limits.requests_per_minute),
            Middleware(
                CORSMiddleware,
                allow_origins=list(limits.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["authorization", "content-type"],
            ),
        ],
    )
