"""Kept states give exactly what replaying from the start gives, for any prefix, in any order of asking."""

from __future__ import annotations

import random

from carerecord_events.base import CareRecordEvent
from carerecord_events.record.evolve import replay
from carerecord_events.record.state import PersonRecord
from carerecord_services import replay_memo
from carerecord_services.replay_memo import ReplayMemo, fold_key
from tests.builders import every_event_type_scenario


def test_a_kept_state_replays_to_the_same_record_as_the_whole_history() -> None:
    scenario = every_event_type_scenario()
    history = scenario.history
    record_id = scenario.record.record_id
    memo = ReplayMemo(every=3)
    lengths = list(range(len(history) + 1)) * 2
    random.Random(7).shuffle(lengths)
    for length in lengths:
        assert memo.replay(record_id, history[:length]) == replay(record_id, history[:length])
    assert memo.replay(record_id, history) == scenario.record


def test_the_memo_forgets_the_least_recently_used_records() -> None:
    scenario = every_event_type_scenario()
    memo = ReplayMemo(every=2, max_records=1)
    other = every_event_type_scenario()
    memo.replay(scenario.record.record_id, scenario.history)
    memo.replay(other.record.record_id, other.history)  # pushes the first record out
    assert memo.replay(scenario.record.record_id, scenario.history) == scenario.record


def test_the_decided_state_is_kept_so_the_next_command_applies_only_the_new_events() -> None:
    scenario = every_event_type_scenario()
    history, record_id = scenario.history, scenario.record.record_id
    memo = ReplayMemo(every=1000)
    memo.replay(record_id, history[:-1])
    applied: list[object] = []
    original = replay_memo.evolve

    def counting(record: PersonRecord, event: CareRecordEvent) -> PersonRecord:
        applied.append(event)
        return original(record, event)

    replay_memo.evolve = counting  # type: ignore[assignment]
    try:
        assert memo.replay(record_id, history) == scenario.record
    finally:
        replay_memo.evolve = original
    assert applied == [history[-1]]


def test_a_state_kept_by_another_fold_is_never_used() -> None:
    scenario = every_event_type_scenario()
    history, record_id = scenario.history, scenario.record.record_id
    older = ReplayMemo(every=1000, fold=fold_key(fold_version=0))
    older.replay(record_id, history)
    shared_states = older._states  # as if one memo outlived a change of fold
    newer = ReplayMemo(every=1000, fold=fold_key())
    newer._states = shared_states
    assert newer.fold != older.fold
    assert all(key[0] == older.fold for key in shared_states)
    assert newer.replay(record_id, history) == replay(record_id, history)
    assert {key[0] for key in shared_states} == {older.fold, newer.fold}


def test_the_fold_key_changes_with_the_upcasters() -> None:
    assert fold_key(upcasters=[("PersonRegistered", 1)]) != fold_key(
        upcasters=[("PersonRegistered", 1), ("PersonRegistered", 2)]
    )
