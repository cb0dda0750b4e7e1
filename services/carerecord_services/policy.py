"""Who may do what, and who counts as a senior responsible clinician: the one permission table.

`PERMISSIONS` says which roles may ask for each change (`Action`) and each read (`Read`); `CONDITIONS` says, in
words, what else the record must show. The rules, the API's resolvers, the README's "Who may do what" table
(`who_may_do_what`) and the access-matrix tests are all made from these tables, so that they cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from carerecord_events.roles import ROLES, Role
from carerecord_services import commands as c
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
    RECORD_BOARD_FINDING = "record what the board found when it looked into a decision"


class Read(StrEnum):
    READ_RECORD = "read a record"
    SEARCH_PEOPLE = "search for a person"
    BREAK_GLASS = "open a record in an emergency (break glass)"
    ACCESS_HISTORY = "see who has looked at a record"
    INVESTIGATE = "investigate what a reader was shown, or a person's history over a period"
    REVIEW_BREAK_GLASS = "review a break-glass access"
    SUBSCRIBE = "subscribe to changes for the people the organisation cares for"
    REVIEW_RELATIONSHIPS = "list care relationships started without evidence"
    OVERSIGHT = "see oversight figures, alerts and drill-downs"
    SHARE_WITH_URGENT_CARE = (
        "grant or withdraw an urgent and emergency care service the region's plans in force"
    )
    REPORT_STAFF_TRAINING = "report the organisation's staff training figures"


# The groups of roles the permission table is made of, and the only role sets anything else may name: who
# may search and break glass, for instance, is `PERMISSIONS[Read.BREAK_GLASS]`, never a set of its own.
DOCTORS = frozenset({Role.CONSULTANT, Role.GP, Role.DOCTOR})
CLINICIANS = DOCTORS | {Role.NURSE, Role.PARAMEDIC}
"""Doctors, nurses and paramedics: among other things, who may search for a person and break glass."""
SIGNS_IN = frozenset(role for role in Role if role is not Role.SYSTEM)
BOARD_ROLES = frozenset({Role.ASSURANCE, Role.PRIVACY_OFFICER})
"""Roles that act for an integrated care board: they read the people its organisations care for."""
STAFF_ROLES = CLINICIANS | {Role.CARE_HOME_STAFF, Role.ADMINISTRATOR}
"""Roles of a provider organisation, whose reading is decided by its care relationship or break glass."""
NOT_STAFF = frozenset(Role) - STAFF_ROLES
"""Roles whose reading is not decided by their organisation's care relationship."""

