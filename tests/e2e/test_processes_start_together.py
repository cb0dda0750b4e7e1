"""Processes that start at the same moment on a new schema (API workers on separate hosts, `relay` and
`project` beside `serve`) all start: the store's tables, types and functions and the read models' are made
one process at a time. Four processes started together failed on each other's half-made objects ("duplicate
key value violates unique constraint pg_type_typname_nsp_index", "tuple concurrently updated"); later the
checkpoint log's table, made without the lock, did the same in CI. So a second test watches every schema change
a starting process makes, through an event trigger, and requires the schema-changes lock held for each."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest

from carerecord_infra import stack as infra_stack

PROCESS = """
import sys, time
from carerecord.bootstrap import build_services
from carerecord.settings import load_settings
time.sleep(max(0.0, float(sys.argv[1]) - time.time()))  # all four begin at the same instant
services = build_services(load_settings())
services.care_records
services.feeders
print(services.store.last_position())
services.close()
"""


def test_four_processes_starting_together_on_a_new_schema_all_start(
    test_database_url: str, fresh_schema: str, tmp_path: Path
) -> None:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": test_database_url,
        "CARERECORD_SCHEMA": fresh_schema,
        "CARERECORD_DATA_DIR": str(tmp_path),
    }
    at = time.time() + 4  # after every interpreter has imported carerecord
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", PROCESS, str(at)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    ended = [process.communicate(timeout=120) for process in processes]
    failures = [err[-1500:] for (_, err), process in zip(ended, processes, strict=True) if process.returncode]
    assert failures == []
    assert [out.strip() for out, _ in ended] == ["0"] * 4


STARTS = """
from starlette.testclient import TestClient
from carerecord.bootstrap import build_app, build_services
from carerecord.settings import load_settings
services = build_services(load_settings())
services.care_records
services.feeders
services.checkpoints
with TestClient(build_app(services.settings, services)) as client:  # the API's start-up and shut-down
    assert client.get("/health").status_code in (200, 503)
services.close()
"""

WATCH = """
CREATE TABLE IF NOT EXISTS public.{name}_seen (
    tag text, identity text, locked boolean, at timestamptz DEFAULT clock_timestamp()
);
CREATE OR REPLACE FUNCTION public.{name}() RETURNS event_trigger LANGUAGE plpgsql SECURITY DEFINER AS $f$
DECLARE command record;
BEGIN
  FOR command IN SELECT * FROM pg_event_trigger_ddl_commands() WHERE schema_name = '{schema}' LOOP
    INSERT INTO public.{name}_seen (tag, identity, locked) VALUES (
      command.command_tag, command.object_identity,
      EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2
              AND classid::bigint = (hashtext('carerecord schema changes')::bigint & 4294967295)
              AND objid::bigint = (hashtext('{schema}')::bigint & 4294967295)));
  END LOOP;
END $f$;
CREATE EVENT TRIGGER {name} ON ddl_command_end EXECUTE FUNCTION public.{name}();
"""


@pytest.fixture
def superuser(test_database_url: str) -> Iterator[object]:
    """A connection as the server's superuser (event triggers need one), from the local infrastructure's settings."""
    parts = urlsplit(test_database_url)
    password = infra_stack.settings()["POSTGRES_SUPERUSER_PASSWORD"]
    url = urlunsplit(parts._replace(netloc=f"postgres:{password}@{parts.hostname}:{parts.port}"))
    connection = psycopg2.connect(url)
    connection.autocommit = True
    yield connection
    connection.close()


def test_every_schema_change_a_starting_process_makes_holds_the_schema_changes_lock(
    test_database_url: str, fresh_schema: str, tmp_path: Path, superuser: object
) -> None:
    name = f"watch_{fresh_schema}"[:50]
    with superuser.cursor() as cursor:  # type: ignore[attr-defined]
        cursor.execute(WATCH.format(name=name, schema=fresh_schema))
    try:
        started = subprocess.run(
            [sys.executable, "-c", STARTS],
            env={
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "DATABASE_URL": test_database_url,
                "CARERECORD_SCHEMA": fresh_schema,
                "CARERECORD_DATA_DIR": str(tmp_path),
            },
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert started.returncode == 0, started.stderr[-3000:]
    finally:
        with superuser.cursor() as cursor:  # type: ignore[attr-defined]
            cursor.execute(f"DROP EVENT TRIGGER IF EXISTS {name}")
            cursor.execute(f"SELECT tag, identity, locked FROM public.{name}_seen ORDER BY at")
            seen = cursor.fetchall()
            cursor.execute(f"DROP TABLE public.{name}_seen; DROP FUNCTION public.{name}()")
    made = {tag for tag, _, _ in seen}
    assert {"CREATE TABLE", "CREATE INDEX", "CREATE FUNCTION"} <= made, (
        made
    )  # the store's and the read models'
    assert any(identity.endswith(".carerecord_checkpoints") for _, identity, _ in seen), seen
    unlocked = [(tag, identity) for tag, identity, locked in seen if not locked]
    assert unlocked == []
