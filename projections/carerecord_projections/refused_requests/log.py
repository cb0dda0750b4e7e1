"""Records each refusal in the access audit and answers from its read model."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from carerecord_projections.database import transaction
from carerecord_projections.refused_requests.tables import REFUSED_REQUESTS_DDL
from carerecord_services.schema_changes import lock_schema_changes

RecordRefusal = Callable[..., object]  # AccessAudit.record_refusal: keyword arguments, as Refusal's fields

_IDENTIFIER = re.compile(r"[A-Za-z0-9_.:@/+=-]{1,128}")
# What was asked for: a GraphQL field, a route ("fhir:Patient/$everything", "portal:/portal/my-plan") or a portal
# action in words ("portal blanket alert finding"); single spaces between words, nothing else a log could misread.
_OPERATION = re.compile(r"[A-Za-z0-9_.:@/+=$-]+(?: [A-Za-z0-9_.:@/+=$-]+)*")


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


def operation_or_none(value: object) -> str | None:
    """What was asked for, kept only if it reads as an operation (a request's path may be anything)."""
    return value if isinstance(value, str) and len(value) <= 128 and _OPERATION.fullmatch(value) else None


def identifier_or_none(value: object) -> str | None:
    """A value taken from an unverified token is kept only if it looks like an identifier."""
    return value if isinstance(value, str) and _IDENTIFIER.fullmatch(value) else None


class RefusalLog:
    """Records each refusal in the access audit (`record_refusal`, which feeds the table before it returns)
    and answers from the table."""

    def __init__(self, dsn: str, record_refusal: RecordRefusal | None = None) -> None:
        self._dsn = dsn
        self._record_refusal = record_refusal
        with transaction(dsn) as cursor:
            lock_schema_changes(cursor)
            cursor.execute(REFUSED_REQUESTS_DDL)

    def record(self, refusal: Refusal) -> None:
        if self._record_refusal is None:
            raise RuntimeError("this RefusalLog only reads: give it the access audit's record_refusal")
        self._record_refusal(
            kind=refusal.kind,
            reason=refusal.reason,
            token_id=identifier_or_none(refusal.token_id),
            key_id=identifier_or_none(refusal.key_id),
            user_id=identifier_or_none(refusal.user_id),
            role=identifier_or_none(refusal.role),
            organisation=identifier_or_none(refusal.organisation),
            operation=operation_or_none(refusal.operation),
            client_address=identifier_or_none(refusal.client_address),
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
