"""A projection added after the others, to show how one is back-filled without stopping them: which active
plans are due for review, and when. It has its own position, so it catches up from the start of the store (or
topic) at its own pace while the others carry on. Overdue is worked out when asked, never stored."""

from __future__ import annotations

from typing import Any

from carerecord_events.people import PersonDied
from carerecord_events.plans import PlanReviewed, PlanRevoked, PlanSuperseded, RecommendationMade
from carerecord_events.vocabulary import ReviewOutcome
from carerecord_projections.projector import Positioned

NAME = "reviews-due"

DDL = """
CREATE TABLE IF NOT EXISTS reviews_due (
    plan_id uuid PRIMARY KEY,
    record_id uuid NOT NULL,
    organisation text NOT NULL,
    review_due date NOT NULL
);
CREATE INDEX IF NOT EXISTS reviews_due_by_date ON reviews_due (review_due);
"""


class ReviewsDue:
    name = NAME

    def prepare(self, cursor: Any) -> None:
        cursor.execute(DDL)

    def apply(self, cursor: Any, version: int, item: Positioned) -> bool:
        """Idempotent by construction (upserts and deletes keyed by plan), so a replay changes nothing."""
        event = item.event
        if isinstance(event, RecommendationMade) and event.review_due is not None:
            cursor.execute(
                """INSERT INTO reviews_due (plan_id, record_id, organisation, review_due) VALUES (%s, %s, %s, %s)
                   ON CONFLICT (plan_id) DO UPDATE SET review_due = EXCLUDED.review_due""",
                (event.plan_id, event.record_id, event.organisation, event.review_due),
            )
        elif isinstance(event, PlanReviewed) and event.outcome is not ReviewOutcome.REVOKED:
            if event.next_review_due is None:
                cursor.execute("DELETE FROM reviews_due WHERE plan_id = %s", (event.plan_id,))
            else:
                cursor.execute(
                    "UPDATE reviews_due SET review_due = %s WHERE plan_id = %s",
                    (event.next_review_due, event.plan_id),
                )
        elif isinstance(event, PlanRevoked | PlanSuperseded | PlanReviewed):
            cursor.execute("DELETE FROM reviews_due WHERE plan_id = %s", (event.plan_id,))
        elif isinstance(event, PersonDied):
            cursor.execute("DELETE FROM reviews_due WHERE record_id = %s", (event.record_id,))
        else:
            return False
        return True
