"""What `carerecord demo` prints for a newcomer: how to sign in to the portal as each demo user (the token command)
and an NHS number to try with each, taken from the region just loaded."""

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
)


def an_nhs_number(dsn: str, organisation: str) -> str:
    """A living person the organisation cares for, one with a plan first; '' if it cares for no one."""
    with transaction(dsn) as cursor:
        cursor.execute(
            "SELECT nhs_number FROM current_plan WHERE document->'caring' ? %s AND NOT died "
            "ORDER BY document->'plans' = '{}'::jsonb, nhs_number LIMIT 1",
            (organisation,),
        )
        row = cursor.fetchone()
    if row is None:
        return ""
    number = str(row[0])
    return f"{number[:3]} {number[3:6]} {number[6:]}"


def sign_in_guide(dsn: str, program: str, url: str) -> str:
    lines = [
        f"Sign in at {url}/portal with a token. Each of these commands prints one (it lasts 60 minutes):"
    ]
    for user in DEMO_USERS:
        number = an_nhs_number(dsn, user.cares_for) if user.cares_for else ""
        command = shlex.join((program, "token", *user.arguments))
        lines += [
            f"  {user.who}:",
            f"    {command}",
            f"    then {user.then.format(number=number or '(none)')}",
        ]
    return "\n".join(lines)
