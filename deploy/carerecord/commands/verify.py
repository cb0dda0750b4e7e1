"""`carerecord verify`: the hash chains of both stores, a signed checkpoint, or the read models."""

from __future__ import annotations

import argparse
from pathlib import Path

from carerecord.commands.shared import Commands, position_progress, refuse, subcommand
from carerecord.settings import load_settings


def add(commands: Commands) -> None:
    verify = subcommand(
        commands,
        "verify",
        _verify,
        help="recompute every hash chain (records and access audit) and report the first break per stream",
        description=(
            "Reads every stored event of both stores in order, decrypting where needed, and recomputes each "
            "chain: each clinical record's, and each access-audit stream's (one per person, one per person's "
            "break glass, one per organisation and day for searches and refused requests). Reports the first "
            "break per stream (an edited id, version, type or payload, a deleted event, or a payload that no "
            "longer decrypts), naming the record, or the audit stream and whose accesses it holds. A deleted "
            "last event of a stream leaves no later link to break: --checkpoint finds that. Exit status 1 if any "
            "chain is broken or any stored identifier (NHS number, ODS code, registration number, postcode) is "
            "outside its canonical form (reported by record, position and field, never its value)."
        ),
    )
    verify.add_argument(
        "--checkpoint",
        type=Path,
        metavar="FILE",
        help="also prove that history was not rewritten after this signed checkpoint (from `carerecord "
        "checkpoint --out`): its signature must verify, and both stores must still reproduce every one of its "
        "leaves (each record's and each audit stream's chain hash at the checkpoint's positions). A checkpoint "
        "made before the access audit was chained (format v1) is reported as the older format and proves the "
        "clinical records only",
    )
    verify.add_argument(
        "--public-key",
        type=Path,
        metavar="FILE",
        help="with --checkpoint: the signer's public key you trust (PEM, from `carerecord checkpoint "
        "--public-key-out`); without it only the key inside the checkpoint is used",
    )
    verify.add_argument(
        "--read-models",
        action="store_true",
        help="instead, check that the read models serve what the store implies: rebuild them from both stores "
        "into a scratch schema (dropped afterwards) and compare row by row, naming each difference by table, "
        "record id and column (a JSON column down to the field). Records the live read models have not yet "
        "caught up with are listed as behind, not compared. Needs CREATE on the database. Exit status 1 if "
        "any row differs",
    )


def _verify(arguments: argparse.Namespace) -> int:
    from carerecord import verification

    if arguments.public_key is not None and arguments.checkpoint is None:
        return refuse("--public-key goes with --checkpoint")
    if arguments.read_models:
        return verification.verify_read_models(load_settings(), position_progress)
    if arguments.checkpoint is not None:
        return verification.verify_checkpoint(
            load_settings(), arguments.checkpoint, arguments.public_key, position_progress
        )
    return verification.verify_stores(load_settings(), position_progress)
