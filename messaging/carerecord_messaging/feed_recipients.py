"""Who receives an event on their feed: the organisations caring for the person when it was recorded, and, for a
plan-level change, the urgent and emergency care services granted the region's plans (urgent_care_feeds.py).

The router keeps its own small table of care relationships (feed_relationships), written from the events as
it reads them, in the transaction that commits its progress, so that it answers "who cared for this person at
this point of their history", not "who cares now". A relationship on an "other" basis that its administrator
has not confirmed stops receiving once it has lapsed, as reads stop.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from carerecord_messaging.urgent_care_feeds import granted_for, note_entry
from carerecord_messaging.wire import WireEvent

# concerns and privacy reviews are not the caring organisations' business; the index and idempotency streams
# are not a person's history
NEVER_ON_A_FEED = frozenset(
    {"ConcernRaised", "ConcernResolved", "CareRelationshipReviewed", "NhsNumberIndexed", "RequestRecorded"}
)


class Recipients:
    def __init__(self, unconfirmed_lasts: timedelta) -> None:
        self._unconfirmed_lasts = unconfirmed_lasts

    def of(self, cursor: Any, wire: WireEvent) -> list[str]:
        """The organisations that receive `wire`, its own relationship's start and end included."""
        if wire.type_name in NEVER_ON_A_FEED:
            return []
        self._note_relationship(cursor, wire)
        urgent = granted_for(cursor, wire) if note_entry(cursor, wire) else []
        organisations = sorted({*self._caring(cursor, wire), *urgent})
        organisation = str(wire.payload.get("organisation"))
        if (
            wire.type_name == "CareRelationshipStarted"
        ):  # its own start, whatever follows, as it will hear its end
            return sorted({*organisations, organisation})
        if wire.type_name == "CareRelationshipEnded":
            cursor.execute(
                "DELETE FROM feed_relationships WHERE record_id = %s AND organisation = %s",
                (wire.record_id, organisation),
            )
            return [organisation] if organisation in organisations else []
        return organisations

    def _note_relationship(self, cursor: Any, wire: WireEvent) -> None:
        payload = wire.payload
        if wire.type_name == "CareRelationshipStarted":
            cursor.execute(
                """INSERT INTO feed_relationships (record_id, organisation, basis, started_at, confirmed)
                   VALUES (%s, %s, %s, %s, false) ON CONFLICT (record_id, organisation) DO UPDATE
                   SET basis = EXCLUDED.basis, started_at = EXCLUDED.started_at, confirmed = false""",
                (
                    wire.record_id,
                    payload["organisation"],
                    payload.get("basis", "not-recorded"),
                    payload["occurred_at"],
                ),
            )
        if wire.type_name == "CareRelationshipConfirmed":
            cursor.execute(
                "UPDATE feed_relationships SET confirmed = true WHERE record_id = %s AND organisation = %s",
                (wire.record_id, payload["organisation"]),
            )

    def _caring(self, cursor: Any, wire: WireEvent) -> list[str]:
        cursor.execute(
            """SELECT organisation FROM feed_relationships WHERE record_id = %s
               AND NOT (basis = 'other' AND NOT confirmed AND started_at + %s <= %s)""",
            (wire.record_id, self._unconfirmed_lasts, wire.recorded_at),
        )
        return sorted(row[0] for row in cursor.fetchall())
