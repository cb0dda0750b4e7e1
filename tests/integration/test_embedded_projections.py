"""The embedded default: the same projection code fed in-process, so a plan is queryable when a use case returns."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from carerecord.bootstrap import Services, build_app, build_services
from carerecord_messaging.rebuild import rebuild_from_store
from carerecord_projections.database import transaction
from carerecord_projections.schema import read_model_checksum
from tests.builders import recommendation, register, valid_nhs_numbers
from tests.conftest import schema_settings


def _services(test_database_url: str, schema: str, tmp_path: Any) -> Services:
    settings = schema_settings(test_database_url, schema, tmp_path)
    return build_services(settings)


def test_a_plan_is_in_the_read_models_when_the_use_case_returns(
    test_database_url: str, fresh_schema: str, tmp_path: Any
) -> None:
    services = _services(test_database_url, fresh_schema, tmp_path)
    try:
        record_id = services.care_records.register_person(register()).record_id
        made = services.care_records.execute(record_id, recommendation())
        with transaction(services.read_models_dsn) as cursor:
            cursor.execute(
                "SELECT version, document->'plans' FROM current_plan WHERE record_id = %s", (record_id,)
            )
            version, plans = cursor.fetchone()
            cursor.execute("SELECT count(*) FROM person_timeline WHERE record_id = %s", (record_id,))
            timeline = cursor.fetchone()[0]
    finally:
        services.close()
    assert version == made.version == 2
    assert timeline == 2
    (plan,) = plans.values()
    assert plan["cpr_code"] == "450476008"


def test_n_events_in_n_timeline_rows_and_a_rebuild_is_identical(
    test_database_url: str, fresh_schema: str, tmp_path: Any
) -> None:
    services = _services(test_database_url, fresh_schema, tmp_path)
    try:
        for number in valid_nhs_numbers(25):
            record_id = services.care_records.register_person(register(nhs_number=number)).record_id
            services.care_records.execute(record_id, recommendation())
        with transaction(services.read_models_dsn) as cursor:
            cursor.execute("SELECT count(*) FROM person_timeline")
            rows = cursor.fetchone()[0]
            incremental = read_model_checksum(cursor)
        rebuilt_events = rebuild_from_store(
            services.store, services.read_models_dsn, as_of=None, progress=None
        )
        with transaction(services.read_models_dsn) as cursor:
            rebuilt = read_model_checksum(cursor)
    finally:
        services.close()
    assert rows == 50
    assert rebuilt_events == 75  # every store position, the 25 NHS number index entries included
    assert rebuilt == incremental


def test_health_and_metrics_report_the_projection_lag(
    test_database_url: str, fresh_schema: str, tmp_path: Any
) -> None:
    settings = schema_settings(test_database_url, fresh_schema, tmp_path)
    services = build_services(settings)
    try:
        services.care_records.register_person(register())
        client = TestClient(build_app(settings, services))
        health = client.get("/health").json()
        metrics = client.get("/metrics").text
    finally:
        services.close()
    assert health["status"] == "ok"
    assert health["lag"]["store_position"] == 2
    assert health["lag"]["projection_lag"] == {"in-process": 0}
    assert 'carerecord_projection_lag_events{partition="in-process"} 0' in metrics


def test_every_kind_of_event_on_a_record_projects(
    test_database_url: str, fresh_schema: str, tmp_path: Any
) -> None:
    from carerecord_services.store import LoadedRecord
    from tests.builders import every_event_type_scenario

    scenario = every_event_type_scenario()
    services = _services(test_database_url, fresh_schema, tmp_path)
    try:
        empty = LoadedRecord(scenario.record.record_id, [], 0, "0" * 64)
        services.writer.append(services.store.chain(empty, scenario.history))
        assert services.feeder is not None
        services.feeder.catch_up()
        with transaction(services.read_models_dsn) as cursor:
            cursor.execute("SELECT count(*), count(DISTINCT event_type) FROM person_timeline")
            rows, kinds = cursor.fetchone()
    finally:
        services.close()
    assert rows == len(scenario.history)
    assert kinds == len({event.TYPE for event in scenario.history})


def test_a_new_projection_back_fills_at_its_own_position_without_stopping_the_others(
    test_database_url: str, fresh_schema: str, tmp_path: Any
) -> None:
    from carerecord_messaging.store_feeder import StoreFeeder
    from carerecord_projections.reviews_due import ReviewsDue

    services = _services(test_database_url, fresh_schema, tmp_path)
    try:
        numbers = valid_nhs_numbers(12)
        for number in numbers[:10]:
            record_id = services.care_records.register_person(register(nhs_number=number)).record_id
            services.care_records.execute(record_id, recommendation())
        with transaction(services.read_models_dsn) as cursor:
            cursor.execute("DROP TABLE reviews_due")  # as if reviews-due were written after these events
            cursor.execute("DELETE FROM projection_position WHERE consumer = 'reviews-due'")
            before = read_model_checksum(cursor)
        assert services.feeder is not None
        main_position = services.feeder.position()
        added = StoreFeeder(services.store, services.read_models_dsn, projection=ReviewsDue())
        added.catch_up()
        with transaction(services.read_models_dsn) as cursor:
            cursor.execute("SELECT count(*) FROM reviews_due")
            back_filled = cursor.fetchone()[0]
            assert read_model_checksum(cursor) == before, "the other read models were not touched"
        assert services.feeder.position() == main_position
        for number in numbers[10:]:  # and both carry on together
            record_id = services.care_records.register_person(register(nhs_number=number)).record_id
            services.care_records.execute(record_id, recommendation())
        added.catch_up()
        with transaction(services.read_models_dsn) as cursor:
            cursor.execute("SELECT count(*) FROM reviews_due")
            after = cursor.fetchone()[0]
    finally:
        services.close()
    assert back_filled == 10
    assert after == 12


def test_read_models_built_before_the_state_was_kept_are_rebuilt_at_start(
    test_database_url: str, fresh_schema: str, tmp_path: Any
) -> None:
    """An upgrade: the read models of an earlier version hold no record state. Fed in-process, they are rebuilt
    from the store when the process starts, and then carry on (before, the first change stopped the feeder)."""
    services = _services(test_database_url, fresh_schema, tmp_path)
    try:
        record_id = services.care_records.register_person(register()).record_id
        services.care_records.execute(record_id, recommendation())
        with transaction(services.read_models_dsn) as cursor:
            built = read_model_checksum(cursor)
            cursor.execute("UPDATE projected_records SET state = NULL")
    finally:
        services.close()
    restarted = _services(test_database_url, fresh_schema, tmp_path)
    try:
        restarted.catch_up()
        with transaction(restarted.read_models_dsn) as cursor:
            rebuilt = read_model_checksum(cursor)
            cursor.execute("SELECT count(*) FROM projected_records WHERE state IS NULL")
            without_state = cursor.fetchone()[0]
        changed = restarted.care_records.execute(record_id, recommendation())
        with transaction(restarted.read_models_dsn) as cursor:
            cursor.execute("SELECT version FROM current_plan WHERE record_id = %s", (record_id,))
            version = cursor.fetchone()[0]
    finally:
        restarted.close()
    assert rebuilt == built
    assert without_state == 0
    assert version == changed.version == 3


def test_a_process_whose_event_another_has_applied_does_not_wait_for_the_position_lock(
    test_database_url: str, fresh_schema: str, tmp_path: Any
) -> None:
    """With several API processes, each feeds the read models after its own change: one whose event another
    process has already applied returns at once, instead of queueing on the position row behind that process's
    next catch-up (held here by a second connection, as a process in the middle of a batch holds it)."""
    import threading

    import psycopg2

    from tests.conftest import dsn

    services = _services(test_database_url, fresh_schema, tmp_path)
    applying = psycopg2.connect(dsn(test_database_url, fresh_schema))
    try:
        record_id = services.care_records.register_person(register()).record_id
        services.care_records.execute(record_id, recommendation())
        assert services.feeder is not None
        with applying.cursor() as cursor:
            cursor.execute(
                "SELECT position FROM projection_position WHERE consumer = 'in-process' FOR UPDATE"
            )
            (held_at,) = cursor.fetchone()
        last = services.store.last_position()
        returned: list[int] = []
        feeding = threading.Thread(target=lambda: returned.append(services.feeder.catch_up()), daemon=True)
        feeding.start()
        feeding.join(10)
        waited = feeding.is_alive()
        applying.rollback()
        feeding.join(10)
    finally:
        applying.close()
        services.close()
    assert held_at == last
    assert not waited, "the caught-up process queued on the position row's lock"
    assert returned == [0]


def test_a_batch_read_before_the_lock_applies_only_what_another_process_has_not(
    test_database_url: str, fresh_schema: str, tmp_path: Any
) -> None:
    """Two API processes feeding the same read models: one reads its batch from the log, then, before it gets
    the position row, the other applies part of that batch. The first applies only the rest: each event once,
    and the read models are those a rebuild makes."""
    from carerecord_messaging.store_feeder import StoreFeeder
    from carerecord_services.event_log import LoggedEvent
    from carerecord_services.store import LoadedRecord
    from tests.builders import every_event_type_scenario

    scenario = every_event_type_scenario()
    services = _services(test_database_url, fresh_schema, tmp_path)
    try:
        first_events = services.store.last_position()
        empty = LoadedRecord(scenario.record.record_id, [], 0, "0" * 64)
        services.writer.append(services.store.chain(empty, scenario.history))  # not fed yet
        last = services.store.last_position()
        other = StoreFeeder(services.store, services.read_models_dsn)
        halfway = (first_events + last) // 2

        class OtherGetsInFirst:
            """The log as the first process reads it, with the other process applying up to halfway meanwhile."""

            def __init__(self) -> None:
                self.reads = 0

            def notifications_after(self, position: int, limit: int) -> list[LoggedEvent]:
                read = list(services.store.notifications_after(position, limit))
                self.reads += 1
                if self.reads == 1:
                    other.catch_up(stop_at=halfway)
                return read

            def last_position(self) -> int:
                return services.store.last_position()

        log = OtherGetsInFirst()
        first = StoreFeeder(log, services.read_models_dsn)
        applied = first.catch_up()
        with transaction(services.read_models_dsn) as cursor:
            cursor.execute("SELECT count(*) FROM person_timeline")
            rows = cursor.fetchone()[0]
            fed = read_model_checksum(cursor)
        position = first.position()
        rebuild_from_store(services.store, services.read_models_dsn, as_of=None, progress=None)
        with transaction(services.read_models_dsn) as cursor:
            rebuilt = read_model_checksum(cursor)
    finally:
        services.close()
    assert log.reads == 1, "the batch read before the lock was used, not read again"
    assert applied == last - halfway
    assert position == last
    assert rows == len(scenario.history)
    assert fed == rebuilt


def test_a_change_made_while_a_backlog_is_applied_waits_a_bounded_time_and_is_applied_all_the_same(
    test_database_url: str, fresh_schema: str, tmp_path: Any
) -> None:
    """The start-up catch-up applies a backlog (held here on the position row, as a long batch holds it)
    while a change is made: the change's use case waits for it no longer than FEED_WAIT_SECONDS, and the thread
    applying the backlog goes round once more, so the change reaches the read models with no change after it.
    (Every mutation of the 100,000-people bench hung behind such a back-fill until the client gave up.)"""
    import threading
    import time

    import psycopg2

    from carerecord.bootstrap import FEED_WAIT_SECONDS, Feeding
    from tests.conftest import dsn

    services = _services(test_database_url, fresh_schema, tmp_path)
    unfed = build_services(services.settings, feeding=Feeding.NOT_HERE, back_fill_at_start=False)
    holding = psycopg2.connect(dsn(test_database_url, fresh_schema))
    first, second = valid_nhs_numbers(2)
    try:
        feeder = services.feeder
        assert feeder is not None
        record_id = services.care_records.register_person(register(nhs_number=first)).record_id
        unfed.care_records.execute(record_id, recommendation())  # the backlog: in the store, not yet fed
        with holding.cursor() as cursor:
            cursor.execute("SELECT 1 FROM projection_position WHERE consumer = 'in-process' FOR UPDATE")
        backlog = threading.Thread(target=feeder.catch_up, daemon=True)
        backlog.start()
        wait_for_the_row(test_database_url)
        started = time.monotonic()
        other = services.care_records.register_person(register(nhs_number=second))  # fed after its append
        took = time.monotonic() - started
        holding.rollback()
        backlog.join(30)
        assert not backlog.is_alive()
        position, last = feeder.position(), services.store.last_position()
        with transaction(services.read_models_dsn) as cursor:
            cursor.execute("SELECT count(*) FROM current_plan WHERE record_id = %s", (other.record_id,))
            (shown,) = cursor.fetchone()
    finally:
        holding.close()
        unfed.close()
        services.close()
    assert FEED_WAIT_SECONDS - 0.5 < took < FEED_WAIT_SECONDS + 5, took
    assert position == last
    assert shown == 1


def wait_for_the_row(database_url: str) -> None:
    """Until a session waits for the position row's lock."""
    import psycopg2

    from tests.conftest import wait_until

    def waiting() -> bool:
        with psycopg2.connect(database_url) as other, other.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND query LIKE '%FROM projection_position WHERE consumer = %FOR UPDATE%'"
            )
            (count,) = cursor.fetchone()
        other.close()
        return bool(count)

    wait_until(waiting, timeout=30, failure="the backlog never reached the position row")
