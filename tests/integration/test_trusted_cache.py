"""Records this process wrote are decided on from its cache; another process's write is found on appending, and
the change is decided again on the record as stored. Who may change a record is always decided on the store."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from carerecord_events.plans import RecommendationMade
from carerecord_services.errors import VersionConflict
from tests.builders import recommendation, register
from tests.conftest import CareRecordStack, open_stack
from tests.integration.test_investigations import (
    GP_CLAIMS,
    InProcessApi,
    _cared_for_with_a_plan,
    in_process_api,
)
from tests.integration.test_one_load_per_change import RAISE_CONCERN


def _store_reads(stack_store: Any, monkeypatch: pytest.MonkeyPatch) -> Counter[UUID]:
    """How many times each record's events are read from PostgreSQL from now on (the reads still happen)."""
    counted: Counter[UUID] = Counter()
    recorder = stack_store.recorder
    select_events = recorder.select_events

    def counting(originator_id: UUID, *args: Any, **kwargs: Any) -> Any:
        counted[originator_id] += 1
        return select_events(originator_id, *args, **kwargs)

    monkeypatch.setattr(recorder, "select_events", counting)
    return counted


@pytest.fixture
def two_processes(
    test_database_url: str, fresh_schema: str
) -> Iterator[tuple[CareRecordStack, CareRecordStack]]:
    first = open_stack(test_database_url, fresh_schema, encrypted=False)
    second = open_stack(test_database_url, fresh_schema, encrypted=False)
    yield first, second
    first.close()
    second.close()


def test_a_record_this_process_wrote_last_is_decided_on_without_reading_it_back(
    two_processes: tuple[CareRecordStack, CareRecordStack], monkeypatch: pytest.MonkeyPatch
) -> None:
    ours, _ = two_processes
    record_id = ours.care_records.register_person(register()).record_id
    ours.care_records.execute(record_id, recommendation())
    reads = _store_reads(ours.store, monkeypatch)
    made = ours.care_records.execute(record_id, recommendation(), expected_version=2)
    assert made.version == 3
    assert reads[record_id] == 0


def test_a_write_by_another_process_is_found_on_appending_and_the_change_decided_again(
    two_processes: tuple[CareRecordStack, CareRecordStack],
) -> None:
    ours, theirs = two_processes
    record_id = ours.care_records.register_person(register()).record_id
    ours.care_records.execute(record_id, recommendation())  # version 2, trusted in our cache
    assert theirs.care_records.execute(record_id, recommendation()).version == 3
    made = ours.care_records.execute(record_id, recommendation())
    assert made.version == 4
    history = theirs.care_records.history(record_id)
    assert [event.event_id for event in history[3:]] == list(made.event_ids)
    assert sum(isinstance(event, RecommendationMade) for event in history) == 3


def test_the_version_a_caller_saw_elsewhere_is_checked_against_the_store_not_the_cache(
    two_processes: tuple[CareRecordStack, CareRecordStack],
) -> None:
    ours, theirs = two_processes
    record_id = ours.care_records.register_person(register()).record_id
    ours.care_records.execute(record_id, recommendation())
    theirs.care_records.execute(record_id, recommendation())  # the caller saw version 3 through them
    assert ours.care_records.execute(record_id, recommendation(), expected_version=3).version == 4
    with pytest.raises(VersionConflict):
        ours.care_records.execute(record_id, recommendation(), expected_version=3)


@pytest.fixture
def api(test_database_url: str, fresh_schema: str, tmp_path: Path) -> Iterator[InProcessApi]:
    with in_process_api(test_database_url, fresh_schema, tmp_path) as opened:
        yield opened


def test_a_change_whose_access_the_record_decides_reads_the_record_from_the_store(
    api: InProcessApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    record_id = _cared_for_with_a_plan(api)  # written by this process: trusted in its cache
    reads = _store_reads(api.services.store, monkeypatch)
    result = api.ask(GP_CLAIMS, RAISE_CONCERN, id=str(record_id))
    assert result.errors is None
    assert result.data["raiseConcern"]["__typename"] == "RecordChanged"
    assert reads[record_id] >= 1
