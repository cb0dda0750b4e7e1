"""What a provider organisation's feed user may do on the broker: read its own feed topic, and join consumer
groups named `feed.<ODS code>.<anything>`. Nothing else.

The group pattern is a prefix ending in a dot. ODS codes are prefixes of one another (trust RXF, its site
RXF01), so a prefix of the bare user name `feed.RXF` (what earlier versions granted) also covers every group of
`feed.RXF01`: RXF could join RXF01's group, take over its partitions and commit its offsets. ODS codes hold
capital letters and digits only, so the dot ends the code and `feed.RXF.` covers no other organisation's groups.
The topic is granted by its literal name for the same reason (a prefix `carerecord.feed.RXF` would cover
`carerecord.feed.RXF01`).

Applying the ACLs replaces whatever else the user was allowed, so that running `feed-add` or `kafka-setup` again
on a broker provisioned by an earlier version removes the bare-name prefix.
"""

from __future__ import annotations

from typing import Any

from kafka.admin import (
    ACL,
    ACLFilter,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    ResourcePattern,
    ResourcePatternFilter,
    ResourceType,
)
from kafka.errors import KafkaError, NoError

from carerecord_messaging.feeds import feed_topic
from carerecord_services.identifiers import ods_code_is_valid

FEED_USER_PREFIX = "feed."


def feed_username(organisation: str) -> str:
    return f"{FEED_USER_PREFIX}{_checked(organisation)}"


def feed_group_prefix(organisation: str) -> str:
    """The prefix every consumer group of the organisation's feed user must start with."""
    return f"{feed_username(organisation)}."


def feed_acls(organisation: str) -> list[ACL]:
    principal = f"User:{feed_username(organisation)}"
    topic = ResourcePattern(ResourceType.TOPIC, feed_topic(organisation), ACLResourcePatternType.LITERAL)
    groups = ResourcePattern(
        ResourceType.GROUP, feed_group_prefix(organisation), ACLResourcePatternType.PREFIXED
    )
    return [
        ACL(principal, "*", ACLOperation.READ, ACLPermissionType.ALLOW, topic),
        ACL(principal, "*", ACLOperation.DESCRIBE, ACLPermissionType.ALLOW, topic),
        ACL(principal, "*", ACLOperation.READ, ACLPermissionType.ALLOW, groups),
    ]


def apply_feed_acls(admin: Any, organisation: str) -> list[ACL]:
    """Grants exactly `feed_acls(organisation)`, then removes every other ACL of the feed user (granting first,
    so that the provider is never left without access). Returns the ACLs removed."""
    wanted = feed_acls(organisation)
    existing = acls_of(admin, f"User:{feed_username(organisation)}")
    _created(admin, wanted)
    stale = [acl for acl in existing if acl not in wanted]
    if stale:
        # A concrete LITERAL or PREFIXED ACL used as a filter matches that ACL only (MATCH would match more).
        for acl_filter, _, error in admin.delete_acls(stale):
            if error is not NoError:
                raise RuntimeError(f"could not remove the stale feed ACL {acl_filter}: {error.__name__}")
    return stale


def provisioned_organisations(admin: Any) -> list[str]:
    """The organisations that have a feed user with any ACL on this broker."""
    principals = {acl.principal for acl in acls_of(admin, None)}
    prefix = f"User:{FEED_USER_PREFIX}"
    return sorted(
        code
        for principal in principals
        if principal.startswith(prefix) and ods_code_is_valid(code := principal.removeprefix(prefix))
    )


def acls_of(admin: Any, principal: str | None) -> list[ACL]:
    everything = ResourcePatternFilter(ResourceType.ANY, None, ACLResourcePatternType.ANY)
    acls, _ = admin.describe_acls(
        ACLFilter(principal, None, ACLOperation.ANY, ACLPermissionType.ANY, everything)
    )
    return list(acls)


def _created(admin: Any, acls: list[ACL]) -> None:
    failed: list[type[KafkaError]] = admin.create_acls(acls)["failed"]
    if failed:
        raise RuntimeError(f"the broker refused feed ACLs: {', '.join(e.__name__ for e in failed)}")


def _checked(organisation: str) -> str:
    """The dot separator is safe only because an ODS code holds no dot: refuse anything else."""
    if not ods_code_is_valid(organisation):
        raise ValueError(
            f"organisation: {organisation!r} is not an ODS code (3 to 9 capital letters and digits)"
        )
    return organisation
