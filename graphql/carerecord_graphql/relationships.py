"""Care relationships started without evidence, for the privacy officers (and assurance teams) of a board:
each awaits a review (`reviewCareRelationship`), with the alerts privacy officers look for."""

from __future__ import annotations

from typing import TYPE_CHECKING

import strawberry

from carerecord_graphql.access import require_role
from carerecord_graphql.arguments import PeriodEnd, PeriodStart
from carerecord_graphql.connections import After, Before, Connection, First, Last, connection, listed, page
from carerecord_graphql.context import info_context
from carerecord_graphql.wrapping import graphql_type
from carerecord_projections.relationships_for_review import RelationshipToReview as RelationshipToReviewView
from carerecord_projections.relationships_for_review import relationships_awaiting_review
from carerecord_services.policy import Read

if TYPE_CHECKING:  # a resolver returns the view itself; see wrapping.py
    RelationshipToReview = RelationshipToReviewView
else:
    RelationshipToReview = graphql_type(
        RelationshipToReviewView,
        name="RelationshipToReview",
        description="A care relationship started without evidence the record already held",
        spelled={"alerts": list[str]},
    )


@strawberry.type
class RelationshipQueries:
    @strawberry.field(
        description="Privacy officers and assurance teams: care relationships started in the period by the "
        "board's organisations without evidence the record already held, not yet reviewed, with alerts (no "
        "earlier contact; many started by one user in a short window). Each person on the page is recorded as read."
    )
    def relationships_for_review(
        self,
        info: strawberry.Info,
        period_start: PeriodStart,
        period_end: PeriodEnd,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[RelationshipToReview]:
        context = info_context(info)
        caller = require_role(context, Read.REVIEW_RELATIONSHIPS, "relationshipsForReview", "privacy review")
        asked = page(FOR_REVIEW, first, after, last, before)
        if period_start.tzinfo is None or period_end.tzinfo is None:
            raise ValueError("periodStart and periodEnd must carry a time zone")
        board = context.api.reading.board(caller.organisation)
        rows = relationships_awaiting_review(context.api.read_models.dsn, board, period_start, period_end)
        shown = connection(FOR_REVIEW, listed(rows), asked)
        context.api.audit.record_accesses(
            caller.actor,
            [(record_id, None) for record_id in sorted({edge.node.record_id for edge in shown.edges})],
            operation="relationshipsForReview",
            purpose="privacy review",
        )
        return shown


FOR_REVIEW = "relationships for review"
