"""The bare baselines that run as processes of their own, so that their speed and peak memory are measured the
way carerecord's processes are: `python -m carerecord.tools.bench.bare serve|consume ...`.

- `serve`: a bare starlette endpoint on its own uvicorn. At /mutation, the write baseline: the same token check,
  then one event appended at the record's next version (unique record and version, as the store) + COMMIT.
  At /graphql, the read baseline. It checks the bearer token with the same TokenVerifier,
  runs the same two SQL statements as the GraphQL `person` query (the current plan by NHS number, the care
  relationship), writes one access record as a single-row INSERT + COMMIT into an access table with the
  access log's columns (where carerecord appends an audit event and projects it into access_log), and returns
  the same JSON. It keeps a small psycopg2 connection pool, as a hand-written endpoint would.
- `consume`: reads a whole topic without a consumer group and INSERTs each message's position and bytes with
  execute_values per batch, committing each batch: the least any Kafka-fed rebuild can do.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

import psycopg2
import psycopg2.extras
import psycopg2.pool
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from carerecord_graphql.auth import AuthenticationFailed, Principal, TokenVerifier

if TYPE_CHECKING:
    from carerecord.settings import Settings

psycopg2.extras.register_uuid()  # type: ignore[no-untyped-call]

BARE_ACCESS_DDL = """
CREATE TABLE IF NOT EXISTS bare_access_log (
    access_id uuid PRIMARY KEY,
    record_id uuid NOT NULL,
    at timestamptz NOT NULL,
    granted boolean NOT NULL,
    version_shown integer,
    operation text NOT NULL,
    purpose text NOT NULL,
    user_id text NOT NULL,
    role text NOT NULL,
    organisation text NOT NULL
);
CREATE INDEX IF NOT EXISTS bare_access_log_by_record ON bare_access_log (record_id, at);
CREATE TABLE IF NOT EXISTS bare_events (
    record_id uuid NOT NULL,
    version integer NOT NULL,
    topic text NOT NULL,
    body bytea NOT NULL,
    position bigserial UNIQUE,
    PRIMARY KEY (record_id, version)
);
"""
BARE_WRITE = """INSERT INTO bare_events (record_id, version, topic, body)
SELECT %(record)s, coalesce(max(version), 0) + 1, 'ConversationRecorded/v1', %(body)s
FROM bare_events WHERE record_id = %(record)s RETURNING version"""
"""One event appended at the record's next version, the unique key guarding it, as the store appends."""


def bare_app(dsn: str, verifier: TokenVerifier) -> Starlette:
    pool = psycopg2.pool.ThreadedConnectionPool(1, 16, dsn)
    connection = pool.getconn()
    with connection, connection.cursor() as cursor:
        cursor.execute(BARE_ACCESS_DDL)
    pool.putconn(connection)

    def person(authorization: str | None, nhs_number: str) -> tuple[int, dict[str, Any]]:
        try:
            caller = verifier.verify(authorization)
        except AuthenticationFailed as refused:
            return 401, {"errors": [{"message": str(refused)}]}
        connection = pool.getconn()
        try:
            with connection, connection.cursor() as cursor:
                return _person(cursor, caller, nhs_number)
        finally:
            pool.putconn(connection)

    async def endpoint(request: Request) -> JSONResponse:
        body = await request.json()
        status, answer = await run_in_threadpool(
            person, request.headers.get("authorization"), body["variables"]["nhsNumber"]
        )
        return JSONResponse(answer, status_code=status)

    def change(authorization: str | None, record_id: str, body: bytes) -> tuple[int, dict[str, Any]]:
        try:
            verifier.verify(authorization)
        except AuthenticationFailed as refused:
            return 401, {"errors": [{"message": str(refused)}]}
        connection = pool.getconn()
        try:
            with connection, connection.cursor() as cursor:
                cursor.execute(BARE_WRITE, {"record": UUID(record_id), "body": body})
                row = cursor.fetchone()
                assert row is not None
                version = row[0]
        finally:
            pool.putconn(connection)
        return 200, {"data": {"recordConversation": {"__typename": "RecordChanged", "version": version}}}

    async def mutation(request: Request) -> JSONResponse:
        raw = await request.body()
        body = json.loads(raw)
        status, answer = await run_in_threadpool(
            change, request.headers.get("authorization"), body["variables"]["id"], raw
        )
        return JSONResponse(answer, status_code=status)

    return Starlette(
        routes=[Route("/graphql", endpoint, methods=["POST"]), Route("/mutation", mutation, methods=["POST"])]
    )


