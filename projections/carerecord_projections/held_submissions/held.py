"""Submissions (FHIR Bundles, migrated documents) that were refused on the way in, held for the organisation
that sent them: never dropped, so that it can see why and send a corrected one with the same identifier.

Not a read model (nothing refused was recorded, so no event implies it): one row per organisation and
submission identifier, holding the document as sent and the reasons (each the rule, the element and why). A
corrected submission taken in marks the row corrected; a submission refused again replaces the reasons.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from carerecord_projections.database import transaction
from carerecord_services.schema_changes import lock_schema_changes

HELD_SUBMISSIONS_DDL = """
CREATE TABLE IF NOT EXISTS held_submissions (
    organisation text NOT NULL,
    identifier text NOT NULL,
    received_at timestamptz NOT NULL,
    attempts integer NOT NULL DEFAULT 1,
    reasons jsonb NOT NULL,
    document jsonb NOT NULL,
    corrected_at timestamptz,
    PRIMARY KEY (organisation, identifier)
);
"""


@dataclass(frozen=True)
class HeldSubmission:
    organisation: str
    identifier: str
    received_at: datetime
    attempts: int
    reasons: list[dict[str, str]]
    document: dict[str, Any]


class HeldSubmissions:
    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        with transaction(dsn) as cursor:
            lock_schema_changes(cursor)
            cursor.execute(HELD_SUBMISSIONS_DDL)

    def hold(
        self,
        organisation: str,
        identifier: str,
        reasons: list[dict[str, str]],
        document: dict[str, Any],
        at: datetime,
    ) -> None:
        with transaction(self._dsn) as cursor:
            cursor.execute(
                """
                INSERT INTO held_submissions (organisation, identifier, received_at, reasons, document)
                VALUES (%s, %s, %s, %s, %s)
                ON CONFLICT (organisation, identifier) DO UPDATE SET
                    received_at = EXCLUDED.received_at, reasons = EXCLUDED.reasons, document = EXCLUDED.document,
                    attempts = held_submissions.attempts + 1, corrected_at = NULL
                """,
                (organisation, identifier, at, json.dumps(reasons), json.dumps(document)),
            )

    def corrected(self, organisation: str, identifier: str, at: datetime) -> None:
        with transaction(self._dsn) as cursor:
            cursor.execute(
                "UPDATE held_submissions SET corrected_at = %s"
                " WHERE organisation = %s AND identifier = %s AND corrected_at IS NULL",
                (at, organisation, identifier),
            )

    def held_for(self, organisation: str, limit: int = 100) -> list[HeldSubmission]:
        """The organisation's submissions still waiting for a correction, the latest first."""
        with transaction(self._dsn) as cursor:
            cursor.execute(
                "SELECT organisation, identifier, received_at, attempts, reasons, document FROM held_submissions"
                " WHERE organisation = %s AND corrected_at IS NULL ORDER BY received_at DESC LIMIT %s",
                (organisation, limit),
            )
            return [HeldSubmission(*row) for row in cursor.fetchall()]
