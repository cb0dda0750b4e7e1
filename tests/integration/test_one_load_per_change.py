"""A change is authorised on the record its use case loads to decide it: one load of the record per command,
counted on the real store (every load still reaches PostgreSQL; the count only watches)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from tests.integration.test_investigations import (
    GP_CLAIMS,
    PARAMEDIC_CLAIMS,
    InProcessApi,
    _cared_for_with_a_plan,
    in_process_api,
)

RAISE_CONCERN = """mutation($id: UUID!) { raiseConcern(recordId: $id, input: {raisedBy: STAFF,
  summary: "The plan was not discussed with her daughter."}) {
  __typename ... on RecordChanged { version } ... on NotAllowedResult { message } } }"""
CARE_HOME_CLAIMS = {"sub": "ch-lee", "role": "care-home-staff", "org": "VM123"}
ASSESS_CAPACITY = """mutation($id: UUID!) { assessCapacity(recordId: $id, input: {decision: CPR_RECOMMENDATION,
  hasCapacity: true, assessorName: "Dr Grey"}) { __typename ... on NotAllowedResult { message } } }"""


@pytest.fixture
def api(test_database_url: str, fresh_schema: str, tmp_path: Path) -> Iterator[InProcessApi]:
    with in_process_api(test_database_url, fresh_schema, tmp_path) as opened:
        yield opened


@pytest.fixture
def loads(api: InProcessApi, monkeypatch: pytest.MonkeyPatch) -> Counter[UUID]:
    """How many times each stream is loaded from the store from now on."""
    counted: Counter[UUID] = Counter()
    load = api.services.store.load

    def counting(record_id: UUID, *args: Any, **kwargs: Any) -> Any:
        counted[record_id] += 1
        return load(record_id, *args, **kwargs)

    monkeypatch.setattr(api.services.store, "load", counting)
    return counted


@pytest.mark.parametrize(
    ("claims", "mutation", "answer", "record_loads"),
    [
        (GP_CLAIMS, RAISE_CONCERN, "RecordChanged", 1),  # granted by the care relationship, then decided
        (PARAMEDIC_CLAIMS, RAISE_CONCERN, "NotAllowedResult", 1),  # refused on the record as loaded
        (
            CARE_HOME_CLAIMS,
            ASSESS_CAPACITY,
            "NotAllowedResult",
            0,
        ),  # a role that may never: the token decides
    ],
    ids=["accepted", "no-care-relationship", "role-never-permitted"],
)
def test_a_change_loads_the_record_at_most_once(
    api: InProcessApi,
    loads: Counter[UUID],
    claims: dict[str, str],
    mutation: str,
    answer: str,
    record_loads: int,
) -> None:
    record_id = _cared_for_with_a_plan(api)
    loads.clear()
    result = api.ask(claims, mutation, id=str(record_id))
    assert result.errors is None
    assert next(iter(result.data.values()))["__typename"] == answer
    assert loads[record_id] == record_loads
