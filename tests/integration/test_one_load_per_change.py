"""A change is authorised on the record its use case loads to decide it: one load of the record per command,
counted on the real store (every load still reaches PostgreSQL; the count only watches)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from carerecord.bootstrap import build_api, build_services
from carerecord.settings import load_settings
from carerecord_events.vocabulary import RelationshipBasis, Setting
from carerecord_graphql.schema import build_schema
from carerecord_services import commands as c
from tests.builders import GP, register
from tests.integration.api_server import import_register
from tests.integration.test_investigations import GP_CLAIMS, PARAMEDIC_CLAIMS, InProcessApi

RAISE_CONCERN = """mutation($id: UUID!) { raiseConcern(recordId: $id, input: {raisedBy: STAFF,
  summary: "The plan was not discussed with her daughter."}) {
  __typename ... on RecordChanged { version } ... on NotAllowedResult { message } } }"""
CARE_HOME_CLAIMS = {"sub": "ch-lee", "role": "care-home-staff", "org": "VM123"}
ASSESS_CAPACITY = """mutation($id: UUID!) { assessCapacity(recordId: $id, input: {decision: CPR_RECOMMENDATION,
  hasCapacity: true, assessorName: "Dr Grey"}) { __typename ... on NotAllowedResult { message } } }"""


@pytest.fixture
def api(test_database_url: str, fresh_schema: str, tmp_path: Path) -> Iterator[InProcessApi]:
    settings = load_settings(
        {
            "DATABASE_URL": test_database_url,
            "CARERECORD_SCHEMA": fresh_schema,
            "CARERECORD_DATA_DIR": str(tmp_path),
        }
    )
    services = build_services(settings)
    import_register(services.read_models_dsn)
    yield InProcessApi(settings, services, build_api(settings, services), build_schema())
    services.close()


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


def _cared_for(api: InProcessApi) -> UUID:
    care_records = api.services.care_records
    record_id = care_records.register_person(register()).record_id
    care_records.execute(
        record_id,
        c.StartCareRelationship(
            actor=GP,
            organisation="K81003",
            setting=Setting.GP_PRACTICE,
            basis=RelationshipBasis.REGISTERED_WITH_PRACTICE,
        ),
    )
    return record_id


def test_an_accepted_change_loads_the_record_once(api: InProcessApi, loads: Counter[UUID]) -> None:
    record_id = _cared_for(api)
    loads.clear()
    result = api.ask(GP_CLAIMS, RAISE_CONCERN, id=str(record_id))
    assert result.errors is None and result.data["raiseConcern"]["__typename"] == "RecordChanged"
    assert loads[record_id] == 1


def test_a_change_refused_for_want_of_a_care_relationship_loads_the_record_once(
    api: InProcessApi, loads: Counter[UUID]
) -> None:
    record_id = _cared_for(api)
    loads.clear()
    result = api.ask(PARAMEDIC_CLAIMS, RAISE_CONCERN, id=str(record_id))
    assert result.data["raiseConcern"]["__typename"] == "NotAllowedResult"
    assert loads[record_id] == 1


def test_a_role_that_may_never_make_the_change_is_refused_before_the_record_is_loaded(
    api: InProcessApi, loads: Counter[UUID]
) -> None:
    record_id = _cared_for(api)
    loads.clear()
    result = api.ask(CARE_HOME_CLAIMS, ASSESS_CAPACITY, id=str(record_id))
    assert result.data["assessCapacity"]["__typename"] == "NotAllowedResult"
    assert loads[record_id] == 0
