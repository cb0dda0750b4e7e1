"""Who acts: one table of roles, the professional register each belongs to, and who counts as senior.

Reused for token claims. A registration number is required, and checked against its register's format, only for
roles that have a register. Seniority can be extended by configuration (see `RolePolicy` in services).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Register(StrEnum):
    GMC = "gmc"  # General Medical Council
    NMC = "nmc"  # Nursing and Midwifery Council
    HCPC = "hcpc"  # Health and Care Professions Council


class Role(StrEnum):
    """What a user of the record is, for what they may do and see."""

    CONSULTANT = "consultant"
    GP = "gp"
    DOCTOR = "doctor"
    NURSE = "nurse"
    PARAMEDIC = "paramedic"
    CARE_HOME_STAFF = "care-home-staff"
    ASSURANCE = "assurance"
    PRIVACY_OFFICER = "privacy-officer"
    PERSON = "person"
    REPRESENTATIVE = "representative"
    ADMINISTRATOR = "administrator"
    SYSTEM = "system"


@dataclass(frozen=True)
class RoleDefinition:
    role: Role
    label: str
    register: Register | None
    senior_by_default: bool
    clinical: bool


ROLES: dict[Role, RoleDefinition] = {
    definition.role: definition
    for definition in (
        RoleDefinition(Role.CONSULTANT, "consultant", Register.GMC, senior_by_default=True, clinical=True),
        RoleDefinition(Role.GP, "general practitioner", Register.GMC, senior_by_default=True, clinical=True),
        RoleDefinition(Role.DOCTOR, "doctor", Register.GMC, senior_by_default=False, clinical=True),
        RoleDefinition(Role.NURSE, "nurse", Register.NMC, senior_by_default=False, clinical=True),
        RoleDefinition(Role.PARAMEDIC, "paramedic", Register.HCPC, senior_by_default=False, clinical=True),
        RoleDefinition(
            Role.CARE_HOME_STAFF, "care home staff", None, senior_by_default=False, clinical=False
        ),
        RoleDefinition(
            Role.ASSURANCE, "assurance team member", None, senior_by_default=False, clinical=False
        ),
        RoleDefinition(
            Role.PRIVACY_OFFICER, "privacy officer", None, senior_by_default=False, clinical=False
        ),
        RoleDefinition(Role.PERSON, "the person", None, senior_by_default=False, clinical=False),
        RoleDefinition(
            Role.REPRESENTATIVE, "the person's representative", None, senior_by_default=False, clinical=False
        ),
        RoleDefinition(Role.ADMINISTRATOR, "administrator", None, senior_by_default=False, clinical=False),
        RoleDefinition(Role.SYSTEM, "carerecord itself", None, senior_by_default=False, clinical=False),
    )
}
