"""Facts about the person and the organisations caring for them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

from carerecord_events.base import CareRecordEvent, event_type
from carerecord_events.vocabulary import RelationshipBasis, Setting


@dataclass(frozen=True, kw_only=True)
class EqualityMonitoring:
    """Optional equality-monitoring characteristics. None means not recorded, which is not the same as 'no'."""

    ethnicity: str | None = None
    """The person's ethnic group, as they state it; none: not recorded"""
    sex: str | None = None
    """The person's sex, as they state it; none: not recorded"""
    disability: bool | None = None
    """Whether the person has a disability; none: not recorded"""
    learning_disability: bool | None = None
    """Whether the person has a learning disability; none: not recorded"""
    autism: bool | None = None
    """Whether the person is autistic; none: not recorded"""
    dementia: bool | None = None
    """Whether the person has dementia; none: not recorded"""


@dataclass(frozen=True, kw_only=True)
class PersonDetails:
    """Who the person is, as the registration gives it: the same fields in the command and the fact."""

    nhs_number: str
    """The person's NHS number (ten digits, with or without spaces)"""
    given_name: str
    """The person's given name"""
    family_name: str
    """The person's family name"""
    date_of_birth: date
    """The person's date of birth"""
    preferred_name: str | None = None
    """The name the person likes to be called, if not their given name"""
    address: str | None = None
    """The person's address"""
    postcode: str | None = None
    """The postcode of the person's address"""
    communication_needs: tuple[str, ...] = ()
    """How the person needs information and conversations to be (accessible information needs)"""
    equality: EqualityMonitoring = field(default_factory=EqualityMonitoring)
    """Equality monitoring, as the person states it: used only for figures, never to decide"""


@event_type(
    "PersonRegistered",
    version=2,
    label="Person registered on the shared care record",
    easy_read="Your name and details were added to the shared care record.",
)
@dataclass(frozen=True, kw_only=True)
class PersonRegistered(PersonDetails, CareRecordEvent):
    """The person's details, as registered."""


@event_type(
    "PersonDied",
    version=1,
    label="Person's death recorded",
    easy_read="The record says the person has died.",
)
@dataclass(frozen=True, kw_only=True)
class PersonDied(CareRecordEvent):
    date_of_death: date
    place_of_death: str
    was_preferred_place: bool | None = None


@event_type(
    "CareRelationshipStarted",
    version=2,
    label="Organisation started caring for the person",
    easy_read="A care service started looking after you and can now see your plan. It said why.",
)
@dataclass(frozen=True, kw_only=True)
class CareRelationshipStarted(CareRecordEvent):
    """Version 2 states the basis of the relationship, and whether the record already held evidence of it (the
    person registered by the organisation, an earlier relationship with it, a referral from an organisation
    already caring). `relationship_id` names it for confirmation and review (version 1: the event's id)."""

    organisation: str
    setting: Setting
    relationship_id: UUID
    basis: RelationshipBasis
    basis_detail: str = ""
    referred_by: str | None = None
    evidenced: bool = False


@event_type(
    "CareRelationshipConfirmed",
    version=1,
    label="Organisation's administrator confirmed a care relationship",
    easy_read="The care service checked that it really does look after you.",
)
@dataclass(frozen=True, kw_only=True)
class CareRelationshipConfirmed(CareRecordEvent):
    """A relationship started on an "other" basis ends after a set time unless this confirms it."""

    organisation: str
    relationship_id: UUID


@event_type(
    "CareRelationshipReviewed",
    version=1,
    label="Privacy officer reviewed a care relationship",
    easy_read="Someone checked whether a care service had a good reason to see your record, and wrote down what they found.",
)
@dataclass(frozen=True, kw_only=True)
class CareRelationshipReviewed(CareRecordEvent):
    organisation: str
    relationship_id: UUID
    appropriate: bool
    notes: str


@event_type(
    "CareRelationshipEnded",
    version=1,
    label="Organisation stopped caring for the person",
    easy_read="A care service stopped looking after you.",
)
@dataclass(frozen=True, kw_only=True)
class CareRelationshipEnded(CareRecordEvent):
    organisation: str
    reason: str


@event_type(
    "NhsNumberIndexed",
    version=1,
    label="NHS number linked to a care record",
    easy_read="Your NHS number was linked to your care record.",
)
@dataclass(frozen=True, kw_only=True)
class NhsNumberIndexed(CareRecordEvent):
    """Written to a small index stream (not the person's record) whose id is a keyed hash of the NHS number, so
    that one NHS number can only ever have one record. `record_id` here is the index stream's id."""

    person_record_id: UUID


@event_type(
    "RequestRecorded",
    version=1,
    label="Request recorded so that a retry records nothing twice",
    easy_read="The record remembered a request, so sending it again changes nothing.",
)
@dataclass(frozen=True, kw_only=True)
class RequestRecorded(CareRecordEvent):
    """Written to a small stream whose id comes from the user and their idempotency key, in the same
    transaction as the events the request produced. `record_id` here is that stream's id."""

    request_hash: str
    person_record_id: UUID
    version: int
    event_ids: tuple[UUID, ...]
