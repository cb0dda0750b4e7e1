"""The rules of each kind of form: what a ReSPECT plan, a treatment escalation plan and a standalone DNACPR form
must hold beyond what every recommendation holds (checked in plans.py, unchanged for every form).

`checked_form` refuses, naming the field, or gives the form's parts as the record keeps them (registration
numbers canonical, the form's version filled in)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import Any

from carerecord_events import plans as facts
from carerecord_events.record.state import PersonRecord
from carerecord_events.roles import ROLES
from carerecord_events.vocabulary import (
    CprRecommendation,
    EscalationLevel,
    FormType,
    InvolvementRoute,
    LimitedTreatment,
    ReasonCategory,
)
from carerecord_services import commands as c
from carerecord_services.errors import InvalidInput, RecommendationRefused, TimeInFuture
from carerecord_services.rules.common import check_registration, require_text
from carerecord_services.timing import CLOCK_ALLOWANCE

RESPECT_VERSION = "3"
"""The ReSPECT form's version this record takes (Resuscitation Council UK, September 2020)."""

PARTS = {
    FormType.RESPECT: "respect",
    FormType.TREATMENT_ESCALATION_PLAN: "escalation",
    FormType.DNACPR: "dnacpr",
}
FORM_LABELS = {
    FormType.RESPECT: "a ReSPECT plan",
    FormType.TREATMENT_ESCALATION_PLAN: "a treatment escalation plan",
    FormType.DNACPR: "a DNACPR form",
}

_TELEPHONE = re.compile(r"\+?[0-9][0-9 ()-]{5,24}")


def checked_form(command: c.MakeRecommendation, record: PersonRecord, now: datetime) -> dict[str, Any]:
    """The form-specific content of the recommendation as the record keeps it, or a refusal naming the field."""
    _check_parts_match_the_form(command)
    _check_reason(command, record)
    discussed_on = command.involvement.discussed_on
    if discussed_on is not None and discussed_on > now.date():
        raise TimeInFuture("a discussion cannot be dated in the future", field="involvement.discussed_on")
    if command.form_type is FormType.DNACPR:
        _check_dnacpr(command)
    if command.escalation is not None:
        _check_escalation(command.escalation)
    respect = _checked_respect(command, now) if command.respect is not None else None
    return {"form_version": _form_version(command), "respect": respect}


def _check_parts_match_the_form(command: c.MakeRecommendation) -> None:
    for form, part in PARTS.items():
        if getattr(command, part) is not None and command.form_type is not form:
            raise InvalidInput(
                f"the {part} part is for {FORM_LABELS[form]}; this is {FORM_LABELS[command.form_type]}",
                field=part,
                rule="part-of-another-form",
            )


def _form_version(command: c.MakeRecommendation) -> str:
    version = command.form_version.strip()
    if command.form_type is not FormType.RESPECT:
        return version  # local forms: the version as the organisation numbers it
    if version and version != RESPECT_VERSION:
        raise InvalidInput(
            f"this record takes ReSPECT version {RESPECT_VERSION} (not version {version}): record the plan on "
            "the current form",
            field="form_version",
            rule="respect-version",
        )
    return RESPECT_VERSION


def _check_reason(command: c.MakeRecommendation, record: PersonRecord) -> None:
    if command.reason_category is ReasonCategory.PERSON_DECLINES:
        raise InvalidInput(
            "say which: the person's informed refusal of CPR, or a valid advance decision refusing it (the "
            "combined reason is kept only for decisions recorded before the two were told apart)",
            field="reason_category",
            rule="refusal-or-advance-decision",
        )
    if (
        command.reason_category is ReasonCategory.VALID_ADVANCE_DECISION
        and record.valid_cpr_refusal() is None
    ):
        raise RecommendationRefused(
            "the record holds no valid advance decision refusing CPR (in force, made at 18 or over with "
            "capacity, written, signed, witnessed and applying even if life is at risk): record it first, or "
            "give another reason",
            field="reason_category",
            rule="no-valid-advance-decision",
        )


def _check_dnacpr(command: c.MakeRecommendation) -> None:
    if command.cpr is CprRecommendation.ATTEMPT_CPR:
        raise RecommendationRefused(
            "a DNACPR form records a decision not to attempt CPR; it cannot recommend CPR. To record that CPR "
            "should be attempted, use a ReSPECT plan or a treatment escalation plan",
            field="cpr",
            rule="dnacpr-form-recommends-cpr",
        )
    form = command.dnacpr
    if form is None:
        return
    if command.involvement.person_involved:
        require_text(
            form.communication_with_person,
            "dnacpr.communication_with_person",
            "a summary of the communication with the person",
        )
    if command.involvement.consulted:
        require_text(
            form.communication_with_relatives,
            "dnacpr.communication_with_relatives",
            "a summary of the communication with the relatives, representatives or IMCA consulted",
        )
    for index, member in enumerate(form.team_members):
        require_text(member.name, f"dnacpr.team_members.{index}.name", "the team member's name")


