"""The forms care staff and clinicians record with from the portal: each one field list, and how what was entered
becomes the same command the API's mutation makes (commands.py), for the same rules to decide.

What a refusal says beside its field: the rule's own message, then what the law or guidance asks and what to do
next (`GUIDANCE`, by the rules' `field`, which is the form field's name).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, TypeVar
from uuid import UUID

from carerecord_events.base import Actor, Clinician, Participant
from carerecord_events.plain import (
    BASIS_NAMES,
    CLINICAL_FOCUS_SCALE,
    DOCUMENT_KIND_NAMES,
    ESCALATION_LEVEL_NAMES,
    INFORMATION_FORMAT_NAMES,
    LIMITED_TREATMENT_NAMES,
    REASON_NAMES,
    SETTING_NAMES,
    WHAT_MATTERS_SCALE,
)
from carerecord_events.plans import (
    CarePlanningDocument,
    ClinicianSignature,
    DnacprForm,
    EmergencyContact,
    EscalationPlan,
    Involvement,
    RespectSections,
    TreatmentLimit,
    TreatmentRecommendation,
)
from carerecord_events.roles import ROLES, Role
from carerecord_events.vocabulary import (
    CarePlanningDocumentKind,
    ConcernRaisedBy,
    CprRecommendation,
    EscalationLevel,
    FormType,
    InformationFormat,
    InvolvementRoute,
    LimitedTreatment,
    ReasonCategory,
    RelationshipBasis,
    ReviewOutcome,
    RevocationInitiator,
    Setting,
    TreatmentDecision,
)
from carerecord_services import commands as c
from carerecord_services.policy import Action

E = TypeVar("E", bound=StrEnum)
PEOPLE_ROWS = 4


@dataclass(frozen=True)
class Field:
    """One question on a form. `kind`: text, textarea, lines (one entry a line), date, yes-no, yes-no-unknown,
    choice (radios), choices (checkboxes), people (rows of name and role), rows (rows of `columns`), plan (the
    plans in force); a heading starts a section of the form."""

    name: str
    label: str
    kind: str = "text"
    hint: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    optional: bool = True
    columns: tuple[tuple[str, str], ...] = ()
    """For `rows`: each column's name and label (the rows are numbered)."""


@dataclass(frozen=True)
class RecordForm:
    slug: str
    title: str
    link: str
    intro: str
    button: str
    done: str
    action: Action
    fields: tuple[Field, ...]
    build: Callable[[Entered, Actor], c.Command]
    senior_only: bool = False
    needs_plan: bool = False
    reads_record: bool = True
    """False for starting a care relationship: asked for by an organisation that may not read the record yet
    (so the form shows nothing of it, and carries no version)."""
    initial: Callable[[Actor], dict[str, str]] | None = None
    """What the form starts with, from who is signed in (the responsible clinician: themselves)."""


class Entered:
    """What was typed, read into the command's types; a field that cannot be read is noted in `problems`."""

    def __init__(self, form: Mapping[str, Any], now: datetime) -> None:
        self.form = form
        self.now = now
        self.problems: dict[str, str] = {}

    def text(self, name: str) -> str:
        return str(self.form.get(name) or "").strip()

    def lines(self, name: str) -> tuple[str, ...]:
        return tuple(line.strip() for line in self.text(name).splitlines() if line.strip())

    def people(self, name: str) -> tuple[Participant, ...]:
        found = []
        for row in range(PEOPLE_ROWS):
            who, role = self.text(f"{name}-{row}-name"), self.text(f"{name}-{row}-role")
            if who and not role:
                self.problems[name] = f"Say {who}'s role or relationship to the person."
            elif role and not who:
                self.problems[name] = f"Give the name of the {role}."
            elif who:
                found.append(Participant(name=who, role=role))
        return tuple(found)

    def rows(self, name: str, columns: tuple[str, ...]) -> list[dict[str, str]]:
        """The rows with anything in them, each column's text."""
        found = []
        for row in range(PEOPLE_ROWS):
            values = {column: self.text(f"{name}-{row}-{column}") for column in columns}
            if any(values.values()):
                found.append(values)
        return found

    def yes_no(self, name: str, unknown: bool = False) -> bool | None:
        answer = self.text(name)
        if answer in ("yes", "no"):
            return answer == "yes"
        if not (unknown and answer == "unknown"):
            self.problems[name] = "Choose yes or no." if not unknown else "Choose yes, no or not known."
        return None

    def day(self, name: str, optional: bool = False) -> date | None:
        written = self.text(name)
        if not written and optional:
            return None
        try:
            return date.fromisoformat(written)
        except ValueError:
            self.problems[name] = "Enter a date, like 2026-12-02."
            return None

    def choice(self, name: str, kind: type[E]) -> E:
        try:
            return kind(self.text(name))
        except ValueError:
            self.problems[name] = "Choose one of the answers."
            return next(iter(kind))

    def choices(self, name: str, kind: type[E]) -> tuple[E, ...]:
        picked = [str(v) for v in self.form.getlist(name)] if hasattr(self.form, "getlist") else []
        known = {member.value: member for member in kind}
        if any(v not in known for v in picked):
            self.problems[name] = "Choose from the answers given."
        return tuple(known[v] for v in picked if v in known)

    def plan(self, name: str = "plan_id") -> UUID:
        try:
            return UUID(self.text(name))
        except ValueError:
            self.problems[name] = "Choose the plan this is about."
            return UUID(int=0)