PERMISSIONS: dict[Action | Read, frozenset[Role]] = {
    Read.READ_RECORD: SIGNS_IN,
    Read.SEARCH_PEOPLE: CLINICIANS,
    Read.BREAK_GLASS: CLINICIANS,
    Read.ACCESS_HISTORY: frozenset({Role.PERSON, Role.REPRESENTATIVE}) | BOARD_ROLES,
    Read.INVESTIGATE: frozenset({Role.ASSURANCE}),
    Read.REVIEW_BREAK_GLASS: frozenset({Role.ASSURANCE}),
    Read.SUBSCRIBE: STAFF_ROLES,
    Read.REVIEW_RELATIONSHIPS: BOARD_ROLES,
    Read.OVERSIGHT: frozenset({Role.ASSURANCE, Role.ADMINISTRATOR}),
    Read.SHARE_WITH_URGENT_CARE: frozenset({Role.ADMINISTRATOR}),
    Read.REPORT_STAFF_TRAINING: frozenset({Role.ADMINISTRATOR}),
    Action.REGISTER_PERSON: CLINICIANS | {Role.ADMINISTRATOR},
    Action.RECORD_DEATH: CLINICIANS | {Role.CARE_HOME_STAFF, Role.ADMINISTRATOR},
    # only a clinical or administrative role of that organisation (the rules also check the organisation)
    Action.START_CARE_RELATIONSHIP: CLINICIANS | {Role.ADMINISTRATOR},
    Action.END_CARE_RELATIONSHIP: CLINICIANS | {Role.ADMINISTRATOR},
    Action.CONFIRM_CARE_RELATIONSHIP: frozenset({Role.ADMINISTRATOR}),
    Action.REVIEW_CARE_RELATIONSHIP: frozenset({Role.PRIVACY_OFFICER}),
    Action.RECORD_CONVERSATION: CLINICIANS | {Role.CARE_HOME_STAFF},
    Action.ASSESS_CAPACITY: CLINICIANS,
    Action.RECORD_REPRESENTATIVE: CLINICIANS | {Role.ADMINISTRATOR},
    Action.RECORD_ADVANCE_DECISION: CLINICIANS,
    Action.MAKE_RECOMMENDATION: DOCTORS | {Role.NURSE},
    Action.ENDORSE: DOCTORS | {Role.NURSE},  # and only those the policy counts as senior
    Action.REVIEW: DOCTORS | {Role.NURSE},
    Action.REVOKE: DOCTORS | {Role.NURSE},
    Action.COMMUNICATE: CLINICIANS | {Role.CARE_HOME_STAFF},
    Action.MARK_ENTERED_IN_ERROR: CLINICIANS | {Role.CARE_HOME_STAFF, Role.ADMINISTRATOR},
    Action.RECORD_CORRECTION: CLINICIANS | {Role.CARE_HOME_STAFF, Role.ADMINISTRATOR},
    Action.RAISE_CONCERN: CLINICIANS
    | {Role.CARE_HOME_STAFF, Role.PERSON, Role.REPRESENTATIVE, Role.ASSURANCE, Role.ADMINISTRATOR},
    Action.RESOLVE_CONCERN: frozenset({Role.CONSULTANT, Role.GP, Role.ASSURANCE, Role.ADMINISTRATOR}),
    Action.RECORD_BOARD_FINDING: frozenset({Role.ASSURANCE}),
}


@dataclass(frozen=True)
class RecordPolicy:
    """The configurable parts of the rules."""

    extra_senior_roles: frozenset[Role] = frozenset()
    reasoning: ReasoningPolicy = field(default_factory=ReasoningPolicy)

    def is_senior(self, role: Role) -> bool:
        return ROLES[role].senior_by_default or role in self.extra_senior_roles

    def may(self, role: Role, action: Action | Read) -> bool:
        return role in PERMISSIONS[action]


CONDITIONS: dict[Action | Read, str] = {
    Read.READ_RECORD: "staff: their organisation has a care relationship with the person now (one on an "
    '"other" basis lapses after `CARERECORD_UNCONFIRMED_RELATIONSHIP_DAYS` unless confirmed), or they used '
    "break glass; the person: their own record; a representative: the record they are recorded as "
    "representing, while not withdrawn; assurance and privacy officers: people cared for by an organisation "
    "of their board at the instant or over the period asked about. Decided from the record in the store, "
    "never from a read model. Every read, and every refusal, is recorded",
    Read.SEARCH_PEOPLE: "at most 5 matches, names and dates of birth only; recorded",
    Read.BREAK_GLASS: "a stated reason; time-limited (`CARERECORD_BREAK_GLASS_SECONDS`, default 4 hours); "
    "recorded and reviewable",
    Read.ACCESS_HISTORY: "as for reading the record",
    Read.INVESTIGATE: "their board cared for the person when the access happened, or over the period asked "
    "about. Recorded",
    Read.REVIEW_BREAK_GLASS: "recorded",
    Read.SUBSCRIBE: "only the people their organisation cares for now, each push decided as a read and "
    "recorded; the stream closes (4403) when the token expires",
    Read.REVIEW_RELATIONSHIPS: "their board's organisations; each person listed is recorded as read",
    Read.OVERSIGHT: "assurance: their own board; administrators: their own organisation. Recorded",
    Read.SHARE_WITH_URGENT_CARE: "only an integrated care board's administrator, for an organisation of their "
    "board that the register marks as urgent and emergency care (ambulance, NHS 111, out-of-hours, emergency "
    "department); recorded; from then its feed carries every plan in force and every plan-level change in the "
    "region, each sending recorded as a disclosure",
    Read.REPORT_STAFF_TRAINING: "their own organisation's figures only, from a checked CSV: a file with any "
    "problem changes nothing, and every problem is named by row and column",
    Action.REGISTER_PERSON: "",
    Action.START_CARE_RELATIONSHIP: "only staff of that organisation, stating the basis; without evidence "
    "the record holds, listed for a privacy officer's review",
    Action.END_CARE_RELATIONSHIP: "only staff of that organisation",
    Action.CONFIRM_CARE_RELATIONSHIP: "only the organisation's own administrator",
    Action.REVIEW_CARE_RELATIONSHIP: "within their board; once",
    Action.MAKE_RECOMMENDATION: (
        "a junior's recommendation awaits senior endorsement. Taken in from another system (a FHIR Bundle, a "
        "migration): the organisation's own plans, for people it cares for or states the basis of caring for "
        "(`relationship-basis`), once per Bundle identifier; a refusal is held for it to correct"
    ),
    Action.ENDORSE: "senior roles only (and roles configured as senior); never the plan's own author",
    Action.RAISE_CONCERN: "the person or representative: on their own record; assurance: anywhere",
    Action.RESOLVE_CONCERN: "assurance: anywhere",
    Action.RECORD_BOARD_FINDING: "people cared for by an organisation of their board, decided as a read",
}

