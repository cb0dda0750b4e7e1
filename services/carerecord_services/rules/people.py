"""The rules of people and their care relationships: registration, death, and who cares for them."""

from __future__ import annotations

import re

from carerecord_events import people as facts
from carerecord_events.base import CareRecordEvent
from carerecord_events.record.state import PersonRecord
from carerecord_events.vocabulary import RelationshipBasis
from carerecord_services import commands as c
from carerecord_services.errors import (
    AlreadyRegistered,
    InvalidInput,
    NotPermitted,
    RecordNotFound,
    TimeInFuture,
)
from carerecord_services.identifiers import canonical_nhs_number, canonical_postcode, ods_code_is_valid
from carerecord_services.policy import Action
from carerecord_services.rules.common import Stamp, content, permit, require_alive, require_text, rule

_WORDS = re.compile(r"[A-Za-z]{3,}")  # a word of three letters or more


@rule
def _(command: c.RegisterPerson, record: PersonRecord, stamp: Stamp) -> list[CareRecordEvent]:
    permit(command.actor, Action.REGISTER_PERSON, stamp.context.policy)
    if record.registered:
        raise AlreadyRegistered("this record is already registered", field="record_id")
    nhs_number = canonical_nhs_number(command.nhs_number)
    postcode = canonical_postcode(command.postcode) if command.postcode else None
    require_text(command.given_name, "given_name", "a given name")
    require_text(command.family_name, "family_name", "a family name")
    return [
        stamp(
            facts.PersonRegistered,
            **content(
                command,
                facts.PersonDetails,
                nhs_number=nhs_number,
                given_name=command.given_name.strip(),
                family_name=command.family_name.strip(),
                postcode=postcode,
            ),
        )
    ]


@rule
def _(command: c.RecordDeath, record: PersonRecord, stamp: Stamp) -> list[CareRecordEvent]:
    permit(command.actor, Action.RECORD_DEATH, stamp.context.policy)
    require_alive(record)
    if command.date_of_death > stamp.context.now.date():
        raise TimeInFuture("a date of death cannot be in the future", field="date_of_death")
    if record.date_of_birth and command.date_of_death < record.date_of_birth:
        raise InvalidInput("the date of death is before the date of birth", field="date_of_death")
    require_text(command.place_of_death, "place_of_death", "the place of death")
    return [
        stamp(
            facts.PersonDied,
            date_of_death=command.date_of_death,
            place_of_death=command.place_of_death,
            was_preferred_place=command.was_preferred_place,
        )
    ]


@rule
def _(command: c.StartCareRelationship, record: PersonRecord, stamp: Stamp) -> list[CareRecordEvent]:
    permit(command.actor, Action.START_CARE_RELATIONSHIP, stamp.context.policy)
    require_alive(record)
    if command.actor.organisation != command.organisation:
        raise NotPermitted(
            "only staff of an organisation may start that organisation's care relationship",
            field="organisation",
        )
    if command.organisation in record.caring_organisations:
        raise InvalidInput("this organisation already cares for the person", field="organisation")
    _check_basis(command)
    referred = command.basis is RelationshipBasis.REFERRAL_RECEIVED
    evidenced = record.has_known(command.organisation) or (
        referred and command.referred_by in record.caring_organisations
    )
    return [
        stamp(
            facts.CareRelationshipStarted,
            organisation=command.organisation,
            setting=command.setting,
            relationship_id=stamp.context.new_id(),
            basis=command.basis,
            basis_detail=command.basis_detail.strip(),
            referred_by=command.referred_by if referred else None,
            evidenced=evidenced,
        )
    ]


_NOT_YOURS = RecordNotFound("there is no such record, or you may not see it", field="record_id")


def _check_basis(command: c.StartCareRelationship) -> None:
    if command.basis is RelationshipBasis.NOT_RECORDED:
        raise InvalidInput("say on what basis the organisation cares for the person", field="basis")
    if command.basis is RelationshipBasis.OTHER and len(_WORDS.findall(command.basis_detail)) < 3:
        raise InvalidInput(
            "say in a few words why the organisation cares for the person", field="basis_detail"
        )
    referred_by = command.referred_by or ""
    if command.basis is RelationshipBasis.REFERRAL_RECEIVED and not ods_code_is_valid(referred_by):
        raise InvalidInput("name the referring organisation by its ODS code", field="referred_by")


@rule
def _(command: c.ConfirmCareRelationship, record: PersonRecord, stamp: Stamp) -> list[CareRecordEvent]:
    permit(command.actor, Action.CONFIRM_CARE_RELATIONSHIP, stamp.context.policy)
    relationship = record.relationship(command.relationship_id)
    if relationship is None or relationship.organisation != command.organisation:
        raise InvalidInput("there is no such care relationship on this record", field="relationship_id")
    if command.actor.organisation != command.organisation:
        raise NotPermitted(
            "only the organisation's own administrator may confirm its care relationship",
            field="organisation",
        )
    if relationship.ended_at is not None or relationship.confirmed:
        raise InvalidInput("this relationship has ended or is confirmed already", field="relationship_id")
    return [
        stamp(
            facts.CareRelationshipConfirmed,
            organisation=command.organisation,
            relationship_id=command.relationship_id,
        )
    ]


@rule
def _(command: c.ReviewCareRelationship, record: PersonRecord, stamp: Stamp) -> list[CareRecordEvent]:
    permit(command.actor, Action.REVIEW_CARE_RELATIONSHIP, stamp.context.policy)
    relationship = record.relationship(command.relationship_id)
    if relationship is None:
        raise InvalidInput("there is no such care relationship on this record", field="relationship_id")
    if relationship.reviewed:
        raise InvalidInput("this relationship has been reviewed already", field="relationship_id")
    if len(_WORDS.findall(command.notes)) < 3:
        raise InvalidInput("say what the review found", field="notes")
    return [
        stamp(
            facts.CareRelationshipReviewed,
            organisation=relationship.organisation,
            relationship_id=command.relationship_id,
            appropriate=command.appropriate,
            notes=command.notes,
        )
    ]


@rule
def _(command: c.EndCareRelationship, record: PersonRecord, stamp: Stamp) -> list[CareRecordEvent]:
    permit(command.actor, Action.END_CARE_RELATIONSHIP, stamp.context.policy)
    if command.actor.organisation != command.organisation:
        raise NotPermitted(
            "only staff of an organisation may end that organisation's care relationship",
            field="organisation",
        )
    if command.organisation not in record.caring_organisations:
        raise _NOT_YOURS  # worded as for a record that does not exist: a stranger learns nothing
    require_text(command.reason, "reason", "a reason")
    return [stamp(facts.CareRelationshipEnded, organisation=command.organisation, reason=command.reason)]