def _choices(names: Mapping[E, str]) -> tuple[tuple[str, str], ...]:
    return tuple((member.value, words) for member, words in names.items())


YES_NO = (("yes", "Yes"), ("no", "No"))
PLAN = Field("plan_id", "Which plan is this about?", "plan", optional=False)


def _conversation(entered: Entered, actor: Actor) -> c.Command:
    return c.RecordConversation(
        actor=actor,
        participants=entered.people("participants"),
        person_took_part=bool(entered.yes_no("person_took_part")),
        what_matters=entered.text("what_matters"),
        information_given=entered.text("information_given"),
        information_format=entered.text("information_format"),
        formats_offered=entered.choices("formats_offered", InformationFormat),
        interpreter_language=entered.text("interpreter_language"),
        reasonable_adjustments=entered.lines("reasonable_adjustments"),
        communication_support=entered.lines("communication_support"),
        views_expressed=entered.text("views_expressed"),
    )


def _communication(entered: Entered, actor: Actor) -> c.Command:
    return c.CommunicateDecision(
        actor=actor, plan_id=entered.plan(), told=entered.people("told"), how=entered.text("how")
    )


def _concern(entered: Entered, actor: Actor) -> c.Command:
    plan = entered.text("plan_id")
    return c.RaiseConcern(
        actor=actor,
        raised_by=entered.choice("raised_by", ConcernRaisedBy),
        summary=entered.text("summary"),
        plan_id=entered.plan() if plan else None,
    )


def _death(entered: Entered, actor: Actor) -> c.Command:
    return c.RecordDeath(
        actor=actor,
        date_of_death=entered.day("date_of_death") or date.min,
        place_of_death=entered.text("place_of_death"),
        was_preferred_place=entered.yes_no("was_preferred_place", unknown=True),
    )


def _review(entered: Entered, actor: Actor) -> c.Command:
    return c.ReviewPlan(
        actor=actor,
        plan_id=entered.plan(),
        reviewer_name=entered.text("reviewer_name"),
        outcome=entered.choice("outcome", ReviewOutcome),
        involved=entered.people("involved"),
        person_involved=bool(entered.yes_no("person_involved")),
        notes=entered.text("notes"),
        next_review_due=entered.day("next_review_due", optional=True),
    )


def _revoke(entered: Entered, actor: Actor) -> c.Command:
    return c.RevokePlan(
        actor=actor,
        plan_id=entered.plan(),
        reason=entered.text("reason"),
        initiated=entered.choice("initiated", RevocationInitiator),
    )


def _endorse(entered: Entered, actor: Actor) -> c.Command:
    return c.EndorsePlan(actor=actor, plan_id=entered.plan(), endorser_name=entered.text("endorser_name"))


def _involvement(entered: Entered) -> Involvement:
    return Involvement(
        route=entered.choice("involvement.route", InvolvementRoute),
        person_involved=bool(entered.yes_no("involvement.person_involved")),
        consulted=entered.people("involvement.consulted"),
        reason_person_not_involved=entered.text("involvement.reason_person_not_involved"),
        reason_no_one_consulted=entered.text("involvement.reason_no_one_consulted"),
        discussion_record_location=entered.text("involvement.discussion_record_location"),
        discussed_on=entered.day("involvement.discussed_on", optional=True),
    )


def _clinician(entered: Entered) -> Clinician:
    return Clinician(
        name=entered.text("responsible_clinician.name"),
        role=entered.choice("responsible_clinician.role", Role),
        registration=entered.text("responsible_clinician.registration"),
    )


def _dnacpr(entered: Entered, actor: Actor) -> c.Command:
    return c.MakeRecommendation(
        actor=actor,
        form_type=FormType.DNACPR,
        cpr=CprRecommendation.DO_NOT_ATTEMPT_CPR,  # the form records only that decision
        reason_category=entered.choice("reason_category", ReasonCategory),
        reasoning=entered.text("reasoning"),
        involvement=_involvement(entered),
        setting=entered.choice("setting", Setting),
        what_matters=entered.text("what_matters"),
        review_due=entered.day("review_due", optional=True),
        reason_no_review_date=entered.text("reason_no_review_date"),
        responsible_clinician=_clinician(entered),
        dnacpr=DnacprForm(
            communication_with_person=entered.text("dnacpr.communication_with_person"),
            communication_with_relatives=entered.text("dnacpr.communication_with_relatives"),
            team_members=entered.people("dnacpr.team_members"),
        ),
    )


def _escalation(entered: Entered, actor: Actor) -> c.Command:
    other = entered.text("escalation.other_limit")
    limits = tuple(
        TreatmentLimit(treatment=kind, detail=other if kind is LimitedTreatment.OTHER else "")
        for kind in entered.choices("escalation.limits", LimitedTreatment)
    )
    return c.MakeRecommendation(
        actor=actor,
        form_type=FormType.TREATMENT_ESCALATION_PLAN,
        cpr=entered.choice("cpr", CprRecommendation),
        reason_category=entered.choice("reason_category", ReasonCategory),
        reasoning=entered.text("reasoning"),
        involvement=_involvement(entered),
        setting=entered.choice("setting", Setting),
        what_matters=entered.text("what_matters"),
        review_due=entered.day("review_due", optional=True),
        reason_no_review_date=entered.text("reason_no_review_date"),
        responsible_clinician=_clinician(entered),
        escalation=EscalationPlan(
            level=entered.choice("escalation.level", EscalationLevel),
            goals_of_treatment=entered.text("escalation.goals_of_treatment"),
            limits=limits,
        ),
    )