OPERATIONS: dict[Action | Read, tuple[str, ...]] = {
    Read.READ_RECORD: (
        "person",
        "record",
        "node",
        "recordAsOf",
        "GET /fhir/Patient/{nhsNumber}",
        "GET /fhir/Patient/{nhsNumber}/$everything",
        "portal /portal/people/{recordId}",
        "portal /portal/people/{recordId}/plans/{planId}/print (and print.pdf)",
        "portal /portal/my-plan",
        "portal /portal/my-plan/easy-read",
    ),
    Read.SEARCH_PEOPLE: ("searchPeople", "portal POST /portal/search"),
    Read.BREAK_GLASS: ("breakGlass", "portal POST /portal/break-glass"),
    Read.ACCESS_HISTORY: ("accessHistory", "Person.accessHistory", "portal /portal/my-plan/who-has-looked"),
    Read.INVESTIGATE: ("accessShown", "investigation"),
    Read.REVIEW_BREAK_GLASS: ("reviewBreakGlass",),
    Read.SUBSCRIBE: ("planChanges",),
    Read.REVIEW_RELATIONSHIPS: ("relationshipsForReview",),
    Read.OVERSIGHT: (
        "oversight",
        "oversightDecisions",
        "blanketAlerts",
        "equalityMonitoring",
        "GET /oversight/export.csv",
        "portal /portal/dashboard",
        "portal /portal/export/{part}.csv",
    ),
    Read.SHARE_WITH_URGENT_CARE: ("grantUrgentCareSharing", "withdrawUrgentCareSharing"),
    Read.REPORT_STAFF_TRAINING: ("reportStaffTraining",),
    Action.REGISTER_PERSON: ("registerPerson",),
    Action.RECORD_DEATH: ("recordDeath", "portal /portal/people/{recordId}/record/death"),
    Action.START_CARE_RELATIONSHIP: (
        "startCareRelationship",
        "portal /portal/people/{recordId}/record/care-relationship",
    ),
    Action.END_CARE_RELATIONSHIP: (
        "endCareRelationship",
        "portal /portal/people/{recordId}/record/end-care-relationship",
    ),
    Action.CONFIRM_CARE_RELATIONSHIP: ("confirmCareRelationship",),
    Action.REVIEW_CARE_RELATIONSHIP: ("reviewCareRelationship",),
    Action.RECORD_CONVERSATION: (
        "recordConversation",
        "portal /portal/people/{recordId}/record/conversation",
    ),
    Action.ASSESS_CAPACITY: ("assessCapacity",),
    Action.RECORD_REPRESENTATIVE: ("recordRepresentative", "withdrawRepresentative"),
    Action.RECORD_ADVANCE_DECISION: ("recordAdvanceDecision", "withdrawAdvanceDecision"),
    Action.MAKE_RECOMMENDATION: (
        "makeRecommendation",
        "makeRecommendationFromLocalForm",
        "POST /fhir/Bundle",
        "GET /fhir/Bundle/$held",
        "carerecord import",
        "portal /portal/people/{recordId}/record/respect-plan",
        "portal /portal/people/{recordId}/record/escalation-plan",
        "portal /portal/people/{recordId}/record/dnacpr-form",
    ),
    Action.ENDORSE: ("endorsePlan", "portal /portal/people/{recordId}/record/endorse"),
    Action.REVIEW: ("reviewPlan", "portal /portal/people/{recordId}/record/review"),
    Action.REVOKE: ("revokePlan", "portal /portal/people/{recordId}/record/revoke"),
    Action.COMMUNICATE: ("communicateDecision", "portal /portal/people/{recordId}/record/communication"),
    Action.MARK_ENTERED_IN_ERROR: ("markEnteredInError",),
    Action.RECORD_CORRECTION: ("recordCorrection",),
    Action.RAISE_CONCERN: (
        "raiseConcern",
        "portal /portal/people/{recordId}/record/concern",
        "portal POST /portal/my-plan/concerns (the person and representative only)",
    ),
    Action.RESOLVE_CONCERN: ("resolveConcern",),
    Action.RECORD_BOARD_FINDING: ("recordBoardFinding", "portal /portal/dashboard/alerts/{index}/finding"),
}


