"""What a privacy officer is shown of a relationship awaiting review."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from carerecord_events.roles import Role
from carerecord_events.vocabulary import RelationshipBasis, Setting


@dataclass(frozen=True)
class RelationshipToReview:
    relationship_id: UUID
    """The care relationship's id (review it with reviewCareRelationship)"""
    record_id: UUID
    """The person's record"""
    organisation: str
    """The organisation that started caring for the person, by its ODS code"""
    setting: Setting
    """The kind of service"""
    basis: RelationshipBasis
    """The basis it stated"""
    basis_detail: str
    """The basis in words, when it is "other" """
    started_at: datetime
    """When the relationship started"""
    started_by: str
    """Who started it: their user id"""
    started_by_role: Role
    """Their role"""
    confirmed: bool
    """Whether the organisation's administrator has confirmed it"""
    ended: bool
    """Whether it has ended"""
    alerts: tuple[str, ...]
    """Why it may need looking into, in words (no earlier contact with the person; many started by one user in
    a short window)"""
