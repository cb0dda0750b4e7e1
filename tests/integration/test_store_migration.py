"""A store written by the eventsourcing library's own recorder (exclusive table lock, no transaction ids) is
migrated when this project's recorder opens it: every event stays readable, in its place, and new events follow."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import psycopg2

from carerecord.database import event_store_env
from carerecord.settings import parse_database_url
from carerecord_services.integrity import verify_chains
from carerecord_services.service import CareRecordService
from carerecord_services.store import EventStore
from carerecord_services.writer import GroupWriter
from tests.builders import recommendation, register, valid_nhs_numbers


def _service(store: EventStore) -> tuple[CareRecordService, GroupWriter]:
    writer = GroupWriter(store.insert)
    clock = lambda: datetime.now(UTC)  # noqa: E731
    return CareRecordService(store, writer, clock=clock, index_key=b"test-index-key-0123456789"), writer


def _columns(database_url: str, schema: str) -> dict[str, Any]:
    connection = psycopg2.connect(database_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT column_name, column_default FROM information_schema.columns "
                "WHERE table_schema = %s AND table_name = 'carerecord_events'",
                (schema,),
            )
            return dict(cursor.fetchall())
    finally:
        connection.close()


def test_a_store_the_library_wrote_is_migrated_and_read_whole(
    test_database_url: str, fresh_schema: str
) -> None:
    env = event_store_env(parse_database_url(test_database_url), None, schema=fresh_schema)
    library = EventStore({**env, "PERSISTENCE_MODULE": "eventsourcing.postgres"})
    service, writer = _service(library)
    old_people = []
    for number in valid_nhs_numbers(3, start=717_000_000):
        person = service.register_person(register(nhs_number=number)).record_id
        service.execute(person, recommendation())
        old_people.append(person)
    writer.close()
    before = [(n.id, n.originator_id, n.originator_version) for n in library.notifications(1, 100)]
    library.close()
    assert "transaction_id" not in _columns(test_database_url, fresh_schema)
    assert len(before) == 9  # 3 x (registered, index entry, recommendation)

    store = EventStore(env)  # this project's recorder: adds the column, the old rows holding 0
    columns = _columns(test_database_url, fresh_schema)
    assert columns["transaction_id"] == "pg_current_xact_id()"
    assert [(n.id, n.originator_id, n.originator_version) for n in store.notifications(1, 100)] == before
    assert store.last_position() == before[-1][0]
    service, writer = _service(store)
    service.execute(old_people[0], recommendation())  # an old record's next version follows its history
    new_person = service.register_person(register(nhs_number=valid_nhs_numbers(1, start=717_100_000)[0]))
    writer.close()
    after = store.notifications_after(before[-1][0], 100)
    assert (after[0].stored.originator_id, after[0].stored.originator_version) == (
        old_people[0],
        3,
    )
    assert new_person.record_id in {each.stored.originator_id for each in after}
    assert [each.position for each in after] == sorted(each.position for each in after)
    assert verify_chains(store).intact
    store.close()

    reopened = EventStore(env)  # a second start finds the column there and changes nothing
    assert _columns(test_database_url, fresh_schema) == columns
    assert reopened.last_position() == after[-1].position
    reopened.close()
