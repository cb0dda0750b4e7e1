"""`serve` listens before its projections are caught up: the back-fill of a store the projections have not
seen runs in the background (a store of 20,000 people kept /health silent for 35 s when it ran first)."""

from __future__ import annotations

from pathlib import Path

from carerecord.bootstrap import Feeding, Services, build_services
from carerecord.processes import back_fill_in_background
from tests.builders import recommendation, register
from tests.conftest import schema_settings, wait_until


def test_the_api_is_built_without_catching_up_and_the_background_catch_up_brings_every_projection_to_the_store(
    test_database_url: str, fresh_schema: str, tmp_path: Path
) -> None:
    settings = schema_settings(test_database_url, fresh_schema, tmp_path)
    loader = Services(settings, feeding=Feeding.NOT_HERE)  # a bulk load: the store alone
    record_id = loader.care_records.register_person(register()).record_id
    loader.care_records.execute(record_id, recommendation())
    loader.close()

    services = build_services(settings, back_fill_at_start=False)
    try:
        last = services.store.last_position()
        assert len(services.feeders) > 1
        assert all(feeder.position() < last for feeder in services.feeders)  # nothing done before listening
        back_fill_in_background(services)
        wait_until(
            lambda: all(feeder.position() == last for feeder in services.feeders),
            timeout=30,
            failure="the background catch-up did not reach the store",
        )
    finally:
        services.close()
