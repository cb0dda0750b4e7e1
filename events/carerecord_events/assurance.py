"""What an integrated care board's assurance team finds when it looks into a decision, for example one named in a
blanket-decision alert. Recorded on the person's own record, so that their history says what the board found."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from carerecord_events.base import CareRecordEvent, event_type
from carerecord_events.vocabulary import BoardFinding


@dataclass(frozen=True, kw_only=True)
class BoardFindingContent:
    """What the board found about one decision, and what it did."""

    plan_id: UUID
    """The decision (plan) looked into"""
    finding: BoardFinding
    """What the assurance team found"""
    notes: str = ""
    """The finding's notes, in the team's words"""


@event_type(
    "BoardFindingRecorded",
    version=1,
    label="Decision looked into by the integrated care board",
    easy_read="The team that checks the quality of care looked at this decision and wrote down what they found.",
)
@dataclass(frozen=True, kw_only=True)
class BoardFindingRecorded(BoardFindingContent, CareRecordEvent):
    pass
