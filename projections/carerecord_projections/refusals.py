"""Refused requests: a durable security record of every bad token and every refused change.

Not a read model (nothing rebuilds it from events, and `carerecord rebuild` leaves it alone): one row per
refusal, holding no personal data: why (a fixed reason), the token's id and key id when they could be read
(only if they look like identifiers), who asked when the token was good, the operation, the client address
and when. Refused reads are recorded in the access audit instead, with the record they were about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from carerecord_projections.database import transaction

REFUSED_REQUESTS_DDL = """
CREATE TABLE IF NOT EXISTS refused_requests (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    kind text NOT NULL,
    reason text NOT NULL,
    token_id text,
    key_id text,
    user_id text,
    role text,
    organisation text,
    operation text,
    client_address text
);
CREATE INDEX IF NOT EXISTS refused_requests_by_time ON refused_requests (at);
"""

_IDENTIFIER = re.compile(r"[A-Za-z0-9_.:@/+=-]{1,128}")


@dataclass(frozen=True)
class Refusal:
    kind: str  # "authentication" (no usable token) or "permission" (a good token asked for what it may not)
    reason: str
    token_id: str | None = None
    key_id: str | None = None
    user_id: str | None = None
    role: str | None = None
    organisation: str | None = None
    operation: str | None = None
    client_address: str | None = None


def identifier_or_none(value: object) -> str | None:
    """A value taken from an unverified token is kept only if it looks like an identifier."""
    return value if isinstance(value, str) and _IDENTIFIER.fullmatch(value) else None


class RefusalLog:
    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        with transaction(dsn) as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('carerecord refused requests'))")
            cursor.execute(REFUSED_REQUESTS_DDL)

    def record(self, refusal: Refusal) -> None:
        with transaction(self._dsn) as cursor:
            cursor.execute(
                """INSERT INTO refused_requests (kind, reason, token_id, key_id, user_id, role, organisation,
                       operation, client_address) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                (
                    refusal.kind,
                    refusal.reason,
                    identifier_or_none(refusal.token_id),
                    identifier_or_none(refusal.key_id),
                    identifier_or_none(refusal.user_id),
                    identifier_or_none(refusal.role),
                    identifier_or_none(refusal.organisation),
                    identifier_or_none(refusal.operation),
                    identifier_or_none(refusal.client_address),
                ),
            )

    def recent(self, limit: int = 100) -> list[dict[str, Any]]:
        with transaction(self._dsn) as cursor:
            cursor.execute(
                """SELECT at, kind, reason, token_id, key_id, user_id, role, organisation, operation,
                          client_address FROM refused_requests ORDER BY id DESC LIMIT %s""",
                (limit,),
            )
            names = [column.name for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
