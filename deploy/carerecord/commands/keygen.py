"""`carerecord keygen`: a new random key for CARERECORD_CIPHER_KEY."""

from __future__ import annotations

import argparse
import base64
import secrets

from carerecord.commands.shared import Commands, subcommand

HELP = "print a new random key for CARERECORD_CIPHER_KEY"
DESCRIPTION = "Prints a base64 AES-256 key. Keep it out of the repository and out of logs."


def add(commands: Commands) -> None:
    subcommand(commands, "keygen", _keygen, help=HELP, description=DESCRIPTION)


def _keygen(_: argparse.Namespace) -> int:
    print(base64.b64encode(secrets.token_bytes(32)).decode())
    return 0
