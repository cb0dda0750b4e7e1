"""The web application: GraphQL at /graphql (HTTP and graphql-transport-ws), read-only FHIR R4 at /fhir (see
fhir_api.py), /health, /metrics and /schemas/ (the JSON Schemas that Kafka messages' `dataschema` names: no
personal data, so open to anyone, behind the same size and rate limits).

Automatic persisted queries (Apollo's protocol, persisted.py) over HTTP: a known hash stands for its query, which
then meets every limit a query sent in full meets.

Hardening: query cost, depth, token and alias limits (schema extensions, limits.py); a maximum request size and
a rate limit per user or client address, on every HTTP request and every websocket message (guards.py); no stack
traces to clients (unexpected errors masked, debug off); CORS and WebSocket origins configurable.
Nothing about a request's content is logged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import strawberry
from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import MissingQueryError
from strawberry.http import GraphQLRequestData
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from carerecord_graphql.context import Api, ApiContext, context_for
from carerecord_graphql.fhir_api import fhir_routes
from carerecord_graphql.guards import MaximumRequestSize, RateLimit, verified_user
from carerecord_graphql.oversight_export import export_route
from carerecord_graphql.persisted import PersistedQueries
from graphql import GraphQLError

HealthReport = dict[str, Any]
SchemaDocuments = Callable[[str], dict[str, Any] | None]
"""A schema by its name under /schemas/ (None: no such schema): the composition root gives messaging's."""


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
        self.persisted = PersistedQueries()

    async def execute_single(
        self,
        request: Request,
        request_adapter: Any,  # strawberry's request adapter
        sub_response: Response,
        context: ApiContext,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """A persisted query's hash is replaced by its text before anything else happens to the request.

        The query or mutation then runs on a worker thread, not on the event loop: its resolvers are plain
        functions that wait on PostgreSQL (the access check, the read model, the access record's commit, a
        mutation's group commit). Run on the loop, each request would hold up every other one for its waits:
        one process would serve one request at a time, and no two mutations could share a group commit.
        Subscriptions stay on the loop (websocket, async generators)."""
        query = self.persisted.resolve(request_data.query, request_data.extensions)
        if isinstance(query, GraphQLError):
            return ExecutionResult(data=None, errors=[query])
        allowed = OperationType.from_http(request_adapter.method)
        if not self.allow_queries_via_get and request_adapter.method == "GET":
            allowed = allowed - {OperationType.QUERY}
        execute = partial(
            self.schema.execute_sync,
            query,
            root_value=root_value,
            variable_values=request_data.variables,
            context_value=context,
            operation_name=request_data.operation_name,
            allowed_operation_types=allowed,
            operation_extensions=request_data.extensions,
        )
        try:
            return await run_in_threadpool(execute)
        except CannotGetOperationTypeError as error:
            raise HTTPException(400, error.as_http_error_reason()) from error
        except InvalidOperationTypeError as error:
            raise HTTPException(400, error.as_http_error_reason(request_adapter.method)) from error
        except MissingQueryError as error:
            raise HTTPException(400, "No GraphQL query found in the request") from error

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> ApiContext:
        assert self._api is not None, "the API was built without services"
        client = request.client.host if request.client else None
        context = await run_in_threadpool(
            context_for, self._api, request.headers.get("authorization"), client
        )
        context.request, context.response = request, response
        return context


def create_app(
    schema: strawberry.Schema,
    health: Callable[[], HealthReport],
    metrics: Callable[[], str] | None = None,
    api: Api | None = None,
    limits: Limits | None = None,
    pages: Sequence[BaseRoute] = (),
    schemas: SchemaDocuments | None = None,
) -> Starlette:
    """`pages`: more routes on the same app and behind the same limits (the portal's)."""
    limits = limits or Limits()

    async def schema_endpoint(request: Request) -> JSONResponse:
        document = schemas(request.path_params["name"]) if schemas else None
        if document is None:
            return JSONResponse({"error": "no such schema"}, status_code=404)
        return JSONResponse(document, media_type="application/schema+json")

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
            Route("/schemas/{name:path}", schema_endpoint, methods=["GET"]),
            Route("/graphql", graphql_app),
            WebSocketRoute("/graphql", graphql_app),
            *([Route("/oversight/export.csv", export_route(api), methods=["GET"])] if api else []),
            *fhir_routes(api),
            *pages,
        ],
        middleware=[
            Middleware(MaximumRequestSize, limit=limits.max_request_bytes),
            Middleware(
                RateLimit,
                per_minute=limits.requests_per_minute,
                identify=verified_user(api.verifier) if api else None,
            ),
            Middleware(
                CORSMiddleware,
                allow_origins=list(limits.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["authorization", "content-type"],
            ),
        ],
    )
