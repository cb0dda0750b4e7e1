"""A stage with work pending that does not advance for the stall time is named; one that moves is not."""

from __future__ import annotations

from carerecord.lag import StallWatch


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_stage_stuck_at_one_position_with_work_pending_is_stalled_once_the_stall_time_passes() -> None:
    clock = Clock()
    watch = StallWatch(60, clock)
    assert watch.observe("relay", 41, pending=3) is None
    clock.now += 59
    assert watch.observe("relay", 41, pending=5) is None
    clock.now += 1
    assert watch.observe("relay", 41, pending=5) == 60


def test_a_stage_that_advances_is_never_stalled_however_much_is_pending() -> None:
    clock = Clock()
    watch = StallWatch(60, clock)
    for position in range(10):
        assert watch.observe("relay", position, pending=10_000) is None
        clock.now += 59


def test_a_stage_with_nothing_pending_is_idle_not_stalled_and_its_wait_starts_again_when_work_arrives() -> (
    None
):
    clock = Clock()
    watch = StallWatch(60, clock)
    assert watch.observe("projection", 7, pending=0) is None
    clock.now += 3600
    assert watch.observe("projection", 7, pending=0) is None
    assert watch.observe("projection", 7, pending=1) is None  # work just arrived: its clock starts now
    clock.now += 30
    assert watch.observe("projection", 7, pending=1) is None
