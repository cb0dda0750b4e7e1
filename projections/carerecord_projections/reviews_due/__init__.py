"""Reviews due: which active plans are due for review, and when. Overdue is worked out when asked, never stored."""

from carerecord_projections.reviews_due.projection import NAME, ReviewsDue

__all__ = ["NAME", "ReviewsDue"]
