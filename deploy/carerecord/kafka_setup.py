"""Provisioning the region's Kafka: the internal topic (a full history: never trimmed) and the ACLs that let
the relay write it and the projection workers read it, and nothing else. Run with the admin principal."""

from __future__ import annotations

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
from kafka.errors import TopicAlreadyExistsError

from carerecord.settings import KafkaSettings

RELAY_PRINCIPAL = "User:relay"
PROJECTOR_PRINCIPAL = "User:projector"
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
    return [
        allow(RELAY_PRINCIPAL, ACLOperation.WRITE, topic_pattern),
        allow(RELAY_PRINCIPAL, ACLOperation.DESCRIBE, topic_pattern),
        allow(RELAY_PRINCIPAL, ACLOperation.IDEMPOTENT_WRITE, cluster),
        allow(PROJECTOR_PRINCIPAL, ACLOperation.READ, topic_pattern),
        allow(PROJECTOR_PRINCIPAL, ACLOperation.DESCRIBE, topic_pattern),
        allow(PROJECTOR_PRINCIPAL, ACLOperation.READ, group_pattern),
        allow(PROJECTOR_PRINCIPAL, ACLOperation.DESCRIBE, group_pattern),
    ]


def provision(settings: KafkaSettings) -> list[str]:
    """Idempotent: the topic and ACLs exist afterwards. Returns what it did, for the operator."""
    admin = KafkaAdminClient(**settings.client_options())
    try:
        created = ensure_internal_topic(admin, settings)
        admin.create_acls(region_acls(settings.topic))
    finally:
        admin.close()
    return [
        f"topic {settings.topic}: {'created' if created else 'already there'} "
        f"({settings.partitions} partitions, retention forever)",
        f"ACLs: {RELAY_PRINCIPAL} may write it; {PROJECTOR_PRINCIPAL} may read it with groups "
        f"{PROJECTION_GROUP_PREFIX}*; nobody else may",
    ]
