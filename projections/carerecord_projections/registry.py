"""Projections fed on their own, each at its own position, besides the region's main read models."""

from __future__ import annotations

from typing import Any, Protocol

from carerecord_projections.projector import Positioned
from carerecord_projections.relationships_for_review import RelationshipsForReview
from carerecord_projections.reviews_due import ReviewsDue


class Projection(Protocol):
    """A read model that can be fed on its own: its tables, and how one event changes them."""

    name: str

    def prepare(self, cursor: Any) -> None: ...

    def apply(self, cursor: Any, version: int, item: Positioned) -> bool: ...


ADDITIONAL_PROJECTIONS: dict[str, type[Projection]] = {
    ReviewsDue.name: ReviewsDue,
    RelationshipsForReview.name: RelationshipsForReview,
}
