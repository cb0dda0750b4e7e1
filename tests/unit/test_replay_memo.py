"""Kept states give exactly what replaying from the start gives, for any prefix, in any order of asking."""

from __future__ import annotations

import random

from carerecord_events.record.evolve import replay
from carerecord_services.replay_memo import ReplayMemo
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
