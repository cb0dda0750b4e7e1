"""What an urgent and emergency care service's feed carries once a board has granted it the region's plans.

When the router first finds a grant (`SharedPlans.grants`, from the access audit's sharing stream) and the
service's feed topic exists, it sends the plans in force of everyone in the region (a `PlansInForce` message
each, at the record's version then) and notes that version; from then the feed carries every plan-level change
of everyone in the region with a later version: decisions and everything about them (the plans module's
events), advance decisions made or withdrawn, attorneys (lasting power of attorney for health and welfare,
court-appointed deputies) recorded or withdrawn, deaths, and an entry marked in error or corrected when it is
one of those. Never conversations, capacity assessments, other representatives, relationships or concerns.
Withdrawing the grant stops it.

The router notes, in the transaction that commits its progress, the plan-level entries it sees (feed_urgent_
entries): who may be sent plans, and which corrections concern a plan. Only ids are kept here, never content.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from carerecord_events import plans
from carerecord_events.access import UrgentCareSharingGranted
from carerecord_events.catalogue import all_event_types
from carerecord_events.record.state import PersonRecord
from carerecord_events.vocabulary import RepresentativeKind
from carerecord_messaging.wire import WireEvent

URGENT_DDL = """
CREATE TABLE IF NOT EXISTS feed_urgent_entries (
    record_id uuid NOT NULL,
    entry_id uuid NOT NULL,
    PRIMARY KEY (record_id, entry_id)
);
CREATE TABLE IF NOT EXISTS feed_urgent_grants (
    organisation text PRIMARY KEY,
    grant_id uuid NOT NULL
);
CREATE TABLE IF NOT EXISTS feed_urgent_sent (
    organisation text NOT NULL,
    record_id uuid NOT NULL,
    version integer NOT NULL,
    PRIMARY KEY (organisation, record_id)
);
"""

PLAN_LEVEL = frozenset(
    {cls.TYPE for cls in all_event_types() if cls.__module__ == plans.__name__}
    | {"AdvanceDecisionRecorded", "AdvanceDecisionWithdrawn", "PersonDied"}
)
"""Plan-level changes, whatever else they say (a new event of the plans module is one too)."""
ATTORNEYS = frozenset({RepresentativeKind.LPA_HEALTH_AND_WELFARE, RepresentativeKind.COURT_APPOINTED_DEPUTY})
ABOUT_AN_ENTRY = {"EntryMarkedEnteredInError": "entry_event_id", "CorrectionRecorded": "corrects_event_id"}


@dataclass(frozen=True)
class SharedPlans:
    """What the router needs for urgent and emergency care, wired by the composition root."""

    grants: Callable[[], Mapping[str, UrgentCareSharingGranted]]  # AccessAudit.urgent_care_sharing
    record_now: Callable[[UUID], tuple[int, PersonRecord | None]]  # CareRecordService's
    last_position: Callable[[], int]  # the store's, where a grant's messages stand
    source: str  # the region's CloudEvents source


def note_entry(cursor: Any, wire: WireEvent) -> bool:
    """Notes a plan-level entry (every one, granted or not, so that a later grant knows whom to send plans
    and which corrections concern a plan); True when `wire` is a plan-level change."""
    entry = _plan_level_entry(cursor, wire)
    if entry is None:
        return False
    cursor.execute(
        "INSERT INTO feed_urgent_entries (record_id, entry_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
        (wire.record_id, entry),
    )
    return True


def _plan_level_entry(cursor: Any, wire: WireEvent) -> UUID | None:
    """The id to note for a plan-level change (its event id; an attorney's representative id), else None."""
    payload = wire.payload
    if wire.type_name in PLAN_LEVEL:
        return wire.event_id
    if wire.type_name == "RepresentativeRecorded":
        attorney = payload.get("kind") in ATTORNEYS
        return UUID(str(payload["representative_id"])) if attorney else None
    about = ABOUT_AN_ENTRY.get(wire.type_name) or (
        "representative_id" if wire.type_name == "RepresentativeWithdrawn" else None
    )
    if about is None:
        return None
    cursor.execute(
        "SELECT 1 FROM feed_urgent_entries WHERE record_id = %s AND entry_id = %s",
        (wire.record_id, UUID(str(payload[about]))),
    )
    return wire.event_id if cursor.fetchone() else None


def granted_for(cursor: Any, wire: WireEvent) -> list[str]:
    """The urgent and emergency care services granted the region's plans that have not been sent this version
    of the person's plans already (in the plans in force sent at their grant)."""
    cursor.execute(
        """SELECT g.organisation FROM feed_urgent_grants g WHERE NOT EXISTS (
               SELECT 1 FROM feed_urgent_sent s
               WHERE s.organisation = g.organisation AND s.record_id = %s AND s.version >= %s)""",
        (wire.record_id, wire.version),
    )
    return sorted(row[0] for row in cursor.fetchall())


def granted(cursor: Any) -> dict[str, UUID]:
    """The grants the router has acted on (their plans in force sent): organisation -> grant."""
    cursor.execute("SELECT organisation, grant_id FROM feed_urgent_grants")
    return {str(organisation): grant for organisation, grant in cursor.fetchall()}


def people_with_plans(cursor: Any) -> list[UUID]:
    """Everyone who may have a plan in force: each person with a plan-level entry the router has seen, and each
    person the current plan read model shows with a plan (for what was routed before this table was kept). Each
    is then loaded from the store, which says what is in force."""
    cursor.execute("SELECT DISTINCT record_id FROM feed_urgent_entries")
    people = {row[0] for row in cursor.fetchall()}
    cursor.execute("SELECT to_regclass('current_plan') IS NOT NULL")
    if cursor.fetchone()[0]:
        cursor.execute("SELECT record_id FROM current_plan WHERE document->'plans' <> '{}'::jsonb")
        people |= {row[0] for row in cursor.fetchall()}
    return sorted(people)


def mark_sent(cursor: Any, organisation: str, record_id: UUID, version: int) -> None:
    cursor.execute(
        """INSERT INTO feed_urgent_sent (organisation, record_id, version) VALUES (%s, %s, %s)
           ON CONFLICT (organisation, record_id) DO UPDATE SET version = EXCLUDED.version""",
        (organisation, record_id, version),
    )


def start_sharing(cursor: Any, organisation: str, grant_id: UUID) -> None:
    cursor.execute(
        """INSERT INTO feed_urgent_grants (organisation, grant_id) VALUES (%s, %s)
           ON CONFLICT (organisation) DO UPDATE SET grant_id = EXCLUDED.grant_id""",
        (organisation, grant_id),
    )


def stop_sharing(cursor: Any, organisation: str) -> None:
    cursor.execute("DELETE FROM feed_urgent_grants WHERE organisation = %s", (organisation,))
    cursor.execute("DELETE FROM feed_urgent_sent WHERE organisation = %s", (organisation,))
