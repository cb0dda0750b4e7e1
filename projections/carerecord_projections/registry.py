"""Projections fed on their own, each at its own position, besides the region's main read models."""

from __future__ import annotations

from carerecord_projections.relationships_for_review import RelationshipsForReview
from carerecord_projections.reviews_due import ReviewsDue
from carerecord_projections.store_feeder import Projection

ADDITIONAL_PROJECTIONS: dict[str, type[Projection]] = {
    ReviewsDue.name: ReviewsDue,
    RelationshipsForReview.name: RelationshipsForReview,
}
