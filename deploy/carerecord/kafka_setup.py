"""Provisioning the region's Kafka: the internal topic (a full history: never trimmed) and the ACLs that let
the relay write it and the projection workers read it, and nothing else. Run with the admin principal."""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass
from typing import Any

from kafka.admin import (
    ACL,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    KafkaAdminClient,
    NewTopic,
    ResourcePattern,
    ResourceType,
)
from kafka.admin._users import ScramMechanism, UserScramCredentialUpsertion
from kafka.errors import TopicAlreadyExistsError

from carerecord.feed_acls import (
    apply_feed_acls,
    feed_group_prefix,
    feed_username,
    provisioned_organisations,
)
from carerecord.settings import KafkaSettings
from carerecord_messaging.feeds import FEED_PREFIX, feed_topic

RELAY_PRINCIPAL = "User:relay"
PROJECTOR_PRINCIPAL = "User:projector"
FEEDS_PRINCIPAL = "User:feeds"
PROJECTION_GROUP_PREFIX = "carerecord-projections"


def internal_topic(settings: KafkaSettings) -> NewTopic:
    return NewTopic(
        settings.topic,
        num_partitions=settings.partitions,
        replication_factor=1,
        topic_configs={"cleanup.policy": "delete", "retention.ms": "-1"},
    )


def ensure_internal_topic(admin: Any, settings: KafkaSettings) -> bool:
    """Creates the topic if it is missing. Returns whether it was created."""
    try:
        admin.create_topics([internal_topic(settings)])
    except TopicAlreadyExistsError:
        return False
    return True


def region_acls(topic: str) -> list[ACL]:
    def allow(principal: str, operation: ACLOperation, pattern: ResourcePattern) -> ACL:
        return ACL(principal, "*", operation, ACLPermissionType.ALLOW, pattern)

    topic_pattern = ResourcePattern(ResourceType.TOPIC, topic)
    group_pattern = ResourcePattern(
        ResourceType.GROUP, PROJECTION_GROUP_PREFIX, ACLResourcePatternType.PREFIXED
    )
    cluster = ResourcePattern(ResourceType.CLUSTER, "kafka-cluster")
    feeds_pattern = ResourcePattern(ResourceType.TOPIC, FEED_PREFIX, ACLResourcePatternType.PREFIXED)
    grants = {
        RELAY_PRINCIPAL: [
            (ACLOperation.WRITE, topic_pattern),
            (ACLOperation.DESCRIBE, topic_pattern),
            (ACLOperation.CREATE, topic_pattern),
            (ACLOperation.IDEMPOTENT_WRITE, cluster),
        ],
        PROJECTOR_PRINCIPAL: [
            (ACLOperation.READ, topic_pattern),
            (ACLOperation.DESCRIBE, topic_pattern),
            (ACLOperation.READ, group_pattern),
            (ACLOperation.DESCRIBE, group_pattern),
        ],
        FEEDS_PRINCIPAL: [
            (ACLOperation.READ, topic_pattern),
            (ACLOperation.DESCRIBE, topic_pattern),
            (ACLOperation.WRITE, feeds_pattern),
            (ACLOperation.DESCRIBE, feeds_pattern),
            (ACLOperation.IDEMPOTENT_WRITE, cluster),
        ],
    }
    return [allow(principal, operation, on) for principal, each in grants.items() for operation, on in each]


def provision(settings: KafkaSettings) -> list[str]:
    """Idempotent: the topic and ACLs exist afterwards. Returns what it did, for the operator."""
    admin = KafkaAdminClient(**settings.client_options())
    try:
        created = ensure_internal_topic(admin, settings)
        admin.create_acls(region_acls(settings.topic))
        feeds = provisioned_organisations(admin)
        replaced = sum(len(apply_feed_acls(admin, organisation)) for organisation in feeds)
    finally:
        admin.close()
    return [
        f"topic {settings.topic}: {'created' if created else 'already there'} "
        f"({settings.partitions} partitions, retention forever)",
        f"ACLs: {RELAY_PRINCIPAL} may write it; {PROJECTOR_PRINCIPAL} may read it with groups "
        f"{PROJECTION_GROUP_PREFIX}*; {FEEDS_PRINCIPAL} may read it and write {FEED_PREFIX}*; nobody else may",
        f"feeds: {len(feeds)} provider feed users, each reading its own topic with groups feed.<ODS>.*"
        f" ({replaced} older ACLs replaced)",
    ]


def ensure_users(settings: KafkaSettings, passwords: dict[str, str]) -> None:
    """Creates or updates SCRAM users (idempotent), e.g. a principal added after the broker was formatted."""
    admin = KafkaAdminClient(**settings.client_options())
    try:
        admin.alter_user_scram_credentials(
            [
                UserScramCredentialUpsertion(name, ScramMechanism.SCRAM_SHA_256, password)
                for name, password in passwords.items()
            ]
        )
    finally:
        admin.close()


@dataclass(frozen=True)
class FeedAccount:
    organisation: str
    topic: str
    username: str
    password: str
    group_prefix: str


def add_feed(settings: KafkaSettings, organisation: str) -> FeedAccount:
    """A feed for one organisation: its topic, a SCRAM user of its own (a new password each time), and ACLs
    letting it read only that topic with consumer groups of its own (see feed_acls)."""
    username = feed_username(organisation)  # refuses anything but an ODS code
    topic = feed_topic(organisation)
    password = secrets.token_urlsafe(24)
    admin = KafkaAdminClient(**settings.client_options())
    try:
        with contextlib.suppress(TopicAlreadyExistsError):
            admin.create_topics([NewTopic(topic, num_partitions=settings.partitions, replication_factor=1)])
        admin.alter_user_scram_credentials(
            [UserScramCredentialUpsertion(username, ScramMechanism.SCRAM_SHA_256, password)]
        )
        apply_feed_acls(admin, organisation)
    finally:
        admin.close()
    return FeedAccount(organisation, topic, username, password, feed_group_prefix(organisation))


def wait_for_group_coordinator(settings: KafkaSettings, timeout_seconds: float = 120.0) -> bool:
    """Joins a throwaway consumer group once, so that a freshly formatted broker has created its offsets topic
    and elected a coordinator before anyone else needs one. Returns whether a partition was assigned in time."""
    import time

    from kafka import KafkaConsumer

    consumer = KafkaConsumer(
        settings.topic,
        **settings.client_options(),
        group_id=f"{PROJECTION_GROUP_PREFIX}-startup",
        enable_auto_commit=False,
    )
    try:
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            consumer.poll(timeout_ms=500)
            if consumer.assignment():
                return True
        return False
    finally:
        consumer.close()
