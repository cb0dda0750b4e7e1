"""Access records: who looked at whose record, why, and what they were shown.

Kept in an audit stream of their own, outside people's clinical histories, so that reading never changes the
version a clinician writes against. Refused attempts are recorded too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from carerecord_events.base import CareRecordEvent, event_type

NO_RECORD = UUID(int=0)  # for accesses that concern no single record (a search that found nobody)


@event_type(
    "RecordAccessed",
    version=1,
    label="Record looked at",
    easy_read="Someone looked at your record. We keep a note of who, when and why.",
)
@dataclass(frozen=True, kw_only=True)
class RecordAccessed(CareRecordEvent):
    access_id: UUID
    operation: str
    purpose: str
    granted: bool
    version_shown: int | None = None
    refusal_reason: str = ""
    via_break_glass: bool = False


@event_type(
    "BreakGlassAccessStarted",
    version=1,
    label="Urgent access without a care relationship (break glass)",
    easy_read="In an emergency, someone opened your record without already caring for you. They had to say why.",
)
@dataclass(frozen=True, kw_only=True)
class BreakGlassAccessStarted(CareRecordEvent):
    access_id: UUID
    reason: str
    expires_at: datetime


@event_type(
    "BreakGlassAccessReviewed",
    version=1,
    label="Urgent access without a care relationship reviewed",
    easy_read="Someone checked whether an emergency look at your record was right, and wrote down what they found.",
)
@dataclass(frozen=True, kw_only=True)
class BreakGlassAccessReviewed(CareRecordEvent):
    """An assurance team's review of one break-glass access. `access_id` is this review's own stream;
    `reviewed_access_id` is the break-glass access it reviews."""

    access_id: UUID
    reviewed_access_id: UUID
    appropriate: bool
    notes: str = ""


@event_type(
    "PeopleSearched",
    version=1,
    label="Search for a person by name, date of birth and postcode",
    easy_read="Someone in urgent care searched for a person's record.",
)
@dataclass(frozen=True, kw_only=True)
class PeopleSearched(CareRecordEvent):
    access_id: UUID
    purpose: str
    results: int
    record_ids: tuple[UUID, ...] = ()


@event_type(
    "RequestRefused",
    version=1,
    label="Request refused",
    easy_read="Someone asked for something they were not allowed, or without a valid sign-in. We said no and kept a note.",
)
@dataclass(frozen=True, kw_only=True)
class RequestRefused(CareRecordEvent):
    """A request the API refused: a token it could not accept, or a good token asking for what its role or
    organisation may not. Recorded by the API (`recorded_by`); who asked is only what the token showed (each
    field only if it looked like an identifier), never a name. Refused reads of a record are RecordAccessed."""

    access_id: UUID
    kind: str  # "authentication" (no usable token) or "permission" (a good token asked for what it may not)
    reason: str
    operation: str | None = None
    token_id: str | None = None
    key_id: str | None = None
    user_id: str | None = None
    role: str | None = None
    organisation: str | None = None
    client_address: str | None = None


@event_type(
    "FeedDisclosed",
    version=1,
    label="Sent to a provider organisation's feed",
    easy_read="A change to your record was sent to the computer system of an organisation that cares for you.",
)
@dataclass(frozen=True, kw_only=True)
class FeedDisclosed(CareRecordEvent):
    """One event of the person's record copied to one organisation's feed topic, after the broker acknowledged
    it. `disclosed_event_id` and `position` name the event disclosed (in the clinical store)."""

    access_id: UUID
    organisation: str
    disclosed_event_id: UUID
    position: int
    event_type: str


@event_type(
    "UrgentCareSharingGranted",
    version=1,
    label="Plans in force shared with an urgent and emergency care service",
    easy_read="An ambulance service, NHS 111, an out-of-hours service or an emergency department was given the "
    "plans of everyone in the region, so that whoever meets you in an emergency knows what you decided.",
)
@dataclass(frozen=True, kw_only=True)
class UrgentCareSharingGranted(CareRecordEvent):
    """A board's administrator grants an urgent and emergency care service (`organisation`, marked so in the
    register, within their board `board`) the region's plans in force: from then its feed carries them and
    every plan-level change of everyone in the region. Concerns no one person (`record_id` is NO_RECORD); kept
    in the region's sharing stream (`urgent_care_sharing_stream`), which grants are decided from."""

    access_id: UUID
    organisation: str
    board: str
    reason: str


@event_type(
    "UrgentCareSharingWithdrawn",
    version=1,
    label="Plans in force no longer shared with an urgent and emergency care service",
    easy_read="A service that had been given everyone's plans for emergencies stopped being sent them.",
)
@dataclass(frozen=True, kw_only=True)
class UrgentCareSharingWithdrawn(CareRecordEvent):
    """The grant of `granted_access_id` (an UrgentCareSharingGranted) withdrawn by a board's administrator."""

    access_id: UUID
    granted_access_id: UUID
    organisation: str
    board: str
    reason: str
