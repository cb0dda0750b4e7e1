"""`carerecord token`: a development bearer token, signed with the key kept in the data folder."""

from __future__ import annotations

import argparse

from carerecord.commands.shared import Commands, refuse, subcommand
from carerecord.settings import load_settings
from carerecord_events.roles import Role

CLAIMS = ("user", "role", "org", "registration", "name", "record", "representative")


def add(commands: Commands) -> None:
    token = subcommand(
        commands,
        "token",
        _token,
        help="issue a signed development token (not in production mode)",
        description=(
            "Signs a bearer token with the development key kept in CARERECORD_DATA_DIR. Roles: "
            + ", ".join(role.value for role in Role)
            + ". Clinical roles need --registration (GMC, NMC or HCPC)."
        ),
    )
    token.add_argument("--user", required=True, help="the user id (the token's sub)")
    token.add_argument("--role", required=True, choices=[role.value for role in Role])
    token.add_argument("--org", required=True, help="the organisation's ODS code")
    token.add_argument("--registration", help="GMC, NMC or HCPC number, for roles that have a register")
    token.add_argument("--name", help="the user's name, as shown on what they record")
    token.add_argument("--record", help="for the person or a representative: the record id they act for")
    token.add_argument("--representative", help="for a representative: their representative id on the record")
    token.add_argument("--minutes", type=int, default=60, help="how long the token lasts (default 60)")


def _token(arguments: argparse.Namespace) -> int:
    from carerecord.tokens import development_keys, issue_token

    settings = load_settings()
    if settings.production:
        return refuse("development tokens are refused in production mode")
    claims = {"sub" if name == "user" else name: getattr(arguments, name) for name in CLAIMS}
    keys = development_keys(settings.data_dir)
    signed = issue_token(
        keys, claims, issuer=settings.jwt_issuer, audience=settings.jwt_audience, minutes=arguments.minutes
    )
    print(signed)
    return 0