def form_field(fields: tuple[Field, ...], domain_field: str) -> str:
    """The form field a rule's field is about: itself, or the nearest enclosing one (`escalation.limits.2.detail`
    is the limits' question); '' if the form has none (then it is shown at the top)."""
    names = {f.name for f in fields}
    parts = domain_field.split(".")
    while parts:
        if ".".join(parts) in names:
            return ".".join(parts)
        parts.pop()
    return ""


def _scale(entered: Entered, name: str) -> int | None:
    written = entered.text(name)
    if not written:
        return None
    if written.isascii() and written.isdigit() and int(written) <= 10:
        return int(written)
    entered.problems[name] = "Choose a place on the scale from 0 to 10."
    return None


def _documents(entered: Entered) -> tuple[CarePlanningDocument, ...]:
    """Section 2's other documents: one question for each kind, where it is kept (blank: they have none)."""
    return tuple(
        CarePlanningDocument(kind=kind, where_held=entered.text(f"respect.other_documents.{kind.value}"))
        for kind in CarePlanningDocumentKind
        if entered.text(f"respect.other_documents.{kind.value}")
    )


def _treatments(entered: Entered) -> tuple[TreatmentRecommendation, ...]:
    found = []
    for row in entered.rows("other_recommendations", ("treatment", "decision", "reason")):
        try:
            decision = TreatmentDecision(row["decision"])
        except ValueError:
            entered.problems["other_recommendations"] = (
                f"Say whether {row['treatment'] or 'the treatment'} is recommended: recommended, "
                "not-recommended or not-wanted."
            )
            continue
        found.append(
            TreatmentRecommendation(treatment=row["treatment"], decision=decision, reason=row["reason"])
        )
    return tuple(found)


def _contacts(entered: Entered) -> tuple[EmergencyContact, ...]:
    rows = entered.rows("respect.emergency_contacts", ("name", "role", "telephone", "other_details"))
    return tuple(
        EmergencyContact(
            name=row["name"],
            role=row["role"],
            telephone=row["telephone"],
            other_details=row["other_details"],
            primary=index == 0,
        )
        for index, row in enumerate(rows)
    )


def _signatures(entered: Entered, clinician: Clinician, now: datetime) -> tuple[ClinicianSignature, ...]:
    """Section 7: the responsible clinician signs as they submit the form."""
    return (
        ClinicianSignature(
            designation=entered.text("respect.designation"),
            name=clinician.name,
            role=clinician.role,
            registration=clinician.registration,
            signed_at=now,
            senior_responsible=ROLES[clinician.role].senior_by_default,
        ),
    )


def _respect(entered: Entered, actor: Actor) -> c.Command:
    clinician = _clinician(entered)
    capacity = entered.yes_no("respect.has_capacity_to_take_part", unknown=True)
    return c.MakeRecommendation(
        actor=actor,
        form_type=FormType.RESPECT,
        form_version="3",
        cpr=entered.choice("cpr", CprRecommendation),
        reason_category=entered.choice("reason_category", ReasonCategory),
        reasoning=entered.text("reasoning"),
        involvement=_involvement(entered),
        setting=entered.choice("setting", Setting),
        what_matters=entered.text("what_matters"),
        other_recommendations=_treatments(entered),
        review_due=entered.day("review_due", optional=True),
        reason_no_review_date=entered.text("reason_no_review_date"),
        responsible_clinician=clinician,
        respect=RespectSections(
            health_summary=entered.text("respect.health_summary"),
            other_documents=_documents(entered),
            legal_welfare_proxy=entered.yes_no("respect.legal_welfare_proxy", unknown=True),
            what_matters_scale=_scale(entered, "respect.what_matters_scale"),
            most_value=entered.text("respect.most_value"),
            most_fear=entered.text("respect.most_fear"),
            clinical_focus_scale=_scale(entered, "respect.clinical_focus_scale"),
            cpr_for_a_child=entered.text("respect.cpr_for_a_child") == "yes",
            has_capacity_to_take_part=capacity,
            how_capacity_is_lacking=entered.text("respect.how_capacity_is_lacking"),
            signatures=_signatures(entered, clinician, entered.now),
            emergency_contacts=_contacts(entered),
        ),
    )


def _start_relationship(entered: Entered, actor: Actor) -> c.Command:
    return c.StartCareRelationship(
        actor=actor,
        organisation=actor.organisation,
        setting=entered.choice("setting", Setting),
        basis=entered.choice("basis", RelationshipBasis),
        basis_detail=entered.text("basis_detail"),
        referred_by=entered.text("referred_by").upper() or None,
    )


def _end_relationship(entered: Entered, actor: Actor) -> c.Command:
    return c.EndCareRelationship(actor=actor, organisation=actor.organisation, reason=entered.text("reason"))


