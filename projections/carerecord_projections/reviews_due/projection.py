"""A projection added after the others, to show how one is back-filled without stopping them: which active
plans are due for review, and when. It has its own position, so it catches up from the start of the store (or
topic) at its own pace while the others carry on. Idempotent by construction (upserts and deletes keyed by
plan), so a replay changes nothing."""

from __future__ import annotations

import functools
from typing import Any

from carerecord_events.people import PersonDied
from carerecord_events.plans import PlanReviewed, PlanRevoked, PlanSuperseded, RecommendationMade
from carerecord_events.vocabulary import ReviewOutcome
from carerecord_projections.additional_projection import AdditionalProjection, not_followed

NAME = "reviews-due"

DDL = """
-- One row per active plan that has a review date; gone when the plan ends, is reviewed without a next date,
-- or its person dies.
CREATE TABLE IF NOT EXISTS reviews_due (
    plan_id uuid PRIMARY KEY,
    record_id uuid NOT NULL,
    organisation text NOT NULL,
    review_due date NOT NULL
);
CREATE INDEX IF NOT EXISTS reviews_due_by_date ON reviews_due (review_due);
CREATE INDEX IF NOT EXISTS reviews_due_by_person ON reviews_due (record_id);
"""


handle = functools.singledispatch(not_followed)


@handle.register
def _made(event: RecommendationMade, cursor: Any) -> bool:
    if event.review_due is None:
        return False
    cursor.execute(
        """INSERT INTO reviews_due (plan_id, record_id, organisation, review_due) VALUES (%s, %s, %s, %s)
           ON CONFLICT (plan_id) DO UPDATE SET review_due = EXCLUDED.review_due""",
        (event.plan_id, event.record_id, event.organisation, event.review_due),
    )
    return True


@handle.register
def _reviewed(event: PlanReviewed, cursor: Any) -> bool:
    if event.outcome is ReviewOutcome.REVOKED or event.next_review_due is None:
        return _ended(event, cursor)
    cursor.execute(
        "UPDATE reviews_due SET review_due = %s WHERE plan_id = %s", (event.next_review_due, event.plan_id)
    )
    return True


@handle.register(PlanRevoked)
@handle.register(PlanSuperseded)
def _ended(event: PlanReviewed | PlanRevoked | PlanSuperseded, cursor: Any) -> bool:
    cursor.execute("DELETE FROM reviews_due WHERE plan_id = %s", (event.plan_id,))
    return True


@handle.register
def _died(event: PersonDied, cursor: Any) -> bool:
    cursor.execute("DELETE FROM reviews_due WHERE record_id = %s", (event.record_id,))
    return True


class ReviewsDue(AdditionalProjection):
    name = NAME
    ddl = DDL
    handle = staticmethod(handle)
