"""Who may do what, and who counts as a senior responsible clinician."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from carerecord_events.roles import ROLES, Role
from carerecord_services.reasoning import ReasoningPolicy


class Action(StrEnum):
    REGISTER_PERSON = "register a person"
    RECORD_DEATH = "record a death"
    START_CARE_RELATIONSHIP = "start a care relationship"
    END_CARE_RELATIONSHIP = "end a care relationship"
    CONFIRM_CARE_RELATIONSHIP = "confirm a care relationship"
    REVIEW_CARE_RELATIONSHIP = "review a care relationship started without evidence"
    RECORD_CONVERSATION = "record a conversation"
    ASSESS_CAPACITY = "record a capacity assessment"
    RECORD_REPRESENTATIVE = "record or withdraw a representative"
    RECORD_ADVANCE_DECISION = "record or withdraw an advance decision to refuse treatment"
    MAKE_RECOMMENDATION = "make a recommendation"
    ENDORSE = "endorse a recommendation"
    REVIEW = "review a recommendation"
    REVOKE = "revoke a recommendation"
    COMMUNICATE = "record that a decision was communicated"
    MARK_ENTERED_IN_ERROR = "mark an entry as entered in error"
    RECORD_CORRECTION = "record a correction"
    RAISE_CONCERN = "raise a concern"
    RESOLVE_CONCERN = "resolve a concern"


_DOCTORS = frozenset({Role.CONSULTANT, Role.GP, Role.DOCTOR})
_CLINICIANS = _DOCTORS | {Role.NURSE, Role.PARAMEDIC}

PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.REGISTER_PERSON: _CLINICIANS | {Role.ADMINISTRATOR},
    Action.RECORD_DEATH: _CLINICIANS | {Role.CARE_HOME_STAFF, Role.ADMINISTRATOR},
    # only a clinical or administrative role of that organisation (the rules also check the organisation)
    Action.START_CARE_RELATIONSHIP: _CLINICIANS | {Role.ADMINISTRATOR},
    Action.END_CARE_RELATIONSHIP: _CLINICIANS | {Role.ADMINISTRATOR},
    Action.CONFIRM_CARE_RELATIONSHIP: frozenset({Role.ADMINISTRATOR}),
    Action.REVIEW_CARE_RELATIONSHIP: frozenset({Role.PRIVACY_OFFICER}),
    Action.RECORD_CONVERSATION: _CLINICIANS | {Role.CARE_HOME_STAFF},
    Action.ASSESS_CAPACITY: _CLINICIANS,
    Action.RECORD_REPRESENTATIVE: _CLINICIANS | {Role.ADMINISTRATOR},
    Action.RECORD_ADVANCE_DECISION: _CLINICIANS,
    Action.MAKE_RECOMMENDATION: _DOCTORS | {Role.NURSE},
    Action.ENDORSE: _DOCTORS | {Role.NURSE},  # and only those the policy counts as senior
    Action.REVIEW: _DOCTORS | {Role.NURSE},
    Action.REVOKE: _DOCTORS | {Role.NURSE},
    Action.COMMUNICATE: _CLINICIANS | {Role.CARE_HOME_STAFF},
    Action.MARK_ENTERED_IN_ERROR: _CLINICIANS | {Role.CARE_HOME_STAFF, Role.ADMINISTRATOR},
    Action.RECORD_CORRECTION: _CLINICIANS | {Role.CARE_HOME_STAFF, Role.ADMINISTRATOR},
    Action.RAISE_CONCERN: _CLINICIANS
    | {Role.CARE_HOME_STAFF, Role.PERSON, Role.REPRESENTATIVE, Role.ASSURANCE, Role.ADMINISTRATOR},
    Action.RESOLVE_CONCERN: frozenset({Role.CONSULTANT, Role.GP, Role.ASSURANCE, Role.ADMINISTRATOR}),
}


@dataclass(frozen=True)
class RecordPolicy:
    """The configurable parts of the rules."""

    extra_senior_roles: frozenset[Role] = frozenset()
    reasoning: ReasoningPolicy = field(default_factory=ReasoningPolicy)

    def is_senior(self, role: Role) -> bool:
        return ROLES[role].senior_by_default or role in self.extra_senior_roles

    def may(self, role: Role, action: Action) -> bool:
        return role in PERMISSIONS[action]
