"""The relationships_for_review table and how the care-relationship events change it. Idempotent: keyed by
relationship, so a replay changes nothing."""

from __future__ import annotations

import functools
from typing import Any

from carerecord_events.people import (
    CareRelationshipConfirmed,
    CareRelationshipEnded,
    CareRelationshipReviewed,
    CareRelationshipStarted,
)
from carerecord_projections.additional_projection import AdditionalProjection, not_followed

NAME = "relationships-for-review"

DDL = """
CREATE TABLE IF NOT EXISTS relationships_for_review (
    relationship_id uuid PRIMARY KEY,
    record_id uuid NOT NULL,
    organisation text NOT NULL,
    setting text NOT NULL,
    basis text NOT NULL,
    basis_detail text NOT NULL,
    referred_by text,
    evidenced boolean NOT NULL,
    earlier_contact boolean NOT NULL,
    started_at timestamptz NOT NULL,
    started_by text NOT NULL,
    started_by_role text NOT NULL,
    confirmed_at timestamptz,
    ended_at timestamptz,
    reviewed_at timestamptz,
    appropriate boolean
);
CREATE INDEX IF NOT EXISTS relationships_for_review_by_person
    ON relationships_for_review (record_id, organisation);
CREATE INDEX IF NOT EXISTS relationships_for_review_waiting ON relationships_for_review (started_at)
    WHERE NOT evidenced AND reviewed_at IS NULL;
"""


handle = functools.singledispatch(not_followed)


@handle.register
def _started(event: CareRelationshipStarted, cursor: Any) -> bool:
    cursor.execute(
        "SELECT 1 FROM relationships_for_review WHERE record_id = %s AND organisation = %s "
        "AND started_at < %s AND relationship_id <> %s",
        (event.record_id, event.organisation, event.occurred_at, event.relationship_id),
    )
    earlier = cursor.fetchone() is not None
    cursor.execute(
        """INSERT INTO relationships_for_review (relationship_id, record_id, organisation, setting, basis,
               basis_detail, referred_by, evidenced, earlier_contact, started_at, started_by, started_by_role)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING""",
        (
            event.relationship_id,
            event.record_id,
            event.organisation,
            event.setting.value,
            event.basis.value,
            event.basis_detail,
            event.referred_by,
            event.evidenced,
            earlier,
            event.occurred_at,
            event.recorded_by.user_id,
            event.recorded_by.role.value,
        ),
    )
    return True


@handle.register
def _confirmed(event: CareRelationshipConfirmed, cursor: Any) -> bool:
    cursor.execute(
        "UPDATE relationships_for_review SET confirmed_at = %s WHERE relationship_id = %s",
        (event.occurred_at, event.relationship_id),
    )
    return True


@handle.register
def _reviewed(event: CareRelationshipReviewed, cursor: Any) -> bool:
    cursor.execute(
        "UPDATE relationships_for_review SET reviewed_at = %s, appropriate = %s WHERE relationship_id = %s",
        (event.occurred_at, event.appropriate, event.relationship_id),
    )
    return True


@handle.register
def _ended(event: CareRelationshipEnded, cursor: Any) -> bool:
    cursor.execute(
        "UPDATE relationships_for_review SET ended_at = %s "
        "WHERE record_id = %s AND organisation = %s AND ended_at IS NULL",
        (event.occurred_at, event.record_id, event.organisation),
    )
    return True


class RelationshipsForReview(AdditionalProjection):
    name = NAME
    ddl = DDL
    handle = staticmethod(handle)
