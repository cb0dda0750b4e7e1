"""Relationships awaiting review: care relationships a privacy officer should look at, which organisations started
caring for whom, on what stated basis, and whether the record already held evidence of it. A relationship started
without evidence is listed until it is reviewed, as break glass is."""

from carerecord_projections.relationships_for_review.projection import NAME, RelationshipsForReview
from carerecord_projections.relationships_for_review.queries import relationships_awaiting_review
from carerecord_projections.relationships_for_review.view import RelationshipToReview

__all__ = ["NAME", "RelationshipToReview", "RelationshipsForReview", "relationships_awaiting_review"]