def _person(cursor: Any, caller: Principal, nhs_number: str) -> tuple[int, dict[str, Any]]:
    """The current plan from the read model, if the caller's organisation cares for the person; the access
    recorded either way, in the same transaction."""
    cursor.execute(
        "SELECT record_id, nhs_number, given_name, family_name, date_of_birth, postcode, died, "
        "version, position, document FROM current_plan WHERE nhs_number = %s",
        (nhs_number,),
    )
    row = cursor.fetchone()
    if row is None:
        return 200, {"data": None, "errors": [{"message": "no such record"}]}
    cursor.execute(
        "SELECT 1 FROM care_relationships WHERE record_id = %s AND organisation = %s AND ended_at IS NULL",
        (row[0], caller.organisation),
    )
    granted = cursor.fetchone() is not None
    _record_access(cursor, caller, row[0], row[7] if granted else None, granted)
    if not granted:
        return 200, {"data": None, "errors": [{"message": "no care relationship"}]}
    return 200, {"data": {"person": {"version": row[7], "currentPlans": _current_plans(row[9])}}}


def _record_access(
    cursor: Any, caller: Principal, record_id: UUID, version_shown: int | None, granted: bool
) -> None:
    cursor.execute(
        "INSERT INTO bare_access_log VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            uuid.uuid4(),
            record_id,
            datetime.now(UTC),
            granted,
            version_shown,
            "person",
            "direct care",
            caller.user_id,
            caller.role.value,
            caller.organisation,
        ),
    )


def _current_plans(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "cpr": plan["cpr"],
            "reviewDue": plan.get("review_due"),
            "awaitingSeniorEndorsement": plan["needs_senior_endorsement"] and not plan.get("endorsed_by"),
            "involvement": {"personInvolved": plan["involvement"]["person_involved"]},
        }
        for plan in document.get("plans", {}).values()
        if plan["status"] == "active"
    ]


def consume(client_options: dict[str, Any], topic: str, dsn: str) -> dict[str, float]:
    from kafka import KafkaConsumer, TopicPartition

    connection = psycopg2.connect(dsn)
    with connection, connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bare_rebuild (position bigint, body bytea)")
        cursor.execute("TRUNCATE bare_rebuild")
    consumer = KafkaConsumer(**client_options, group_id=None, enable_auto_commit=False)
    started = time.perf_counter()
    partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    ends = consumer.end_offsets(partitions)
    remaining = {tp for tp in partitions if ends[tp] > 0}
    rows = 0
    with connection.cursor() as cursor:
        while remaining:
            for partition, messages in consumer.poll(timeout_ms=1000, max_records=1000).items():
                psycopg2.extras.execute_values(
                    cursor,
                    "INSERT INTO bare_rebuild VALUES %s",
                    [(int(dict(m.headers)["carerecord_position"]), m.value) for m in messages],
                )
                connection.commit()
                rows += len(messages)
                if messages[-1].offset + 1 >= ends[partition]:
                    remaining.discard(partition)
    seconds = time.perf_counter() - started
    consumer.close()
    connection.close()
    return {"events": rows, "seconds": seconds}


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)

    from carerecord.settings import load_settings

    settings = load_settings()
    if arguments.action == "serve":
        _serve(settings, Path(arguments.data_dir), arguments.dsn, arguments.port)
        return 0
    assert settings.kafka is not None, "consume needs KAFKA_BOOTSTRAP_SERVERS"
    sys.stdout.write(
        json.dumps(consume(settings.kafka.client_options(), arguments.topic, arguments.dsn)) + "\n"
    )
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m carerecord.tools.bench.bare")
    actions = parser.add_subparsers(dest="action", required=True)
    serve = actions.add_parser("serve")
    serve.add_argument("--port", type=int, required=True)
    serve.add_argument("--dsn", required=True)
    serve.add_argument("--data-dir", required=True, help="where the development signing key is")
    each = actions.add_parser("consume")
    each.add_argument("--topic", required=True)
    each.add_argument("--dsn", required=True)
    return parser


def _serve(settings: Settings, data_dir: Path, dsn: str, port: int) -> None:
    """The bare endpoint on uvicorn, checking tokens signed with the development key in `data_dir`."""
    import uvicorn

    from carerecord.tokens import development_keys
    from carerecord_graphql.auth import TokenSettings

    jwks = development_keys(data_dir).jwks
    verifier = TokenVerifier(TokenSettings(settings.jwt_issuer, settings.jwt_audience, jwks))
    uvicorn.run(bare_app(dsn, verifier), host="127.0.0.1", port=port, access_log=False, log_level="warning")


if __name__ == "__main__":
    sys.exit(main())
