"""The event log port, as the store implements it (here over the library's in-memory persistence): what the
relay and the in-process feeders read, in store order, after the position they have reached."""

from __future__ import annotations

from carerecord_services.chain import GENESIS
from carerecord_services.event_log import EventLog
from carerecord_services.store import EventStore, LoadedRecord
from tests.builders import Scenario, every_event_type_scenario


def _store_with_one_history() -> tuple[EventStore, Scenario]:
    scenario = every_event_type_scenario()
    store = EventStore({})
    loaded = LoadedRecord(scenario.record.record_id, [], 0, GENESIS)
    store.insert(store.chain(loaded, scenario.history))
    return store, scenario


def test_the_log_gives_the_events_after_a_position_in_store_order_with_their_versions() -> None:
    store, scenario = _store_with_one_history()
    log: EventLog = store
    after_first = log.notifications_after(1, 3)
    assert [each.position for each in after_first] == [2, 3, 4]
    assert [each.stored.originator_version for each in after_first] == [2, 3, 4]
    assert [each.stored.decode() for each in after_first] == scenario.history[1:4]


def test_the_log_stops_at_the_limit_and_knows_its_last_position() -> None:
    store, scenario = _store_with_one_history()
    assert [each.position for each in store.notifications_after(0, 1)] == [1]
    assert store.notifications_after(store.last_position(), 10) == []
    assert store.last_position() == len(scenario.history)
