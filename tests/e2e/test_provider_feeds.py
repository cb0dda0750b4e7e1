"""Provider systems' feeds: only the people an organisation cares for, only while it does, never concerns.

Read here with confluent-kafka (not the client carerecord uses) and validated with the cloudevents SDK and the
checked-in JSON Schemas, as a provider system would.
"""

from __future__ import annotations

import json
import os
import secrets
import string
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import referencing
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary_event
from confluent_kafka import Consumer, KafkaError
from kafka import KafkaProducer

from carerecord.bootstrap import build_register
from carerecord.commands.reference import SYNTHETIC
from carerecord.kafka_setup import add_feed
from carerecord.settings import KafkaSettings, load_settings
from carerecord_events.base import Actor, Participant
from carerecord_events.roles import Role
from carerecord_events.vocabulary import (
    ConcernRaisedBy,
    CprRecommendation,
    ReasonCategory,
    RelationshipBasis,
    RevocationInitiator,
    Setting,
)
from carerecord_messaging.feed_backlog import held_counts
from carerecord_messaging.feeds import FeedRouter
from carerecord_messaging.relay import Relay
from carerecord_messaging.urgent_care_feeds import SharedPlans
from carerecord_messaging.wire import SCHEMA_BASE, published_schema
from carerecord_projections.database import transaction
from carerecord_projections.reference import parse_organisations, replace_organisations
from carerecord_services import commands as c
from carerecord_services.audit_streams import person_stream
from carerecord_services.errors import DomainError
from carerecord_services.integrity import verify_chains
from carerecord_services.urgent_care import GrantUrgentCareSharing, WithdrawUrgentCareSharing
from tests.builders import CONSULTANT, GP, THE_PERSON, attorney, recommendation, register, valid_nhs_numbers
from tests.conftest import CareRecordStack, dsn, kafka_options, wait_until
from tests.e2e.audit_support import open_audit
from tests.support.api_server import ApiServer

SEEN_BEFORE = "before the relationship"


def _organisation() -> str:
    return "T" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(6))


