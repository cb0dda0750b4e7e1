"""A feed user's consumer groups and topic cover its own organisation only, whatever the two ODS codes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kafka.admin import ACLResourcePatternType, ResourceType

from carerecord.feed_acls import feed_acls, feed_group_prefix
from carerecord_messaging.feed_backlog import FeedTopics

ODS_CODES = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=3, max_size=9)


@given(ODS_CODES, ODS_CODES, st.text(max_size=20))
def test_no_organisations_group_prefix_covers_a_group_of_another(own: str, other: str, suffix: str) -> None:
    group_of_the_other = feed_group_prefix(other) + suffix
    assert group_of_the_other.startswith(feed_group_prefix(own)) == (own == other)


def test_the_feed_topic_is_granted_by_its_literal_name_and_groups_by_the_dotted_prefix() -> None:
    patterns = {(a.resource_pattern.resource_type, a.resource_pattern.pattern_type) for a in feed_acls("RXF")}
    names = {a.resource_pattern.resource_name for a in feed_acls("RXF")}
    assert patterns == {
        (ResourceType.TOPIC, ACLResourcePatternType.LITERAL),
        (ResourceType.GROUP, ACLResourcePatternType.PREFIXED),
    }
    assert names == {"carerecord.feed.RXF", "feed.RXF."}


@pytest.mark.parametrize("code", ["RXF.", "rxf", "RX", "RXF 01", "RXF٠1", ""])
def test_a_feed_is_refused_for_anything_but_an_ods_code(code: str) -> None:
    with pytest.raises(ValueError, match="organisation"):
        feed_group_prefix(code)


class _Broker:
    def __init__(self) -> None:
        self.existing: set[str] = set()
        self.asked = 0

    def topics(self) -> set[str]:
        self.asked += 1
        return set(self.existing)


def test_a_feed_provisioned_while_the_router_runs_is_found_at_the_next_recheck_not_per_event() -> None:
    broker, now = _Broker(), [0.0]
    topics = FeedTopics(broker, recheck_seconds=10.0, clock=lambda: now[0])
    assert not topics.exists("carerecord.feed.RXF")
    broker.existing.add("carerecord.feed.RXF")
    now[0] = 9.0
    assert not topics.exists("carerecord.feed.RXF")
    assert broker.asked == 1
    now[0] = 10.0
    assert topics.exists("carerecord.feed.RXF")
    assert topics.exists("carerecord.feed.RXF")
    assert broker.asked == 2
