"""Writes large groups through the group writer, in a process of its own (so that the psycopg implementation
can be chosen with PSYCOPG_IMPL), and prints what it found as JSON. Used by test_freezes.py."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import uuid

import psycopg
from eventsourcing.persistence import StoredEvent

from carerecord.database import event_store_env
from carerecord.settings import parse_database_url
from carerecord_services.errors import StoreUnavailable
from carerecord_services.store import EventStore
from carerecord_services.writer import GroupWriter

CALLERS = 16
EVENTS_PER_CALLER = 10
PAYLOAD_BYTES = 200_000  # 16 callers x 10 events x 200 KB: 32 MB in flight at once


def main(database_url: str, schema: str, recorder: str) -> None:
    env = event_store_env(parse_database_url(database_url), None, schema=schema)
    if recorder == "library":
        env["PERSISTENCE_MODULE"] = "eventsourcing.postgres"  # the library's pipelined insert
    store = EventStore(env)
    writer = GroupWriter(store.insert, interrupt=store.interrupt_insert)
    payload = os.urandom(PAYLOAD_BYTES)
    outcomes: list[str] = []

    def one_caller() -> None:
        record = uuid.uuid4()
        try:
            writer.append(
                [StoredEvent(record, v, "Large/v1", payload) for v in range(1, EVENTS_PER_CALLER + 1)],
                timeout=10,
            )
            outcomes.append("committed")
        except StoreUnavailable:
            outcomes.append("store-unavailable")

    started = time.monotonic()
    callers = [threading.Thread(target=one_caller, daemon=True) for _ in range(CALLERS)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(timeout=60)
    sys.stdout.write(
        json.dumps(
            {
                "implementation": psycopg.pq.__impl__,
                "seconds": time.monotonic() - started,
                "answered": len(outcomes),
                "committed": outcomes.count("committed"),
                "store_unavailable": outcomes.count("store-unavailable"),
                "transactions": writer.statistics.transactions,
                "stored": len(store.notifications(1, 10_000)) if recorder != "library" else None,
            }
        )
        + "\n"
    )
    sys.stdout.flush()
    os._exit(0)  # a library insert may still be stuck: do not wait for it


if __name__ == "__main__":
    main(*sys.argv[1:4])
