"""How much recording a read costs now that each read is chained onto its person's stream, against the one-event
stream of before, measured in the same run on the same PostgreSQL (a ratio; nothing here is a timed test).

    python -m tests.integration.bench_audit_append [reads] [people] [threads]

Run from the worktree root, with the local infrastructure up (`carerecord infra up`).
"""

from __future__ import annotations

import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID, uuid4

import psycopg2

from carerecord.database import event_store_env
from carerecord.settings import parse_database_url
from carerecord_events.access import RecordAccessed
from carerecord_infra import stack as infra_stack
from carerecord_services.audit import AccessAudit, AccessAuditStore
from carerecord_services.chain import GENESIS
from carerecord_services.store import LoadedRecord
from carerecord_services.writer import GroupWriter
from tests.builders import GP


def _one_event_stream(
    audit: AccessAudit, store: AccessAuditStore, writer: GroupWriter
) -> Callable[[UUID], None]:
    """What record_access did before: its own stream, chained from the genesis hash."""

    def record(record_id: UUID) -> None:
        event = RecordAccessed(
            **audit._common(GP, record_id),
            access_id=uuid4(),
            operation="person",
            purpose="direct care",
            granted=True,
            version_shown=3,
        )
        writer.append(store.chain(LoadedRecord(event.access_id, [], 0, GENESIS), [event]))

    return record


def _timed(record: Callable[[UUID], None], people: list[UUID], reads: int, threads: int) -> float:
    def work(offset: int) -> None:
        for index in range(offset, reads, threads):
            record(people[index % len(people)])

    started = time.perf_counter()
    workers = [threading.Thread(target=work, args=(offset,)) for offset in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - started


def main(reads: int = 2000, people_count: int = 50, threads: int = 8) -> None:
    database_url = infra_stack.settings()["CARERECORD_TEST_DATABASE_URL"]
    schema = f"bench{uuid.uuid4().hex[:10]}"
    connection = psycopg2.connect(database_url)
    connection.autocommit = True
    connection.cursor().execute(f"CREATE SCHEMA {schema}")
    store = AccessAuditStore(event_store_env(parse_database_url(database_url), None, schema=schema))
    writer = GroupWriter(store.insert)
    audit = AccessAudit(store, writer, clock=lambda: datetime.now(UTC))
    people = [uuid4() for _ in range(people_count)]

    def chained(record_id: UUID) -> None:
        audit.record_access(
            GP, record_id, operation="person", purpose="direct care", granted=True, version_shown=3
        )

    before = _one_event_stream(audit, store, writer)
    try:
        for label, threads_now in (("sequential", 1), (f"{threads} threads", threads)):
            _timed(before, people, 200, threads_now)  # warm up both paths
            _timed(chained, people, 200, threads_now)
            old = _timed(before, people, reads, threads_now)
            new = _timed(chained, people, reads, threads_now)
            sys.stdout.write(
                f"{label}: {reads} reads over {people_count} people: one-event streams {old * 1000 / reads:.2f} ms "
                f"a read, per-person chain {new * 1000 / reads:.2f} ms a read, ratio {new / old:.2f}\n"
            )
        one_person = [people[0]]
        old = _timed(before, one_person, reads // 2, threads)
        new = _timed(chained, one_person, reads // 2, threads)
        sys.stdout.write(
            f"{threads} threads reading one person: ratio {new / old:.2f} ({new * 2000 / reads:.2f} ms a read)\n"
        )
    finally:
        writer.close()
        store.close()
        connection.cursor().execute(f"DROP SCHEMA {schema} CASCADE")
        connection.close()


if __name__ == "__main__":
    main(*(int(argument) for argument in sys.argv[1:]))
