"""What `carerecord demo` prints for a newcomer, and the demo portal's sign-in page lists: how to sign in as each
demo user (the token command) and an NHS number to try with each, taken from the region just loaded; for the
person, the record their token names (one of the GP practice's patients with a plan)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from carerecord_projections.database import transaction


@dataclass(frozen=True)
class DemoUser:
    who: str
    arguments: tuple[str, ...]
    cares_for: str | None  # the ODS code whose people this user may read; None: reads through oversight
    then: str
    own_record: bool = False  # the person: the token names their record (one the organisation cares for)


GP_PRACTICE = "K81045"  # Old Forge Health Centre
CARE_HOME = "VLAXP"  # Seaview House: the care home whose residents all got the same reasoning

DEMO_USERS = (
    DemoUser(
        "a GP at Old Forge Health Centre (K81045)",
        (
            "--user",
            "dr-demo",
            "--role",
            "gp",
            "--org",
            GP_PRACTICE,
            "--registration",
            "2345678",
            "--name",
            "Dr Demo",
        ),
        GP_PRACTICE,
        "find NHS number {number}: one of the practice's patients",
    ),
    DemoUser(
        "a paramedic of South Downs Ambulance Service (RX9), at night, on a phone",
        (
            "--user",
            "pm-demo",
            "--role",
            "paramedic",
            "--org",
            "RX9",
            "--registration",
            "PA123456",
            "--name",
            "Pat Medic",
        ),
        GP_PRACTICE,
        "find NHS number {number} (or search by name, date of birth and postcode): refused, then use break glass",
    ),
    DemoUser(
        "care home staff at Seaview House (VLAXP)",
        ("--user", "ch-demo", "--role", "care-home-staff", "--org", CARE_HOME, "--name", "Sam Carer"),
        CARE_HOME,
        "find NHS number {number}: one of its residents",
    ),
    DemoUser(
        "the assurance team of South Downs Integrated Care Board (QWE)",
        ("--user", "icb-ann", "--role", "assurance", "--org", "QWE", "--name", "Ann Assure"),
        None,
        "the oversight dashboard opens, with the care home's alert",
    ),
    DemoUser(
        "the person, {name}, a patient of Old Forge Health Centre",
        ("--user", "person-demo", "--role", "person", "--org", GP_PRACTICE),
        GP_PRACTICE,
        "your plan opens: read it in easy read, see who has looked, raise a concern",
        own_record=True,
    ),
)


@dataclass(frozen=True)
class DemoPerson:
    nhs_number: str  # as people write it, 3-3-4
    record_id: str
    name: str


def a_person(dsn: str, organisation: str) -> DemoPerson | None:
    """A living person the organisation cares for, one with a plan first; None if it cares for no one."""
    with transaction(dsn) as cursor:
        cursor.execute(
            "SELECT nhs_number, record_id, given_name, family_name FROM current_plan "
            "WHERE document->'caring' ? %s AND NOT died "
            "ORDER BY document->'plans' = '{}'::jsonb, nhs_number LIMIT 1",
            (organisation,),
        )
        row = cursor.fetchone()
    if row is None:
        return None
    number = str(row[0])
    return DemoPerson(f"{number[:3]} {number[3:6]} {number[6:]}", str(row[1]), f"{row[2]} {row[3]}")


def an_nhs_number(dsn: str, organisation: str) -> str:
    """A living person the organisation cares for, one with a plan first; '' if it cares for no one."""
    found = a_person(dsn, organisation)
    return found.nhs_number if found else ""


def sign_in_users(dsn: str, program: str) -> list[tuple[str, str, str]]:
    """Each demo user: who they are, the command that prints their token, and what to try."""
    found = []
    for user in DEMO_USERS:
        person = a_person(dsn, user.cares_for) if user.cares_for else None
        arguments = user.arguments
        if user.own_record:
            if person is None:
                continue
            arguments = (*arguments, "--record", person.record_id, "--name", person.name)
        command = shlex.join((program, "token", *arguments))
        number = person.nhs_number if person else "(none)"
        found.append(
            (user.who.format(name=person.name if person else ""), command, user.then.format(number=number))
        )
    return found


def sign_in_guide(dsn: str, program: str, url: str) -> str:
    lines = [
        f"Sign in at {url}/portal with a token. Each of these commands prints one (it lasts 60 minutes):"
    ]
    for who, command, then in sign_in_users(dsn, program):
        lines += [f"  {who}:", f"    {command}", f"    then {then}"]
    return "\n".join(lines)
