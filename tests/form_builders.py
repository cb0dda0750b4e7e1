"""Readable test data for each kind of form: a ReSPECT plan with every section filled in, a treatment escalation
plan, a standalone DNACPR form; as the rules' dataclasses and as the API's input."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from carerecord_events.base import Participant
from carerecord_events.plans import (
    CarePlanningDocument,
    ClinicianSignature,
    DnacprForm,
    EmergencyContact,
    EscalationPlan,
    RespectSections,
    TreatmentLimit,
)
from carerecord_events.roles import Role
from carerecord_events.vocabulary import CarePlanningDocumentKind, EscalationLevel, LimitedTreatment
from tests.builders import NOW


def respect_sections(**overrides: Any) -> RespectSections:
    values: dict[str, Any] = dict(
        health_summary="Metastatic pancreatic cancer with liver involvement; lives alone with her cat.",
        other_documents=(
            CarePlanningDocument(
                kind=CarePlanningDocumentKind.LASTING_POWER_OF_ATTORNEY,
                where_held="with her daughter, Ann Hale",
                description="health and welfare",
            ),
        ),
        legal_welfare_proxy=True,
        what_matters_scale=8,
        most_value="being at home with her cat",
        most_fear="dying in hospital attached to machines",
        clinical_focus_scale=9,
        has_capacity_to_take_part=True,
        signatures=(
            ClinicianSignature(
                designation="Consultant in palliative medicine",
                name="Dr Okafor",
                role=Role.CONSULTANT,
                registration="1234567",
                signed_at=NOW - timedelta(hours=1),
                senior_responsible=True,
            ),
            ClinicianSignature(
                designation="Staff nurse",
                name="Nurse Jones",
                role=Role.NURSE,
                registration="71a2998e",
                signed_at=NOW - timedelta(hours=1),
            ),
        ),
        emergency_contacts=(
            EmergencyContact(name="Ann Hale", role="daughter", telephone="0115 496 0000", primary=True),
            EmergencyContact(name="Dr Grey", role="GP", telephone="+44 115 496 0999"),
        ),
    )
    values.update(overrides)
    return RespectSections(**values)


def escalation_plan(**overrides: Any) -> EscalationPlan:
    values: dict[str, Any] = dict(
        level=EscalationLevel.WARD_BASED,
        goals_of_treatment="treat the chest infection on the ward and keep her comfortable",
        limits=(
            TreatmentLimit(treatment=LimitedTreatment.INTENSIVE_CARE),
            TreatmentLimit(treatment=LimitedTreatment.DIALYSIS, detail="kidney function would not recover"),
        ),
    )
    values.update(overrides)
    return EscalationPlan(**values)


def dnacpr_form(**overrides: Any) -> DnacprForm:
    values: dict[str, Any] = dict(
        communication_with_person="Discussed with Mrs Hale on the ward; she understood and agreed.",
        communication_with_relatives="Her daughter Ann was told by telephone the same day and agreed.",
        team_members=(Participant(name="Sister Brown", role="ward sister"),),
    )
    values.update(overrides)
    return DnacprForm(**values)


SIGNED_AT = "2026-11-01T10:00:00+00:00"

RESPECT_INPUT: dict[str, Any] = {
    "healthSummary": "Metastatic pancreatic cancer with liver involvement; lives alone with her cat.",
    "otherDocuments": [
        {
            "kind": "LASTING_POWER_OF_ATTORNEY",
            "whereHeld": "with her daughter, Ann Hale",
            "description": "health and welfare",
        },
        {"kind": "ADVANCE_CARE_PLAN", "whereHeld": "in the GP record"},
    ],
    "legalWelfareProxy": True,
    "whatMattersScale": 8,
    "mostValue": "being at home with her cat",
    "mostFear": "dying in hospital attached to machines",
    "clinicalFocusScale": 9,
    "hasCapacityToTakePart": True,
    "signatures": [
        {
            "designation": "General practitioner",
            "name": "Dr Grey",
            "role": "GP",
            "registration": "2345678",
            "signedAt": SIGNED_AT,
            "seniorResponsible": True,
        },
        {
            "designation": "District nurse",
            "name": "Nurse Jones",
            "role": "NURSE",
            "registration": "71a2998e",
            "signedAt": SIGNED_AT,
        },
    ],
    "emergencyContacts": [
        {"name": "Ann Hale", "role": "daughter, attorney", "telephone": "0115 496 0000", "primary": True},
        {"name": "Dr Grey", "role": "GP", "telephone": "0115 496 0999", "otherDetails": "K81003"},
    ],
}

ESCALATION_INPUT: dict[str, Any] = {
    "level": "WARD_BASED",
    "goalsOfTreatment": "treat the chest infection on the ward and keep her comfortable",
    "limits": [
        {"treatment": "INTENSIVE_CARE"},
        {"treatment": "NON_INVASIVE_VENTILATION", "detail": "she found the mask distressing last time"},
        {"treatment": "DIALYSIS"},
    ],
}

DNACPR_INPUT: dict[str, Any] = {
    "communicationWithPerson": "Discussed with Mrs Hale at home; she understood and agreed.",
    "communicationWithRelatives": "Her daughter Ann was told by telephone the same day.",
    "teamMembers": [{"name": "Nurse Jones", "role": "district nurse"}],
}