def _check_escalation(plan: facts.EscalationPlan) -> None:
    require_text(plan.goals_of_treatment, "escalation.goals_of_treatment", "the goals of treatment")
    limited = {limit.treatment for limit in plan.limits}
    if plan.level is EscalationLevel.WARD_BASED and not plan.limits:
        raise InvalidInput(
            "ward-based care names its limits: say which treatments are not to be started",
            field="escalation.limits",
        )
    if plan.level is EscalationLevel.FULL and LimitedTreatment.INTENSIVE_CARE in limited:
        raise InvalidInput(
            "full escalation includes intensive care: it cannot also be a limit", field="escalation.limits"
        )
    for index, limit in enumerate(plan.limits):
        if limit.treatment is LimitedTreatment.OTHER:
            require_text(limit.detail, f"escalation.limits.{index}.detail", "the name of the other treatment")


def _checked_respect(command: c.MakeRecommendation, now: datetime) -> facts.RespectSections:
    sections = command.respect
    assert sections is not None
    for name in ("what_matters_scale", "clinical_focus_scale"):
        value = getattr(sections, name)
        if value is not None and not 0 <= value <= 10:
            raise InvalidInput(f"ReSPECT's scales run from 0 to 10 (not {value})", field=f"respect.{name}")
    for index, document in enumerate(sections.other_documents):
        require_text(document.where_held, f"respect.other_documents.{index}.where_held", "where it is kept")
    if sections.has_capacity_to_take_part is False:
        if command.involvement.route is InvolvementRoute.A_PERSON_WITH_CAPACITY:
            raise InvalidInput(
                "section 5 says the person lacks capacity to take part; route A is for a person with capacity",
                field="involvement.route",
            )
        require_text(
            sections.how_capacity_is_lacking,
            "respect.how_capacity_is_lacking",
            "how the person lacks capacity to take part",
        )
    _check_contacts(sections.emergency_contacts)
    if sections.legal_welfare_proxy and not sections.emergency_contacts:
        raise InvalidInput(
            "the person has a legal welfare proxy: name them in section 8, the emergency contacts",
            field="respect.emergency_contacts",
        )
    return replace(sections, signatures=_checked_signatures(sections.signatures, now))


def _checked_signatures(
    signatures: tuple[facts.ClinicianSignature, ...], now: datetime
) -> tuple[facts.ClinicianSignature, ...]:
    if signatures and sum(signature.senior_responsible for signature in signatures) != 1:
        raise InvalidInput(
            "mark one signature, and only one, as the senior responsible clinician's",
            field="respect.signatures",
            rule="one-senior-responsible-clinician",
        )
    checked = []
    for index, signature in enumerate(signatures):
        where = f"respect.signatures.{index}"
        require_text(signature.name, f"{where}.name", "the clinician's name")
        require_text(signature.designation, f"{where}.designation", "the clinician's designation")
        if ROLES[signature.role].register is None:
            raise InvalidInput("a signature is a registered clinician's", field=f"{where}.role")
        if signature.signed_at.tzinfo is None:
            raise InvalidInput("times must carry a time zone", field=f"{where}.signed_at")
        if signature.signed_at > now + CLOCK_ALLOWANCE:
            raise TimeInFuture("a signature cannot be dated in the future", field=f"{where}.signed_at")
        registration = check_registration(signature.role, signature.registration, f"{where}.registration")
        assert registration is not None  # the role has a register
        checked.append(replace(signature, registration=registration))
    return tuple(checked)


def _check_contacts(contacts: tuple[facts.EmergencyContact, ...]) -> None:
    if sum(contact.primary for contact in contacts) > 1:
        raise InvalidInput(
            "only one emergency contact is the primary contact", field="respect.emergency_contacts"
        )
    for index, contact in enumerate(contacts):
        where = f"respect.emergency_contacts.{index}"
        require_text(contact.name, f"{where}.name", "the contact's name")
        require_text(contact.role, f"{where}.role", "the contact's role or relationship")
        if not _TELEPHONE.fullmatch(contact.telephone.strip()):
            raise InvalidInput(
                "a telephone number is digits 0-9, with spaces, brackets, hyphens or a leading +",
                field=f"{where}.telephone",
            )
