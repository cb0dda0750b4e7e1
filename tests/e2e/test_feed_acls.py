"""A provider's feed user reads its own feed with consumer groups of its own, and never joins another
organisation's groups, even when one ODS code is a prefix of the other (trust RXF, its site RXF01).

Read with confluent-kafka, as a provider system would, against the real broker and its ACLs.
"""

from __future__ import annotations

import secrets
import string
import time
from typing import Any

from confluent_kafka import Consumer, KafkaError
from kafka import KafkaProducer
from kafka.admin import (
    ACL,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    KafkaAdminClient,
    ResourcePattern,
    ResourceType,
)

from carerecord.feed_acls import acls_of, feed_acls
from carerecord.kafka_setup import FeedAccount, add_feed, provision
from carerecord.settings import KafkaSettings, load_settings
from tests.conftest import kafka_options

CONSUMED = "consumed"


def _trust_and_site() -> tuple[str, str]:
    """A trust's code and one of its sites' codes, which starts with the trust's (as RXF and RXF01 do)."""
    trust = "T" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(5))
    return trust, f"{trust}01"


def _admin_settings(infra: dict[str, str], topic: str = "carerecord.region.events") -> KafkaSettings:
    settings = load_settings(
        {
            "KAFKA_BOOTSTRAP_SERVERS": infra["KAFKA_BOOTSTRAP_SERVERS"],
            "KAFKA_USERNAME": "admin",
            "KAFKA_PASSWORD": infra["KAFKA_ADMIN_PASSWORD"],
            "KAFKA_TOPIC": topic,
            "KAFKA_TOPIC_PARTITIONS": "1",
        }
    )
    assert settings.kafka is not None
    return settings.kafka


def _provision_with_a_message(infra: dict[str, str], organisation: str) -> FeedAccount:
    account = add_feed(_admin_settings(infra), organisation)
    producer = KafkaProducer(**kafka_options(infra))
    producer.send(account.topic, value=b"{}").get(timeout=30)
    producer.close()
    return account


def _consume(infra: dict[str, str], account: FeedAccount, group: str) -> str:
    """Reads one message of the account's own topic in `group`: CONSUMED, or the broker's error's name."""
    consumer = Consumer(
        {
            "bootstrap.servers": infra["KAFKA_BOOTSTRAP_SERVERS"],
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanisms": "SCRAM-SHA-256",
            "sasl.username": account.username,
            "sasl.password": account.password,
            "group.id": group,
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([account.topic])
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None:
                continue
            if message.error() is None:
                return CONSUMED
            error: KafkaError = message.error()
            if error.code() != KafkaError._PARTITION_EOF:
                return str(error.name())
    finally:
        consumer.close()
    raise AssertionError(f"{account.username} neither consumed nor was refused in group {group}")


def _grant_as_earlier_versions_did(admin: Any, organisation: str) -> None:
    """Earlier versions let `feed.<ODS>` join any group whose name starts with `feed.<ODS>`."""
    username = f"feed.{organisation}"
    groups = ResourcePattern(ResourceType.GROUP, username, ACLResourcePatternType.PREFIXED)
    admin.create_acls([ACL(f"User:{username}", "*", ACLOperation.READ, ACLPermissionType.ALLOW, groups)])


def test_a_trusts_feed_user_cannot_join_its_sites_consumer_groups_nor_the_site_the_trusts(
    infra: dict[str, str],
) -> None:
    trust_code, site_code = _trust_and_site()
    trust = _provision_with_a_message(infra, trust_code)
    site = _provision_with_a_message(infra, site_code)

    assert trust.group_prefix == f"feed.{trust_code}."
    assert _consume(infra, trust, f"{trust.group_prefix}main") == CONSUMED
    assert _consume(infra, site, f"{site.group_prefix}main") == CONSUMED
    assert _consume(infra, trust, f"{site.group_prefix}main") == "GROUP_AUTHORIZATION_FAILED"
    assert _consume(infra, site, f"{trust.group_prefix}main") == "GROUP_AUTHORIZATION_FAILED"
    # A group named after the bare user name, as earlier versions allowed, is no longer the feed's own either.
    assert _consume(infra, trust, f"{site.username}") == "GROUP_AUTHORIZATION_FAILED"


def test_feed_add_run_again_replaces_the_prefix_that_earlier_versions_granted(infra: dict[str, str]) -> None:
    trust_code, site_code = _trust_and_site()
    admin = KafkaAdminClient(**kafka_options(infra))
    try:
        _provision_with_a_message(infra, site_code)
        _grant_as_earlier_versions_did(admin, trust_code)

        trust = _provision_with_a_message(infra, trust_code)

        assert sorted(map(repr, acls_of(admin, f"User:{trust.username}"))) == sorted(
            map(repr, feed_acls(trust_code))
        )
    finally:
        admin.close()
    assert _consume(infra, trust, f"feed.{site_code}.main") == "GROUP_AUTHORIZATION_FAILED"
    assert _consume(infra, trust, f"{trust.group_prefix}main") == CONSUMED


def test_kafka_setup_replaces_the_older_prefix_of_every_feed_and_keeps_their_passwords(
    infra: dict[str, str], unique_name: str
) -> None:
    trust_code, site_code = _trust_and_site()
    trust = _provision_with_a_message(infra, trust_code)
    _provision_with_a_message(infra, site_code)
    admin = KafkaAdminClient(**kafka_options(infra))
    try:
        _grant_as_earlier_versions_did(admin, trust_code)
        assert _consume(infra, trust, f"feed.{site_code}.main") == CONSUMED  # the flaw, as provisioned before

        report = provision(_admin_settings(infra, topic=unique_name))

        assert sorted(map(repr, acls_of(admin, f"User:{trust.username}"))) == sorted(
            map(repr, feed_acls(trust_code))
        )
    finally:
        admin.close()
    assert any("older ACLs replaced" in line for line in report)
    assert _consume(infra, trust, f"feed.{site_code}.other") == "GROUP_AUTHORIZATION_FAILED"
    assert _consume(infra, trust, f"{trust.group_prefix}main") == CONSUMED  # the same password still works
