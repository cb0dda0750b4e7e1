"""How each event of the access audit's stream changes the read models: reads, break-glass accesses and their
reviews, and searches go to access_log; refusals to refused_requests; disclosures to provider feeds to
feed_disclosures. Every insert is keyed, so a replay changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from carerecord_events import access
from carerecord_projections.refused_requests.handler import insert_refusal

Handler = Callable[[Any, int, Any], None]
"""(cursor, position in the audit store, event)."""


def apply_audit_event(cursor: Any, position: int, event: Any) -> None:
    handler = _HANDLERS.get(type(event))
    if handler is not None:
        handler(cursor, position, event)


def _who(position: int, event: Any) -> tuple[Any, ...]:
    """The columns every access_log row starts with: which access, where in the store, whose record, who (their
    name too, where their token gave one), when."""
    return (
        event.access_id,
        position,
        event.record_id,
        event.recorded_by.user_id,
        event.recorded_by.name,
        event.recorded_by.role.value,
        event.recorded_by.organisation,
        event.recorded_at,
    )


def _read(cursor: Any, position: int, event: access.RecordAccessed) -> None:
    cursor.execute(
        """INSERT INTO access_log (access_id, position, record_id, user_id, name, role, organisation, at, kind,
               operation, purpose, granted, version_shown, refusal_reason, via_break_glass)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'read', %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING""",
        (
            *_who(position, event),
            event.operation,
            event.purpose,
            event.granted,
            event.version_shown,
            event.refusal_reason,
            event.via_break_glass,
        ),
    )


def _break_glass(cursor: Any, position: int, event: access.BreakGlassAccessStarted) -> None:
    cursor.execute(
        """INSERT INTO access_log (access_id, position, record_id, user_id, name, role, organisation, at, kind,
               operation, purpose, granted, expires_at)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'break-glass', 'breakGlass', %s, true, %s)
           ON CONFLICT DO NOTHING""",
        (*_who(position, event), event.reason, event.expires_at),
    )


def _break_glass_reviewed(cursor: Any, position: int, event: access.BreakGlassAccessReviewed) -> None:
    cursor.execute(
        """UPDATE access_log SET reviewed_at = %s, review_appropriate = %s
           WHERE access_id = %s AND kind = 'break-glass'""",
        (event.recorded_at, event.appropriate, event.reviewed_access_id),
    )


def _searched(cursor: Any, position: int, event: access.PeopleSearched) -> None:
    searcher = _who(position, event)[3:]
    for record_id in event.record_ids or ():
        cursor.execute(
            """INSERT INTO access_log (access_id, position, record_id, user_id, name, role, organisation, at, kind,
                   operation, purpose, granted)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'search', 'searchPeople', %s, true) ON CONFLICT DO NOTHING""",
            (event.access_id, position, record_id, *searcher, event.purpose),
        )


def _disclosed(cursor: Any, position: int, event: access.FeedDisclosed) -> None:
    cursor.execute(
        """INSERT INTO feed_disclosures (organisation, record_id, event_id, position, event_type, disclosed_at)
           VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING""",
        (
            event.organisation,
            event.record_id,
            event.disclosed_event_id,
            event.position,
            event.event_type,
            event.recorded_at,
        ),
    )


_HANDLERS: dict[type, Handler] = {
    access.RecordAccessed: _read,
    access.BreakGlassAccessStarted: _break_glass,
    access.BreakGlassAccessReviewed: _break_glass_reviewed,
    access.PeopleSearched: _searched,
    access.RequestRefused: insert_refusal,
    access.FeedDisclosed: _disclosed,
}