def _yourself(actor: Actor) -> dict[str, str]:
    return {
        "responsible_clinician.name": actor.name or "",
        "responsible_clinician.role": actor.role.value,
        "responsible_clinician.registration": actor.registration or "",
    }


RESPONSIBLE_ROLES = (Role.CONSULTANT, Role.GP, Role.DOCTOR, Role.NURSE)


def _scale_choices(ends: tuple[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (str(n), f"{n}: {ends[0]}" if n == 0 else f"{n}: {ends[1]}" if n == 10 else str(n)) for n in range(11)
    )


RESPONSIBLE_ROLE_FIELD = Field(
    "responsible_clinician.role",
    "Responsible clinician: role",
    "choice",
    choices=tuple((role.value, ROLES[role].label) for role in RESPONSIBLE_ROLES),
    optional=False,
)
REGISTRATION_FIELD = Field(
    "responsible_clinician.registration",
    "Responsible clinician: registration number",
    "text",
    "GMC number for doctors, NMC PIN for nurses.",
    optional=False,
)
REASON_FIELD = Field(
    "reason_category",
    "Why",
    "choice",
    choices=tuple(
        (reason.value, words)
        for reason, words in REASON_NAMES.items()
        if reason is not ReasonCategory.PERSON_DECLINES
    ),
    optional=False,
)
REASONING_FIELD = Field(
    "reasoning",
    "The clinical reasons for this person",
    "textarea",
    "Their own condition and circumstances: never age, disability or a group alone.",
    optional=False,
)
PLAN_ENDS = (
    Field("what_matters", "What matters to them", "textarea"),
    Field(
        "setting",
        "Where the recommendation is made",
        "choice",
        choices=_choices(SETTING_NAMES),
        optional=False,
    ),
    Field("review_due", "Review due", "date", "Or say why there is no review date."),
    Field("reason_no_review_date", "Why there is no review date", "text"),
    Field("responsible_clinician.name", "Responsible clinician: name", optional=False),
    Field(
        "responsible_clinician.role",
        "Responsible clinician: role",
        "choice",
        choices=tuple((role.value, ROLES[role].label) for role in RESPONSIBLE_ROLES),
        optional=False,
    ),
    Field(
        "responsible_clinician.registration",
        "Responsible clinician: registration number",
        "text",
        "GMC number for doctors, NMC PIN for nurses.",
        optional=False,
    ),
)
"""What every recommendation ends with: what matters, where, its review, and who is responsible."""
INVOLVEMENT_FIELDS = (
    Field(
        "involvement.route",
        "How the person was involved",
        "choice",
        choices=(
            (
                InvolvementRoute.A_PERSON_WITH_CAPACITY.value,
                "They have capacity for this decision and were involved",
            ),
            (
                InvolvementRoute.B_PERSON_LACKS_CAPACITY.value,
                "They lack capacity: decided in their best interests",
            ),
            (
                InvolvementRoute.C_CHILD.value,
                "A child: decided with them and those with parental responsibility",
            ),
            (
                InvolvementRoute.D_NOT_INVOLVED_WITH_REASON.value,
                "They were not involved, for the reason given",
            ),
        ),
        optional=False,
    ),
    Field(
        "involvement.person_involved",
        "Did the person take part in the decision?",
        "yes-no",
        choices=YES_NO,
        optional=False,
    ),
    Field(
        "involvement.reason_person_not_involved",
        "Why the person was not involved",
        "textarea",
        "Only if they were not.",
    ),
    Field(
        "involvement.consulted",
        "Who else was consulted",
        "people",
        "Relatives, an attorney, a deputy or an IMCA: their name and role.",
    ),
    Field(
        "involvement.reason_no_one_consulted",
        "Why no one else was consulted",
        "textarea",
        "Only if no one was.",
    ),
    Field("involvement.discussed_on", "When it was discussed", "date"),
    Field(
        "involvement.discussion_record_location",
        "Where the discussion is recorded",
        "text",
        "For example: GP notes, 2 December 2026.",
    ),
)


FORMS: dict[str, RecordForm] = {
    form.slug: form
    for form in (
        RecordForm(
            slug="conversation",
            title="Record a conversation",
            link="Record a conversation about care and treatment",
            intro="Who took part, what matters to the person, and the information given and how.",
            button="Record the conversation",
            done="The conversation was recorded.",
            action=Action.RECORD_CONVERSATION,
            build=_conversation,
            fields=(
                Field(
                    "participants",
                    "Who took part",
                    "people",
                    "Their name and their role or relationship, "
                    "for example Margaret Hale, the person; Ann Hale, daughter.",
                    optional=False,
                ),
                Field(
                    "person_took_part", "Did the person take part?", "yes-no", choices=YES_NO, optional=False
                ),
                Field(
                    "what_matters",
                    "What matters to them",
                    "textarea",
                    "In their words where you can: what they want and what they fear.",
                ),
                Field("views_expressed", "Views they expressed", "textarea"),
                Field(
                    "information_given",
                    "Information given",
                    "textarea",
                    "For example: what CPR involves and how likely it is to work for them.",
                ),
                Field(
                    "information_format",
                    "How the information was given",
                    "text",
                    "In words, for example: easy read leaflet about CPR, read through together.",
                ),
                Field(
                    "formats_offered",
                    "Accessible formats offered",
                    "choices",
                    "Leave all unticked for standard print only.",
                    _choices(INFORMATION_FORMAT_NAMES),
                ),
                Field(
                    "interpreter_language",
                    "Language of the interpreter",
                    "text",
                    "Only if an interpreter was offered.",
                ),
                Field(
                    "reasonable_adjustments",
                    "Reasonable adjustments made",
                    "lines",
                    "One a line, for example: a longer appointment; a quiet room; at home.",
                ),
                Field(
                    "communication_support",
                    "Communication support used",
                    "lines",
                    "One a line, for example: picture cards; a speech and language therapist.",
                ),
            ),
        ),
        RecordForm(
            slug="communication",
            title="Record that the decision was explained",
            link="Record that the decision was explained, and to whom",
            intro="Who was told of the recommendation about CPR, and how.",
            button="Record who was told",
            done="Who was told of the decision was recorded.",
            action=Action.COMMUNICATE,
            build=_communication,
            needs_plan=True,
            fields=(
                PLAN,
                Field(
                    "told",
                    "Who was told",
                    "people",
                    "Their name and their role or relationship.",
                    optional=False,
                ),
                Field("how", "How they were told", "text", "For example: face to face at the care home."),
            ),
        ),
        RecordForm(
            slug="concern",
            title="Raise a concern",
            link="Raise a concern about the record or a plan",
            intro="A concern is looked into by the people responsible for the plan and by the assurance team.",
            button="Raise the concern",
            done="The concern was raised: the people responsible will look into it.",
            action=Action.RAISE_CONCERN,
            build=_concern,
            fields=(
                Field(
                    "raised_by",
                    "Who is raising it",
                    "choice",
                    choices=(
                        (ConcernRaisedBy.STAFF.value, "Staff"),
                        (ConcernRaisedBy.PERSON.value, "The person"),
                        (ConcernRaisedBy.FAMILY.value, "Their family"),
                    ),
                    optional=False,
                ),
                Field(
                    "plan_id", "Which plan is it about?", "plan", "Leave unchosen if it is about the record."
                ),
                Field("summary", "What the concern is", "textarea", optional=False),
            ),
        ),
        RecordForm(
            slug="death",
            title="Record a death",
            link="Record the person's death",
            intro="Their plans close when the death is recorded. Only a correction can be added afterwards.",
            button="Record the death",
            done="The death was recorded; their plans are closed.",
            action=Action.RECORD_DEATH,
            build=_death,
            fields=(
                Field("date_of_death", "Date of death", "date", optional=False),
                Field(
                    "place_of_death",
                    "Where they died",
                    "text",
                    "For example: at home; Rose Court care home.",
                    optional=False,
                ),
                Field(
                    "was_preferred_place",
                    "Was it where they wished to die?",
                    "yes-no-unknown",
                    choices=(*YES_NO, ("unknown", "Not known")),
                    optional=False,
                ),
            ),
        ),
        RecordForm(
            slug="review",
            title="Review a plan",
            link="Review a plan",
            intro="Whether the recommendation stands, who took part, and when it is next due for review.",
            button="Record the review",
            done="The review was recorded.",
            action=Action.REVIEW,
            build=_review,
            needs_plan=True,
            fields=(
                PLAN,
                Field(
                    "outcome",
                    "What the review found",
                    "choice",
                    choices=(
                        (ReviewOutcome.CONFIRMED.value, "The recommendation stands"),
                        (ReviewOutcome.CHANGED.value, "The recommendation needs changing"),
                        (ReviewOutcome.REVOKED.value, "The recommendation should be revoked"),
                    ),
                    optional=False,
                ),
                Field("reviewer_name", "Your name", "text", optional=False),
                Field(
                    "person_involved", "Did the person take part?", "yes-no", choices=YES_NO, optional=False
                ),
                Field("involved", "Who else took part", "people"),
                Field("notes", "Notes", "textarea", "What changed and why, if anything did."),
                Field(
                    "next_review_due",
                    "Next review due",
                    "date",
                    "Or say in the notes why there is no review date.",
                ),
            ),
        ),
        RecordForm(
            slug="revoke",
            title="Revoke a plan",
            link="Revoke a plan",
            intro="A revoked recommendation no longer applies. It stays in the record's history.",
            button="Revoke the plan",
            done="The plan was revoked.",
            action=Action.REVOKE,
            build=_revoke,
            needs_plan=True,
            fields=(
                PLAN,
                Field(
                    "initiated",
                    "Who asked for it",
                    "choice",
                    choices=(
                        (RevocationInitiator.PERSON_REQUEST.value, "The person asked for it"),
                        (RevocationInitiator.CLINICAL.value, "A clinical decision"),
                    ),
                    optional=False,
                ),
                Field("reason", "Why it is revoked", "textarea", optional=False),
            ),
        ),
        RecordForm(
            slug="endorse",
            title="Endorse a plan",
            link="Endorse a plan as the senior responsible clinician",
            intro="As the senior responsible clinician, you confirm a recommendation someone else made.",
            button="Endorse the plan",
            done="The plan was endorsed.",
            action=Action.ENDORSE,
            build=_endorse,
            needs_plan=True,
            senior_only=True,
            fields=(PLAN, Field("endorser_name", "Your name", "text", optional=False)),
        ),
        RecordForm(
            slug="care-relationship",
            title="Start caring for this person",
            link="Start a care relationship for your organisation",
            intro="Your organisation states why it cares for the person. Without evidence the record already "
            "holds, a privacy officer reviews it; on an other basis it ends after a set time unless your "
            "organisation's administrator confirms it.",
            button="Start the care relationship",
            done="The care relationship was started.",
            action=Action.START_CARE_RELATIONSHIP,
            build=_start_relationship,
            reads_record=False,
            fields=(
                Field(
                    "basis",
                    "Why your organisation cares for them",
                    "choice",
                    choices=tuple(
                        (basis.value, words.capitalize())
                        for basis, words in BASIS_NAMES.items()
                        if basis is not RelationshipBasis.NOT_RECORDED
                    ),
                    optional=False,
                ),
                Field("basis_detail", "In a few words, why", "text", "Needed for an other basis."),
                Field(
                    "referred_by",
                    "The referring organisation's ODS code",
                    "text",
                    "Only if a referral was received, for example RXF.",
                ),
                Field("setting", "Your setting", "choice", choices=_choices(SETTING_NAMES), optional=False),
            ),
        ),
        RecordForm(
            slug="end-care-relationship",
            title="End your organisation's care relationship",
            link="End your organisation's care relationship",
            intro="Once it ends, your organisation may no longer read the person's record.",
            button="End the care relationship",
            done="The care relationship was ended.",
            action=Action.END_CARE_RELATIONSHIP,
            build=_end_relationship,
            fields=(
                Field(
                    "reason",
                    "Why it ends",
                    "textarea",
                    "For example: moved to another practice.",
                    optional=False,
                ),
            ),
        ),
        RecordForm(
            slug="escalation-plan",
            title="Make a treatment escalation plan",
            link="Make a treatment escalation plan (how far treatment goes, and CPR)",
            intro="How far treatment is to be escalated, the goals of treatment and the treatments not to be "
            "started, with the decision about CPR. A junior's plan awaits a senior's endorsement.",
            button="Make the plan",
            done="The treatment escalation plan was recorded.",
            action=Action.MAKE_RECOMMENDATION,
            build=_escalation,
            initial=_yourself,
            fields=(
                Field(
                    "escalation.level",
                    "How far treatment is to be escalated",
                    "choice",
                    choices=_choices(ESCALATION_LEVEL_NAMES),
                    optional=False,
                ),
                Field("escalation.goals_of_treatment", "Goals of treatment", "textarea", optional=False),
                Field(
                    "escalation.limits",
                    "Treatments not to be started",
                    "choices",
                    "Ward-based care names at least one.",
                    _choices(LIMITED_TREATMENT_NAMES),
                ),
                Field(
                    "escalation.other_limit",
                    "The other treatment not to be started",
                    "text",
                    "Only if you ticked another treatment.",
                ),
                Field(
                    "cpr",
                    "CPR",
                    "choice",
                    choices=(
                        (CprRecommendation.ATTEMPT_CPR.value, "Attempt CPR"),
                        (CprRecommendation.DO_NOT_ATTEMPT_CPR.value, "Do not attempt CPR"),
                    ),
                    optional=False,
                ),
                Field(
                    "reason_category",
                    "Why",
                    "choice",
                    choices=tuple(
                        (reason.value, words)
                        for reason, words in REASON_NAMES.items()
                        if reason is not ReasonCategory.PERSON_DECLINES
                    ),
                    optional=False,
                ),
                Field(
                    "reasoning",
                    "The clinical reasons for this person",
                    "textarea",
                    "Their own condition and circumstances: never age, disability or a group alone.",
                    optional=False,
                ),
                *INVOLVEMENT_FIELDS,
                *PLAN_ENDS,
            ),
        ),
        RecordForm(
            slug="respect-plan",
            title="Make a ReSPECT plan",
            link="Make a ReSPECT plan (Recommended Summary Plan for Emergency Care and Treatment)",
            intro="ReSPECT version 3, section by section. The plan is made with the person, or for them in their "
            "best interests. A junior's plan awaits a senior's endorsement.",
            button="Make the ReSPECT plan",
            done="The ReSPECT plan was recorded.",
            action=Action.MAKE_RECOMMENDATION,
            build=_respect,
            initial=_yourself,
            fields=(
                Field(
                    "s1",
                    "1. This plan belongs to",
                    "heading",
                    "The person's name, NHS number and date of birth are the record's; the plan is dated today.",
                ),
                Field("s2", "2. Shared understanding of my health and current condition", "heading"),
                Field(
                    "respect.health_summary",
                    "Summary of relevant information for this plan",
                    "textarea",
                    "Diagnoses, communication needs, personal circumstances.",
                ),
                *(
                    Field(
                        f"respect.other_documents.{kind.value}",
                        f"Where their {words} is kept",
                        "text",
                        "Leave blank if they have none.",
                    )
                    for kind, words in DOCUMENT_KIND_NAMES.items()
                ),
                Field(
                    "respect.legal_welfare_proxy",
                    "Do they have a legal welfare proxy (an attorney or deputy)?",
                    "yes-no-unknown",
                    choices=(*YES_NO, ("unknown", "Not known")),
                    optional=False,
                ),
                Field(
                    "s3",
                    "3. What matters to me in decisions about my treatment and care in an emergency",
                    "heading",
                ),
                Field(
                    "respect.what_matters_scale",
                    "Where they place themselves",
                    "choice",
                    f"0: {WHAT_MATTERS_SCALE[0]}; 10: {WHAT_MATTERS_SCALE[1]}.",
                    _scale_choices(WHAT_MATTERS_SCALE),
                ),
                Field("respect.most_value", "What they most value", "textarea"),
                Field("respect.most_fear", "What they most fear or wish to avoid", "textarea"),
                Field("what_matters", "What matters to them, in a sentence", "textarea"),
                Field("s4", "4. Clinical recommendations for emergency care and treatment", "heading"),
                Field(
                    "respect.clinical_focus_scale",
                    "The clinical focus",
                    "choice",
                    f"0: {CLINICAL_FOCUS_SCALE[0]}; 10: {CLINICAL_FOCUS_SCALE[1]}.",
                    _scale_choices(CLINICAL_FOCUS_SCALE),
                ),
                Field(
                    "other_recommendations",
                    "Other treatments",
                    "rows",
                    "Each treatment, recommended, not-recommended or not-wanted, and why.",
                    columns=(
                        ("treatment", "treatment"),
                        ("decision", "recommended, not-recommended or not-wanted"),
                        ("reason", "why"),
                    ),
                ),
                Field(
                    "cpr",
                    "CPR",
                    "choice",
                    choices=(
                        (CprRecommendation.ATTEMPT_CPR.value, "CPR attempts recommended"),
                        (CprRecommendation.DO_NOT_ATTEMPT_CPR.value, "CPR attempts not recommended"),
                    ),
                    optional=False,
                ),
                Field(
                    "respect.cpr_for_a_child",
                    "Is this the recommendation for a child?",
                    "choice",
                    choices=YES_NO,
                ),
                REASON_FIELD,
                REASONING_FIELD,
                Field("s5", "5. Capacity for involvement in making this plan", "heading"),
                Field(
                    "respect.has_capacity_to_take_part",
                    "Do they have capacity to take part in making this plan?",
                    "yes-no-unknown",
                    choices=(*YES_NO, ("unknown", "Not assessed")),
                    optional=False,
                ),
                Field(
                    "respect.how_capacity_is_lacking",
                    "How they lack capacity",
                    "textarea",
                    "Only if they lack it.",
                ),
                Field("s6", "6. Involvement in making this plan", "heading"),
                *INVOLVEMENT_FIELDS,
                Field(
                    "s7",
                    "7. Clinicians' signatures",
                    "heading",
                    "The responsible clinician signs as they submit the plan.",
                ),
                Field("respect.designation", "Your designation (grade and speciality)", "text"),
                Field("responsible_clinician.name", "Responsible clinician: name", optional=False),
                RESPONSIBLE_ROLE_FIELD,
                REGISTRATION_FIELD,
                Field("s8", "8. Emergency contacts and those involved in discussing this plan", "heading"),
                Field(
                    "respect.emergency_contacts",
                    "Emergency contacts",
                    "rows",
                    "The first is the primary contact.",
                    columns=(
                        ("name", "name"),
                        ("role", "role"),
                        ("telephone", "telephone"),
                        ("other_details", "other details"),
                    ),
                ),
                Field(
                    "setting",
                    "Where the plan is made",
                    "choice",
                    choices=_choices(SETTING_NAMES),
                    optional=False,
                ),
                Field("s9", "9. Form reviewed", "heading", "Each review is recorded from the plan's page."),
                Field("review_due", "Review due", "date", "Or say why there is no review date."),
                Field("reason_no_review_date", "Why there is no review date", "text"),
            ),
        ),
        RecordForm(
            slug="dnacpr-form",
            title="Make a recommendation on a DNACPR form",
            link="Make a recommendation on a DNACPR form (do not attempt CPR)",
            intro="The national adult form: a decision not to attempt CPR, why, and who was involved. It does not "
            "limit any other treatment. A junior's recommendation awaits a senior's endorsement.",
            button="Make the recommendation",
            done="The recommendation was recorded.",
            action=Action.MAKE_RECOMMENDATION,
            build=_dnacpr,
            initial=_yourself,
            fields=(
                Field(
                    "reason_category",
                    "Why CPR is not to be attempted",
                    "choice",
                    choices=(
                        (
                            ReasonCategory.WOULD_NOT_SUCCEED.value,
                            "CPR would not work (it would not restart the heart and breathing)",
                        ),
                        (
                            ReasonCategory.NOT_IN_BEST_INTERESTS.value,
                            "The harms of CPR would outweigh any benefit for this person",
                        ),
                        (
                            ReasonCategory.PERSONS_INFORMED_REFUSAL.value,
                            "The person, told what CPR involves, does not want it",
                        ),
                        (
                            ReasonCategory.VALID_ADVANCE_DECISION.value,
                            "The person has a valid advance decision refusing CPR",
                        ),
                    ),
                    optional=False,
                ),
                Field(
                    "reasoning",
                    "The clinical reasons for this person",
                    "textarea",
                    "Their own condition and circumstances: never age, disability or a group alone.",
                    optional=False,
                ),
                *INVOLVEMENT_FIELDS,
                Field(
                    "dnacpr.communication_with_person",
                    "What was discussed with the person",
                    "textarea",
                    "A summary, if they took part.",
                ),
                Field(
                    "dnacpr.communication_with_relatives",
                    "What was discussed with those consulted",
                    "textarea",
                    "A summary, if anyone was consulted.",
                ),
                Field("dnacpr.team_members", "Members of the healthcare team involved", "people"),
                *PLAN_ENDS,
            ),
        ),
    )
}

GUIDANCE: dict[str, str] = {
    "participants": "The record must say who took part, so that whoever reads it knows whose views it holds "
    "(ReSPECT and GMC guidance on treatment decisions). Add each person's name and their role or relationship.",
    "interpreter_language": "The Accessible Information Standard asks that the interpreter's language is "
    "recorded with the interpreter. Enter the language, or untick an interpreter if none was offered.",
    "formats_offered": "Tick each format offered once.",
    "told": "Guidance (GMC; Resuscitation Council UK) expects a decision about CPR to be explained to the person "
    "and those close to them, and the record to say who was told. Add the name and role of each person told.",
    "how": "Say how they were told.",
    "plan_id": "Only a plan in force can be changed or explained. Choose a plan shown on the person's page.",
    "summary": "Say what the concern is, so that someone can look into it.",
    "raised_by": "Say who is raising the concern.",
    "date_of_death": "The date of death must be today or earlier, and after their date of birth. Check the date "
    "on the verification of death.",
    "place_of_death": "Say where they died.",
    "was_preferred_place": "Say whether it was where they wished to die, or that it is not known.",
    "reason": "The record must say why: why a recommendation stopped applying, or why your organisation's care "
    "ended. Enter the reason.",
    "basis": "An organisation may read a record only with a legitimate relationship (the Caldicott principles; "
    "the UK GDPR's lawful basis): say what it is.",
    "basis_detail": "On an other basis, say in a few words why your organisation cares for the person.",
    "referred_by": "Name the referring organisation by its ODS code, like RXF.",
    "organisation": "Only your own organisation's relationship can be started or ended, once.",
    "initiated": "Say whether the person asked for it or it was a clinical decision.",
    "reviewer_name": "The record must say who reviewed the plan. Enter your name.",
    "next_review_due": "A plan needs a date for its next review (ReSPECT guidance), or a reason there is none. "
    "Enter the date, or say in the notes why there is none.",
    "notes": "Say what changed and why.",
    "outcome": "Say what the review found.",
    "endorser_name": "The record must say who endorsed the plan. Enter your name.",
    "role": "Only a senior responsible clinician (a consultant or GP) may endorse a recommendation. Ask the "
    "senior clinician responsible for the person's care to endorse it.",
    "user_id": "A recommendation must be endorsed by a senior clinician other than the one who made it. Ask "
    "another senior clinician.",
    "reasoning": "The reasons must be about this person's own condition and circumstances, not a group they "
    "belong to (Equality Act 2010; NHS England and CQC on blanket decisions). Say what about their health makes "
    "CPR unlikely to work or not in their interests.",
    "reason_category": "Choose the reason that applies. Record an advance decision on the record first if that "
    "is the reason.",
    "involvement.route": "Choose how the person was involved in the decision (ReSPECT section 6).",
    "involvement.person_involved": "The person must be involved unless that would cause them physical or "
    "psychological harm (Tracey v Cambridge University Hospitals, 2014). Involve them, or say why not.",
    "involvement.reason_person_not_involved": "The person must be involved in a decision about CPR unless that "
    "would cause them harm (Tracey v Cambridge University Hospitals, 2014). Say why they were not.",
    "involvement.consulted": "For a person who lacks capacity, those close to them must be consulted "
    "(Mental Capacity Act s4(7); Winspear v City Hospitals Sunderland, 2015). Add who was consulted, or say why "
    "no one could be.",
    "involvement.discussed_on": "The discussion's date cannot be in the future.",
    "dnacpr.communication_with_person": "The national DNACPR form asks for a summary of what was discussed with "
    "the person. Add it.",
    "dnacpr.communication_with_relatives": "The national DNACPR form asks for a summary of what was discussed "
    "with those consulted. Add it.",
    "escalation.goals_of_treatment": "A treatment escalation plan says what treatment aims for. Enter the goals.",
    "escalation.limits": "Name the treatments not to be started, and only those the level allows: ward-based "
    "care names at least one; full escalation cannot limit intensive care.",
    "cpr": "A DNACPR form records only a decision not to attempt CPR.",
    "review_due": "A recommendation needs a review date, or a reason why there is none (ReSPECT guidance).",
    "responsible_clinician": "A recommendation needs a named responsible clinician. Enter their name.",
    "responsible_clinician.name": "A recommendation needs a named responsible clinician. Enter their name.",
    "responsible_clinician.role": "The responsible clinician must be a registered doctor or nurse.",
    "responsible_clinician.registration": "Enter the responsible clinician's registration number: a GMC "
    "number (7 digits) for a doctor, an NMC PIN (like 71A2998E) for a nurse.",
    "record_id": "The person's death is recorded: their plans are closed. Only a correction can be added.",
}


def explained(message: str, field_name: str) -> str:
    """The refusal in plain words, with what the law or guidance requires and what to do next."""
    said = message.strip()
    said = (said[:1].upper() + said[1:]).rstrip(".") + "."
    next_step = GUIDANCE.get(field_name, "Correct it and submit the form again.")
    return f"{said} {next_step}"
