"""How a RequestRefused event of the access audit becomes a row of refused_requests."""

from __future__ import annotations

from typing import Any

from carerecord_events.access import RequestRefused


def insert_refusal(cursor: Any, position: int, event: RequestRefused) -> None:
    cursor.execute(
        """INSERT INTO refused_requests (access_id, position, at, kind, reason, token_id, key_id, user_id,
               role, organisation, operation, client_address)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING""",
        (
            event.access_id,
            position,
            event.recorded_at,
            event.kind,
            event.reason,
            event.token_id,
            event.key_id,
            event.user_id,
            event.role,
            event.organisation,
            event.operation,
            event.client_address,
        ),
    )