def who_may_do_what() -> str:
    """The README's "Who may do what" table, in Markdown, from the tables above."""
    rows = ["| operation | what it is | allowed roles | and |", "|---|---|---|---|"]
    for what, names in OPERATIONS.items():
        roles = ", ".join(ROLES[role].label for role in Role if role in PERMISSIONS[what])
        operations = ", ".join(f"`{name}`" for name in names)
        rows.append(f"| {operations} | {what.value} | {roles} | {CONDITIONS.get(what, '')} |")
    return "\n".join(rows) + "\n"


COMMAND_ACTIONS: dict[type[c.Command], Action] = {
    c.RegisterPerson: Action.REGISTER_PERSON,
    c.RecordDeath: Action.RECORD_DEATH,
    c.StartCareRelationship: Action.START_CARE_RELATIONSHIP,
    c.EndCareRelationship: Action.END_CARE_RELATIONSHIP,
    c.ConfirmCareRelationship: Action.CONFIRM_CARE_RELATIONSHIP,
    c.ReviewCareRelationship: Action.REVIEW_CARE_RELATIONSHIP,
    c.RecordConversation: Action.RECORD_CONVERSATION,
    c.AssessCapacity: Action.ASSESS_CAPACITY,
    c.RecordRepresentative: Action.RECORD_REPRESENTATIVE,
    c.WithdrawRepresentative: Action.RECORD_REPRESENTATIVE,
    c.RecordAdvanceDecision: Action.RECORD_ADVANCE_DECISION,
    c.WithdrawAdvanceDecision: Action.RECORD_ADVANCE_DECISION,
    c.MakeRecommendation: Action.MAKE_RECOMMENDATION,
    c.TakeInPlan: Action.MAKE_RECOMMENDATION,
    c.EndorsePlan: Action.ENDORSE,
    c.ReviewPlan: Action.REVIEW,
    c.RevokePlan: Action.REVOKE,
    c.CommunicateDecision: Action.COMMUNICATE,
    c.MarkEnteredInError: Action.MARK_ENTERED_IN_ERROR,
    c.RecordCorrection: Action.RECORD_CORRECTION,
    c.RaiseConcern: Action.RAISE_CONCERN,
    c.ResolveConcern: Action.RESOLVE_CONCERN,
    c.RecordBoardFinding: Action.RECORD_BOARD_FINDING,
}
"""Which change each command asks for (the rules check it again when they decide)."""