def _read_feed(
    infra: dict[str, str], feed_topic: str, username: str, password: str, expected: int
) -> list[KafkaMessage]:
    consumer = Consumer(
        {
            "bootstrap.servers": infra["KAFKA_BOOTSTRAP_SERVERS"],
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanisms": "SCRAM-SHA-256",
            "sasl.username": username,
            "sasl.password": password,
            "group.id": f"{username}.test",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([feed_topic])
    messages: list[KafkaMessage] = []
    try:
        for _ in range(120):
            message = consumer.poll(0.5)
            if message is None:
                if len(messages) >= expected:
                    break
                continue
            assert message.error() is None or message.error().code() == KafkaError._PARTITION_EOF, (
                message.error()
            )
            headers = {key: value for key, value in (message.headers() or [])}
            messages.append(KafkaMessage(headers=headers, key=message.key(), value=message.value()))
    finally:
        consumer.close()
    return messages


def test_a_feed_carries_only_what_happens_while_the_organisation_cares_for_the_person(
    plain: CareRecordStack, infra: dict[str, str], topic: str, test_database_url: str
) -> None:
    """...and, when it starts caring, the plans in force then: the plan made before it came is not sent as the
    event it was, but as the plan in force, at the version the relationship started."""
    database_dsn = dsn(test_database_url, plain.schema)
    organisation = _organisation()
    carer = Actor(user_id="ch-1", role=Role.CARE_HOME_STAFF, organisation=organisation)
    manager = Actor(user_id="ch-manager", role=Role.ADMINISTRATOR, organisation=organisation)
    admin_settings = load_settings(
        {
            "KAFKA_BOOTSTRAP_SERVERS": infra["KAFKA_BOOTSTRAP_SERVERS"],
            "KAFKA_USERNAME": "admin",
            "KAFKA_PASSWORD": infra["KAFKA_ADMIN_PASSWORD"],
        }
    )
    assert admin_settings.kafka is not None
    account = add_feed(admin_settings.kafka, organisation)

    service = plain.care_records
    record_id = service.register_person(register()).record_id
    made = service.execute(
        record_id, recommendation(actor=GP, setting=Setting.GP_PRACTICE)
    )  # before: not on the feed as an event, but as the plan in force when the relationship starts
    started = service.execute(
        record_id,
        c.StartCareRelationship(
            actor=manager,
            organisation=organisation,
            setting=Setting.CARE_HOME,
            basis=RelationshipBasis.RESIDENT_OF_CARE_HOME,
        ),
    )
    service.execute(
        record_id,
        c.RecordConversation(
            actor=carer,
            participants=(Participant(name="Margaret Hale", role="the person"),),
            person_took_part=True,
            what_matters="her garden",
        ),
    )
    service.execute(
        record_id,
        c.RaiseConcern(actor=THE_PERSON, raised_by=ConcernRaisedBy.PERSON, summary="never on a feed"),
    )
    service.execute(
        record_id, c.EndCareRelationship(actor=manager, organisation=organisation, reason="moved")
    )
    plan_id = service.record(record_id).active_plans()[0].plan_id
    service.execute(
        record_id,
        c.RevokePlan(
            actor=CONSULTANT,
            plan_id=plan_id,
            reason="after: not on the feed",
            initiated=RevocationInitiator.CLINICAL,
        ),
    )

    producer = KafkaProducer(**kafka_options(infra, "relay"), acks="all", enable_idempotence=True)
    relay = Relay(plain.store, producer, topic=topic, source="/carerecord/regions/test", dsn=database_dsn)
    while relay.publish_available():
        pass
    producer.close()
    feeds_producer = KafkaProducer(**kafka_options(infra, "feeds"), acks="all", enable_idempotence=True)
    audit = open_audit(test_database_url, plain.schema)
    router = FeedRouter(
        kafka_options(infra, "feeds"),
        feeds_producer,
        topic=topic,
        dsn=database_dsn,
        record_disclosures=audit.audit.record_disclosures,
        record_at_version=service.record_at_version,
        nhs_number_of=service.nhs_number_of,
    )
    wait_until(lambda: router.route_once(200) >= 0 and router.disclosed >= 4)
    router.close()
    feeds_producer.close()
    chained = audit.store.load(person_stream(record_id)).events
    assert verify_chains(audit.store).intact
    audit.close()

    messages = _read_feed(infra, account.topic, account.username, account.password, expected=4)
    types = []
    for message in messages:
        event = from_binary_event(message)
        assert event.get_subject() == str(record_id)
        name = event.get_type().removeprefix("uk.nhs.carerecord.").rpartition(".v")[0]
        validate_feed_data(event.get_dataschema(), event.get_data())
        assert (
            event.get_data()["nhs_number"] == "9434765919"
        )  # beside the payload, so the provider can match it
        assert "nhs_number" not in str(message.headers) and "9434765919" not in str(message.key)
        assert "9434765919" not in str(message.headers) and message.key == str(record_id).encode()
        types.append(name)
    assert types == [
        "CareRelationshipStarted",
        "PlansInForce",
        "ConversationRecorded",
        "CareRelationshipEnded",
    ]
    shared = from_binary_event(messages[1]).get_data()["payload"]
    assert shared["version"] == started.version == made.version + 1
    assert [plan["plan_id"] for plan in shared["plans"]] == [str(plan_id)]
    assert shared["plans"][0]["cpr_code"] == "450476008" and shared["plans"][0]["status"] == "active"

    with transaction(database_dsn) as cursor:
        cursor.execute("SELECT organisation, record_id, event_type FROM feed_disclosures ORDER BY position")
        disclosures = cursor.fetchall()
    assert [(org, rid, kind) for org, rid, kind in disclosures] == [
        (organisation, record_id, t) for t in types
    ]
    # each disclosure is an event of the access audit, chained in the person's stream; the table is its read model
    assert [(type(e).__name__, e.organisation, e.event_type) for e in chained] == [  # type: ignore[attr-defined]
        ("FeedDisclosed", organisation, t) for t in types
    ]


def validate_feed_data(dataschema: str | None, data: Any) -> None:
    """As a provider would: the schema `ce_dataschema` names (here from the functions the API serves them
    with; test_schemas_served fetches them from a running API), its `$ref` to the stored payload's schema too."""
    assert dataschema is not None and dataschema.startswith(SCHEMA_BASE + "feed/")

    def retrieve(uri: str) -> referencing.Resource[Any]:
        document = published_schema(uri.removeprefix(SCHEMA_BASE))
        assert document is not None, uri
        return referencing.Resource.from_contents(document)

    schema = published_schema(dataschema.removeprefix(SCHEMA_BASE))
    assert schema is not None
    jsonschema.Draft202012Validator(
        schema, registry=referencing.Registry(retrieve=retrieve), format_checker=jsonschema.FormatChecker()
    ).validate(data)


def _admin_kafka(infra: dict[str, str]) -> KafkaSettings:
    settings = load_settings(
        {
            "KAFKA_BOOTSTRAP_SERVERS": infra["KAFKA_BOOTSTRAP_SERVERS"],
            "KAFKA_USERNAME": "admin",
            "KAFKA_PASSWORD": infra["KAFKA_ADMIN_PASSWORD"],
        }
    )
    assert settings.kafka is not None
    return settings.kafka


def _publish(plain: CareRecordStack, infra: dict[str, str], topic: str, database_dsn: str) -> None:
    producer = KafkaProducer(**kafka_options(infra, "relay"), acks="all", enable_idempotence=True)
    relay = Relay(plain.store, producer, topic=topic, source="/carerecord/regions/test", dsn=database_dsn)
    while relay.publish_available():
        pass
    producer.close()


def _router(
    infra: dict[str, str],
    topic: str,
    database_dsn: str,
    record_disclosures: Any,
    record_at_version: Any,
    nhs_number_of: Any,
) -> tuple[FeedRouter, KafkaProducer]:
    # A producer waits max_block_ms for a topic that does not exist, then raises: 5 s rather than a minute.
    producer = KafkaProducer(
        **kafka_options(infra, "feeds"), acks="all", enable_idempotence=True, max_block_ms=5000
    )
    router = FeedRouter(
        kafka_options(infra, "feeds"),
        producer,
        topic=topic,
        dsn=database_dsn,
        record_disclosures=record_disclosures,
        record_at_version=record_at_version,
        nhs_number_of=nhs_number_of,
        recheck_seconds=0,
    )
    return router, producer


def _feeds_status(database_url: str, schema: str, tmp_path: Path) -> str:
    """`carerecord feeds --status`, in a process of its own as an operator would run it."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": database_url,
        "CARERECORD_SCHEMA": schema,
        "CARERECORD_DATA_DIR": str(tmp_path / "data"),
    }
    command = [sys.executable, "-m", "carerecord.cli", "feeds", "--status"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


def _types(messages: list[KafkaMessage]) -> list[str]:
    return [
        from_binary_event(m).get_type().removeprefix("uk.nhs.carerecord.").rpartition(".v")[0]
        for m in messages
    ]


def test_an_organisation_without_a_feed_stops_no_other_and_gets_every_event_once_its_feed_is_provisioned(
    plain: CareRecordStack,
    infra: dict[str, str],
    topic: str,
    test_database_url: str,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    database_dsn = dsn(test_database_url, plain.schema)
    provisioned, late = _organisation(), _organisation()
    provisioned_account = add_feed(_admin_kafka(infra), provisioned)
    service = plain.care_records
    record_id = service.register_person(register()).record_id
    for organisation in (provisioned, late):
        manager = Actor(user_id=f"{organisation}-manager", role=Role.ADMINISTRATOR, organisation=organisation)
        service.execute(
            record_id,
            c.StartCareRelationship(
                actor=manager,
                organisation=organisation,
                setting=Setting.CARE_HOME,
                basis=RelationshipBasis.RESIDENT_OF_CARE_HOME,
            ),
        )
    carer = Actor(user_id="ch-1", role=Role.CARE_HOME_STAFF, organisation=late)
    conversation = c.RecordConversation(
        actor=carer,
        participants=(Participant(name="Margaret Hale", role="the person"),),
        person_took_part=True,
        what_matters="her garden",
    )
    service.execute(record_id, conversation)
    _publish(plain, infra, topic, database_dsn)

    audit = open_audit(test_database_url, plain.schema)
    router, producer = _router(
        infra,
        topic,
        database_dsn,
        audit.audit.record_disclosures,
        plain.care_records.record_at_version,
        plain.care_records.nhs_number_of,
    )
    wait_until(lambda: router.route_once(200) >= 0 and router.disclosed >= 3)
    assert router.holding == [late]
    assert held_counts(database_dsn) == {late: 2}
    assert f"{late}: 2 events held" in _feeds_status(test_database_url, plain.schema, tmp_path)
    router.close()  # and restarted below, while the late organisation's events are held
    producer.close()
    assert any(late in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)
    assert not any(str(record_id) in r.getMessage() for r in caplog.records)

    late_account = add_feed(_admin_kafka(infra), late)
    service.execute(record_id, conversation)  # after provisioning: delivered after the held ones
    _publish(plain, infra, topic, database_dsn)
    router, producer = _router(
        infra,
        topic,
        database_dsn,
        audit.audit.record_disclosures,
        plain.care_records.record_at_version,
        plain.care_records.nhs_number_of,
    )
    wait_until(lambda: router.route_once(200) >= 0 and router.disclosed >= 4)
    router.close()
    producer.close()
    audit.close()

    assert held_counts(database_dsn) == {}
    late_feed = _read_feed(infra, late_account.topic, late_account.username, late_account.password, 3)
    assert _types(late_feed) == ["CareRelationshipStarted", "ConversationRecorded", "ConversationRecorded"]
    assert json.loads(late_feed[0].value)["payload"]["organisation"] == late
    provisioned_feed = _read_feed(
        infra, provisioned_account.topic, provisioned_account.username, provisioned_account.password, 4
    )
    assert _types(provisioned_feed) == [
        "CareRelationshipStarted",
        "CareRelationshipStarted",
        "ConversationRecorded",
        "ConversationRecorded",
    ]


def test_a_relationship_on_an_other_basis_stops_receiving_once_lapsed_and_receives_again_once_confirmed(
    plain: CareRecordStack, infra: dict[str, str], topic: str, test_database_url: str
) -> None:
    database_dsn = dsn(test_database_url, plain.schema)
    organisation = _organisation()
    account = add_feed(_admin_kafka(infra), organisation)
    service = plain.care_records
    record_id = service.register_person(register()).record_id
    manager = Actor(user_id=f"{organisation}-manager", role=Role.ADMINISTRATOR, organisation=organisation)
    service.execute(
        record_id,
        c.StartCareRelationship(
            actor=manager,
            organisation=organisation,
            setting=Setting.CARE_HOME,
            basis=RelationshipBasis.OTHER,
            basis_detail="respite stay arranged by her daughter",
            occurred_at=datetime.now(UTC) - timedelta(days=8),  # started eight days ago, never confirmed
        ),
    )
    lapsed = c.RecordConversation(
        actor=GP,
        participants=(Participant(name="Margaret Hale", role="the person"),),
        person_took_part=True,
        what_matters="not for the lapsed home",
    )
    service.execute(record_id, lapsed)
    relationship = service.record(record_id).care_periods[-1].relationship_id
    assert relationship is not None
    service.execute(
        record_id,
        c.ConfirmCareRelationship(actor=manager, organisation=organisation, relationship_id=relationship),
    )
    service.execute(record_id, replace(lapsed, what_matters="for the home again"))
    _publish(plain, infra, topic, database_dsn)
    audit = open_audit(test_database_url, plain.schema)
    router, producer = _router(
        infra,
        topic,
        database_dsn,
        audit.audit.record_disclosures,
        plain.care_records.record_at_version,
        plain.care_records.nhs_number_of,
    )
    wait_until(lambda: router.route_once(200) >= 0 and router.disclosed >= 3)
    router.close()
    producer.close()
    audit.close()

    received = _read_feed(infra, account.topic, account.username, account.password, 3)
    assert _types(received) == [
        "CareRelationshipStarted",
        "CareRelationshipConfirmed",
        "ConversationRecorded",
    ]
    assert json.loads(received[-1].value)["payload"]["what_matters"] == "for the home again"


def test_a_new_carer_without_a_feed_yet_gets_the_plans_in_force_once_its_feed_is_provisioned(
    plain: CareRecordStack, infra: dict[str, str], topic: str, test_database_url: str
) -> None:
    """The plans in force follow the relationship's start wherever it is sent from, here from the held events."""
    database_dsn = dsn(test_database_url, plain.schema)
    late = _organisation()
    service = plain.care_records
    record_id = service.register_person(register()).record_id
    service.execute(record_id, recommendation(actor=GP, setting=Setting.GP_PRACTICE))
    (plan,) = service.record(record_id).active_plans()
    manager = Actor(user_id=f"{late}-manager", role=Role.ADMINISTRATOR, organisation=late)
    started = service.execute(
        record_id,
        c.StartCareRelationship(
            actor=manager,
            organisation=late,
            setting=Setting.CARE_HOME,
            basis=RelationshipBasis.RESIDENT_OF_CARE_HOME,
        ),
    )
    _publish(plain, infra, topic, database_dsn)
    audit = open_audit(test_database_url, plain.schema)
    router, producer = _router(
        infra,
        topic,
        database_dsn,
        audit.audit.record_disclosures,
        service.record_at_version,
        service.nhs_number_of,
    )
    wait_until(lambda: router.route_once(200) >= 0 and held_counts(database_dsn) == {late: 1})
    account = add_feed(_admin_kafka(infra), late)
    wait_until(lambda: router.route_once(200) >= 0 and router.disclosed >= 2)
    router.close()
    producer.close()
    audit.close()

    feed = _read_feed(infra, account.topic, account.username, account.password, 2)
    assert _types(feed) == ["CareRelationshipStarted", "PlansInForce"]
    shared = from_binary_event(feed[1]).get_data()["payload"]
    assert shared["version"] == started.version and shared["organisation"] == late
    assert [p["plan_id"] for p in shared["plans"]] == [str(plan.plan_id)]
    with transaction(database_dsn) as cursor:
        cursor.execute(
            "SELECT event_type FROM feed_disclosures WHERE organisation = %s ORDER BY position", (late,)
        )
        assert sorted(row[0] for row in cursor.fetchall()) == ["CareRelationshipStarted", "PlansInForce"]


def _read_topic(infra: dict[str, str], topic: str, expected: int) -> list[KafkaMessage]:
    """The region's internal topic, read as the broker's administrator."""
    return _read_feed(infra, topic, "admin", infra["KAFKA_ADMIN_PASSWORD"], expected)


def test_a_feed_message_carries_the_nhs_number_in_its_data_and_names_a_schema_the_running_api_serves(
    plain: CareRecordStack, infra: dict[str, str], topic: str, test_database_url: str, tmp_path: Path
) -> None:
    """A provider matches each message to its patient by the NHS number beside the payload (never in the key or
    headers), and fetches the schema `ce_dataschema` names from the API itself; the region's topic keeps the
    payload exactly as stored, and the NHS number index is keyed by the person's record, not by its own id."""
    api = ApiServer(test_database_url, plain.schema, tmp_path).start()
    try:
        base = f"{api.url}/schemas/"
        database_dsn = dsn(test_database_url, plain.schema)
        organisation = _organisation()
        account = add_feed(_admin_kafka(infra), organisation)
        service = plain.care_records
        record_id = service.register_person(register()).record_id
        manager = Actor(user_id=f"{organisation}-manager", role=Role.ADMINISTRATOR, organisation=organisation)
        service.execute(
            record_id,
            c.StartCareRelationship(
                actor=manager,
                organisation=organisation,
                setting=Setting.HOSPITAL,
                basis=RelationshipBasis.ADMITTED,
            ),
        )
        producer = KafkaProducer(**kafka_options(infra, "relay"), acks="all", enable_idempotence=True)
        relay = Relay(
            plain.store,
            producer,
            topic=topic,
            source="/carerecord/regions/test",
            dsn=database_dsn,
            schema_base=base,
        )
        while relay.publish_available():
            pass
        producer.close()
        audit = open_audit(test_database_url, plain.schema)
        feeds_producer = KafkaProducer(**kafka_options(infra, "feeds"), acks="all", enable_idempotence=True)
        router = FeedRouter(
            kafka_options(infra, "feeds"),
            feeds_producer,
            topic=topic,
            dsn=database_dsn,
            record_disclosures=audit.audit.record_disclosures,
            record_at_version=service.record_at_version,
            nhs_number_of=service.nhs_number_of,
            schema_base=base,
        )
        wait_until(lambda: router.route_once(200) >= 0 and router.disclosed >= 1)
        router.close()
        feeds_producer.close()
        audit.close()

        (received,) = _read_feed(infra, account.topic, account.username, account.password, 1)
        event = from_binary_event(received)
        assert event.get_data()["nhs_number"] == "9434765919"
        assert event.get_data()["payload"]["organisation"] == organisation
        assert "9434765919" not in str(received.headers) and received.key == str(record_id).encode()
        dataschema = event.get_dataschema()
        version = event.get_type().rpartition(".v")[2]
        assert dataschema == f"{base}feed/CareRelationshipStarted.v{version}.schema.json"

        def fetch(uri: str) -> Any:
            response = httpx.get(uri, timeout=10)
            assert response.status_code == 200, (uri, response.status_code)
            assert response.headers["content-type"].startswith("application/schema+json")
            return response.json()

        schema = fetch(dataschema)
        assert schema["$id"] == dataschema and "nhs_number" in schema["required"]
        registry: referencing.Registry[Any] = referencing.Registry(
            retrieve=lambda uri: referencing.Resource.from_contents(fetch(uri))
        )
        jsonschema.Draft202012Validator(
            schema, registry=registry, format_checker=jsonschema.FormatChecker()
        ).validate(event.get_data())
        with pytest.raises(
            jsonschema.ValidationError
        ):  # the payload is checked against the event's own schema
            jsonschema.Draft202012Validator(schema, registry=registry).validate(
                {"nhs_number": "9434765919", "payload": {"organisation": organisation}}
            )
        assert httpx.get(f"{base}feed/NoSuchEvent.v1.schema.json", timeout=10).status_code == 404

        region = {m.headers["ce_type"].decode(): m for m in _read_topic(infra, topic, 3)}
        index = region["uk.nhs.carerecord.NhsNumberIndexed.v1"]
        assert index.key == str(record_id).encode()  # not the index stream's id, which the NHS number yields
        assert index.headers["ce_partitionkey"] == str(record_id).encode()
        registered = region["uk.nhs.carerecord.PersonRegistered.v2"]
        stored = plain.store.load(record_id).events[0]
        assert json.loads(registered.value)["nhs_number"] == stored.nhs_number  # type: ignore[attr-defined]
        assert "payload" not in json.loads(registered.value)  # the region's topic: the payload as stored
        assert (
            fetch(registered.headers["ce_dataschema"].decode())["title"]
            == "Person registered on the shared care record"
        )
    finally:
        api.stop()


def _urgent_care_register(database_dsn: str, *urgent: str) -> None:
    """The synthetic register, with urgent and emergency care services of board QWE of this test's own."""
    rows = "".join(
        f"{code},Test Ambulance Service {code},ambulance,QWE,South Downs Integrated Care Board,South East,yes\n"
        for code in urgent
    )
    text = (SYNTHETIC / "organisations.csv").read_text() + rows
    replace_organisations(database_dsn, parse_organisations(text))


def test_an_urgent_care_service_granted_the_regions_plans_gets_the_plans_in_force_and_every_plan_level_change(
    plain: CareRecordStack, infra: dict[str, str], topic: str, test_database_url: str
) -> None:
    """The feeds' access matrix for urgent and emergency care: a service the board granted the region's plans
    receives the plans in force then (as PlansInForce, under the grant) and every later plan-level change of
    everyone in the region, never a conversation or a concern; an urgent care service not granted receives
    nothing; a caring organisation receives what it always did; a withdrawn grant stops. Each recorded."""
    database_dsn = dsn(test_database_url, plain.schema)
    granted, not_granted, caring = _organisation(), _organisation(), _organisation()
    _urgent_care_register(database_dsn, granted, not_granted)
    accounts = {org: add_feed(_admin_kafka(infra), org) for org in (granted, not_granted, caring)}
    service = plain.care_records
    first, second = valid_nhs_numbers(2, start=434_000_000)
    with_plan = service.register_person(register(nhs_number=first)).record_id
    without_plan = service.register_person(register(nhs_number=second)).record_id
    before = service.execute(with_plan, recommendation(actor=GP, setting=Setting.GP_PRACTICE))
    manager = Actor(user_id=f"{caring}-manager", role=Role.ADMINISTRATOR, organisation=caring)
    service.execute(
        with_plan,
        c.StartCareRelationship(
            actor=manager,
            organisation=caring,
            setting=Setting.CARE_HOME,
            basis=RelationshipBasis.RESIDENT_OF_CARE_HOME,
        ),
    )

    audit = open_audit(test_database_url, plain.schema)
    board_admin = Actor(user_id="icb-admin-sam", role=Role.ADMINISTRATOR, organisation="QWE")
    register_port = build_register(database_dsn)
    grant = audit.audit.grant_urgent_care_sharing(
        GrantUrgentCareSharing(board_admin, granted, "crews called to people need their plans at once"),
        register_port,
    )
    with pytest.raises(DomainError) as not_urgent:  # a caring organisation that is not urgent care
        audit.audit.grant_urgent_care_sharing(
            GrantUrgentCareSharing(board_admin, "RXF", "the hospital would like them too"), register_port
        )
    assert not_urgent.value.rule == "not-urgent-and-emergency-care"

    shared = SharedPlans(
        grants=lambda: audit.audit.urgent_care_sharing().granted,
        record_now=service.record_now,
        last_position=plain.store.last_position,
        source="/carerecord/regions/test",
    )

    def caught_up() -> bool:  # the router has read every event the store holds (one message each)
        with transaction(database_dsn) as cursor:
            cursor.execute(
                "SELECT coalesce(sum(next_offset), 0) FROM feed_offsets WHERE topic = %s", (topic,)
            )
            return bool(cursor.fetchone()[0] == plain.store.last_position())

    def route(expected: int) -> None:
        """Publishes what the store holds, then routes it all; `expected`: the disclosures of this round."""
        _publish(plain, infra, topic, database_dsn)
        producer = KafkaProducer(**kafka_options(infra, "feeds"), acks="all", enable_idempotence=True)
        router = FeedRouter(
            kafka_options(infra, "feeds"),
            producer,
            topic=topic,
            dsn=database_dsn,
            record_disclosures=audit.audit.record_disclosures,
            record_at_version=service.record_at_version,
            nhs_number_of=service.nhs_number_of,
            shared_plans=shared,
            recheck_seconds=0,
        )
        wait_until(lambda: router.route_once(200) >= 0 and caught_up() and router.disclosed >= expected)
        assert router.disclosed == expected
        router.close()
        producer.close()

    route(expected=3)  # the caring home's start and its plans in force; the granted service's plans in force
    conversation = c.RecordConversation(
        actor=GP,
        participants=(Participant(name="Margaret Hale", role="the person"),),
        person_took_part=True,
        what_matters="her garden",
    )
    service.execute(with_plan, conversation)  # not plan-level: the caring home only
    service.execute(
        with_plan, c.RaiseConcern(actor=THE_PERSON, raised_by=ConcernRaisedBy.PERSON, summary="never")
    )
    service.execute(without_plan, recommendation(actor=GP, setting=Setting.GP_PRACTICE))  # a plan made after
    (plan,) = service.record(with_plan).active_plans()
    revoke = c.RevokePlan(
        actor=CONSULTANT,
        plan_id=plan.plan_id,
        reason="her wishes changed",
        initiated=RevocationInitiator.CLINICAL,
    )
    service.execute(with_plan, revoke)
    service.execute(without_plan, attorney())
    # granted: the new plan, the revocation, the attorney; the caring home: the conversation, the revocation
    route(expected=3 + 2)

    audit.audit.withdraw_urgent_care_sharing(
        WithdrawUrgentCareSharing(board_admin, granted, "the service now reads plans another way"),
        register_port,
    )
    service.execute(
        without_plan, c.RecordDeath(actor=GP, date_of_death=date(2026, 11, 30), place_of_death="home")
    )
    route(expected=0)  # a death after the withdrawal goes to no one here

    received = {
        org: _read_feed(infra, account.topic, account.username, account.password, expected=4)
        for org, account in accounts.items()
        if org != not_granted
    }
    assert _types(received[caring]) == [
        "CareRelationshipStarted",
        "PlansInForce",
        "ConversationRecorded",
        "PlanRevoked",
    ]
    urgent = [from_binary_event(message) for message in received[granted]]
    by_person: dict[str, list[str]] = {}
    for event in urgent:
        by_person.setdefault(event.get_subject() or "", []).append(event.get_type().rpartition(".")[0])
        validate_feed_data(event.get_dataschema(), event.get_data())
        assert event.get_data()["nhs_number"] in (first, second)
    assert by_person == {
        str(with_plan): ["uk.nhs.carerecord.PlansInForce", "uk.nhs.carerecord.PlanRevoked"],
        str(without_plan): [
            "uk.nhs.carerecord.RecommendationMade",
            "uk.nhs.carerecord.RepresentativeRecorded",
        ],
    }
    plans_in_force = urgent[[e.get_subject() for e in urgent].index(str(with_plan))].get_data()["payload"]
    assert plans_in_force["urgent_care_sharing_id"] == str(grant.access_id)
    assert (
        plans_in_force["version"] == before.version + 1
    )  # the record as it stood when the grant reached the feed
    assert [p["plan_id"] for p in plans_in_force["plans"]] == [str(plan.plan_id)]
    for message in received[granted]:
        assert first not in str(message.headers) and second not in str(message.headers)
        assert first.encode() not in (message.key or b"") and second.encode() not in (message.key or b"")

    with transaction(database_dsn) as cursor:
        cursor.execute(
            "SELECT record_id, event_type FROM feed_disclosures WHERE organisation = %s ORDER BY position",
            (granted,),
        )
        disclosed = sorted((str(record), kind) for record, kind in cursor.fetchall())
    assert disclosed == sorted(
        [
            (str(with_plan), "PlansInForce"),
            (str(with_plan), "PlanRevoked"),
            (str(without_plan), "RecommendationMade"),
            (str(without_plan), "RepresentativeRecorded"),
        ]
    )
    audit.close()


def test_a_new_carer_is_told_when_the_plans_in_force_conflict(
    plain: CareRecordStack, infra: dict[str, str], topic: str, test_database_url: str
) -> None:
    """Two plans in force that disagree about CPR: the PlansInForce message says so, in the current plan's
    words, and validates against its schema."""
    database_dsn = dsn(test_database_url, plain.schema)
    organisation = _organisation()
    account = add_feed(_admin_kafka(infra), organisation)
    service = plain.care_records
    record_id = service.register_person(register()).record_id
    service.execute(record_id, recommendation(actor=GP, setting=Setting.GP_PRACTICE))
    service.execute(
        record_id,
        recommendation(
            cpr=CprRecommendation.ATTEMPT_CPR,
            reason_category=ReasonCategory.CPR_RECOMMENDED,
            reasoning="Wishes to have CPR attempted; heart and lungs are strong after her recovery.",
        ),
    )
    manager = Actor(user_id=f"{organisation}-manager", role=Role.ADMINISTRATOR, organisation=organisation)
    service.execute(
        record_id,
        c.StartCareRelationship(
            actor=manager,
            organisation=organisation,
            setting=Setting.CARE_HOME,
            basis=RelationshipBasis.RESIDENT_OF_CARE_HOME,
        ),
    )
    _publish(plain, infra, topic, database_dsn)
    audit = open_audit(test_database_url, plain.schema)
    router, producer = _router(
        infra,
        topic,
        database_dsn,
        audit.audit.record_disclosures,
        service.record_at_version,
        service.nhs_number_of,
    )
    wait_until(lambda: router.route_once(200) >= 0 and router.disclosed >= 2)
    router.close()
    producer.close()
    audit.close()

    feed = _read_feed(infra, account.topic, account.username, account.password, 2)
    assert _types(feed) == ["CareRelationshipStarted", "PlansInForce"]
    event = from_binary_event(feed[1])
    assert event.get_type() == "uk.nhs.carerecord.PlansInForce.v2"
    validate_feed_data(event.get_dataschema(), event.get_data())
    shared = event.get_data()["payload"]
    assert len(shared["plans"]) == 2
    assert [conflict["code"] for conflict in shared["plan_conflicts"]] == [
        "more-than-one-plan-in-force",
        "cpr-recommendations-disagree",
    ]
    assert "disagree about CPR" in shared["plan_conflicts"][1]["description"]
