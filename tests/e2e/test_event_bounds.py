"""Item 9 of issue 11, second depth: no accepted event is too large to publish, so none can stop the relay."""

from __future__ import annotations

from typing import Any

import pytest
from kafka import KafkaConsumer, TopicPartition

from carerecord_events.base import Participant
from carerecord_services.errors import EventTooLarge, InvalidInput
from tests.builders import involved, recommendation, register
from tests.conftest import CareRecordStack, dsn, kafka_options
from tests.e2e.test_events_through_kafka import publish_everything


def consulting(people: int, name_length: int) -> Any:
    return recommendation(
        involvement=involved(
            consulted=tuple(
                Participant(name=f"{i:06d}" + "x" * name_length, role="friend") for i in range(people)
            )
        )
    )


def test_a_recommendation_with_a_hundred_thousand_people_consulted_is_refused_naming_the_field(
    plain: CareRecordStack,
) -> None:
    record_id = plain.care_records.register_person(register()).record_id
    before = plain.store.last_position()
    with pytest.raises(InvalidInput) as refused:
        plain.care_records.execute(record_id, consulting(100_000, 20))
    assert refused.value.field == "involvement.consulted"
    assert refused.value.rule == "too-many-entries"
    assert plain.store.last_position() == before


def test_a_text_longer_than_twenty_thousand_characters_is_refused_naming_the_field(
    plain: CareRecordStack,
) -> None:
    record_id = plain.care_records.register_person(register()).record_id
    with pytest.raises(InvalidInput) as refused:
        plain.care_records.execute(record_id, recommendation(reasoning="Metastatic disease. " * 1_001))
    assert (refused.value.field, refused.value.rule) == ("reasoning", "text-too-long")


def test_a_change_within_every_bound_but_too_large_to_publish_is_refused_at_the_stores_door(
    plain: CareRecordStack,
) -> None:
    record_id = plain.care_records.register_person(register()).record_id
    before = plain.store.last_position()
    with pytest.raises(EventTooLarge) as refused:
        plain.care_records.execute(record_id, consulting(100, 15_000))  # 1.5 MB in one event
    assert refused.value.rule == "event-too-large" and refused.value.field == "RecommendationMade"
    assert "1,000,000" in refused.value.message
    assert plain.store.last_position() == before


def test_a_large_but_legal_recommendation_is_accepted_and_relayed(
    plain: CareRecordStack, infra: dict[str, str], topic: str, test_database_url: str
) -> None:
    record_id = plain.care_records.register_person(register()).record_id
    plain.care_records.execute(record_id, consulting(100, 9_000))  # about 0.9 MB
    last = plain.store.last_position()
    relay = publish_everything(plain, infra, topic, dsn(test_database_url, plain.schema))
    assert relay.checkpoint() == last
    consumer = KafkaConsumer(**kafka_options(infra), group_id=None, enable_auto_commit=False)
    partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
    consumer.assign(partitions)
    consumer.seek_to_beginning()
    sizes: list[int] = []
    for _ in range(50):
        for records in consumer.poll(timeout_ms=500).values():
            sizes += [
                len(r.value) for r in records if dict(r.headers)["ce_type"].endswith(b"RecommendationMade.v2")
            ]
        if sizes:
            break
    consumer.close()
    assert sizes and 900_000 < sizes[0] < 1_000_000
