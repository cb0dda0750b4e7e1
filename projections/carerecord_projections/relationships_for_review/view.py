"""What a privacy officer is shown of a relationship awaiting review."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


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
