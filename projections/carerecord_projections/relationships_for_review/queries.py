"""Relationships awaiting review, with the alerts privacy officers look for:
- **no earlier contact**: started without evidence by an organisation that had never cared for the person;
- **many by one user**: one user starting `BURST_COUNT` or more relationships without evidence within
  `BURST_HOURS` hours.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

from carerecord_events.roles import Role
from carerecord_events.vocabulary import RelationshipBasis, Setting
from carerecord_projections.database import transaction
from carerecord_projections.relationships_for_review.view import RelationshipToReview

BURST_COUNT = 10
BURST_HOURS = 24
_SHOWN = tuple(field.name for field in fields(RelationshipToReview) if field.name != "alerts")


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
    """A row in the order of the view's fields, then whether the organisation had cared for the person before."""
    shown: dict[str, Any] = dict(zip(_SHOWN, row[:11], strict=True))
    shown |= {
        "setting": Setting(shown["setting"]),
        "basis": RelationshipBasis(shown["basis"]),
        "started_by_role": Role(shown["started_by_role"]),
    }
    alerts = _alerts(row[11], shown["started_by"], shown["started_at"], bursts)
    return RelationshipToReview(**shown, alerts=alerts)


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
