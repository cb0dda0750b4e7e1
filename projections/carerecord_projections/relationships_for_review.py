"""Care relationships a privacy officer should look at: which organisations started caring for whom, on what
stated basis, and whether the record already held evidence of it. A relationship started without evidence is
listed until it is reviewed, as break glass is.

Alerts follow what privacy officers look for:
- **no earlier contact**: started without evidence by an organisation that had never cared for the person;
- **many by one user**: one user starting `BURST_COUNT` or more relationships without evidence within
  `BURST_HOURS` hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from carerecord_events.people import (
    CareRelationshipConfirmed,
    CareRelationshipEnded,
    CareRelationshipReviewed,
    CareRelationshipStarted,
)
from carerecord_projections.database import transaction
from carerecord_projections.projector import Positioned

NAME = "relationships-for-review"
BURST_COUNT = 10
BURST_HOURS = 24

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
CREATE INDEX IF NOT EXISTS relationships_for_review_waiting ON relationships_for_review (started_at)
    WHERE NOT evidenced AND reviewed_at IS NULL;
"""


class RelationshipsForReview:
    name = NAME

    def prepare(self, cursor: Any) -> None:
        cursor.execute(DDL)

    def apply(self, cursor: Any, version: int, item: Positioned) -> bool:
        """Idempotent: keyed by relationship, so a replay changes nothing."""
        event = item.event
        if isinstance(event, CareRelationshipStarted):
            self._started(cursor, event)
        elif isinstance(event, CareRelationshipConfirmed):
            cursor.execute(
                "UPDATE relationships_for_review SET confirmed_at = %s WHERE relationship_id = %s",
                (event.occurred_at, event.relationship_id),
            )
        elif isinstance(event, CareRelationshipReviewed):
            cursor.execute(
                "UPDATE relationships_for_review SET reviewed_at = %s, appropriate = %s WHERE relationship_id = %s",
                (event.occurred_at, event.appropriate, event.relationship_id),
            )
        elif isinstance(event, CareRelationshipEnded):
            cursor.execute(
                "UPDATE relationships_for_review SET ended_at = %s "
                "WHERE record_id = %s AND organisation = %s AND ended_at IS NULL",
                (event.occurred_at, event.record_id, event.organisation),
            )
        else:
            return False
        return True

    def _started(self, cursor: Any, event: CareRelationshipStarted) -> None:
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


@dataclass(frozen=True)
class RelationshipToReview:
    relationship_id: UUID
    record_id: UUID
    organisation: str
    setting: str
    basis: str
    basis_detail: str
    started_at: datetime
    started_by: str
    started_by_role: str
    confirmed: bool
    ended: bool
    alerts: tuple[str, ...]


def relationships_awaiting_review(
    dsn: str, organisations: frozenset[str], start: datetime, end: datetime
) -> list[RelationshipToReview]:
    """Relationships of these organisations started in [start, end) without evidence and not yet reviewed,
    oldest first, each with the alerts it raises."""
    with transaction(dsn) as cursor:
        cursor.execute(
            """SELECT relationship_id, record_id, organisation, setting, basis, basis_detail, started_at,
                      started_by, started_by_role, confirmed_at IS NOT NULL, ended_at IS NOT NULL, earlier_contact
               FROM relationships_for_review
               WHERE NOT evidenced AND reviewed_at IS NULL AND organisation = ANY(%s)
                 AND started_at >= %s AND started_at < %s
               ORDER BY started_at, relationship_id""",
            (sorted(organisations), start, end),
        )
        rows = cursor.fetchall()
        bursts = _bursts(cursor, organisations, start - timedelta(hours=BURST_HOURS), end)
    return [_entry(row, bursts) for row in rows]


def _entry(row: tuple[Any, ...], bursts: dict[str, list[datetime]]) -> RelationshipToReview:
    (relationship_id, record_id, organisation, setting, basis, detail, at, user, role, confirmed, ended) = (
        row[:11]
    )
    return RelationshipToReview(
        relationship_id=relationship_id,
        record_id=record_id,
        organisation=organisation,
        setting=setting,
        basis=basis,
        basis_detail=detail,
        started_at=at,
        started_by=user,
        started_by_role=role,
        confirmed=confirmed,
        ended=ended,
        alerts=_alerts(row[11], user, at, bursts),
    )


def _bursts(
    cursor: Any, organisations: frozenset[str], start: datetime, end: datetime
) -> dict[str, list[datetime]]:
    cursor.execute(
        """SELECT started_by, started_at FROM relationships_for_review
           WHERE NOT evidenced AND organisation = ANY(%s) AND started_at >= %s AND started_at < %s
           ORDER BY started_at""",
        (sorted(organisations), start, end),
    )
    found: dict[str, list[datetime]] = {}
    for user, at in cursor.fetchall():
        found.setdefault(user, []).append(at)
    return found


def _alerts(
    earlier_contact: bool, user: str, at: datetime, bursts: dict[str, list[datetime]]
) -> tuple[str, ...]:
    alerts = [] if earlier_contact else ["no earlier contact with the person"]
    window = timedelta(hours=BURST_HOURS)
    nearby = sum(1 for other in bursts.get(user, []) if abs(other - at) <= window)
    if nearby >= BURST_COUNT:
        alerts.append(
            f"{nearby} relationships without evidence started by this user within {BURST_HOURS} hours"
        )
    return tuple(alerts)
