"""`carerecord checkpoint`: a signed Merkle root over every hash chain, kept, and exported with --out."""

from __future__ import annotations

import argparse
from pathlib import Path

from carerecord.commands.shared import Commands, position_progress, subcommand
from carerecord.settings import load_settings

WRITTEN = {
    "--out": "also write the checkpoint (JSON) here",
    "--public-key-out": "write the signing key's public key (PEM) here, for the organisations that verify",
}


def add(commands: Commands) -> None:
    checkpoint = subcommand(
        commands,
        "checkpoint",
        _checkpoint,
        help="sign a checkpoint of every hash chain (a Merkle root) and keep it; export it with --out",
        description=(
            "Checks every chain of both stores since the last checkpoint, then signs (Ed25519) a Merkle root over "
            "each record's and each access-audit stream's latest chain hash, with the store positions it covers, "
            "and keeps it in the table "
            "carerecord_checkpoints. Give the file from --out to a second organisation: later, "
            "`carerecord verify --checkpoint FILE` proves history was not rewritten after it. The key is "
            "CARERECORD_CHECKPOINT_KEY_FILE, or one generated once in CARERECORD_DATA_DIR. `carerecord serve` "
            "also signs one every CARERECORD_CHECKPOINT_SECONDS (default 3600; 0: never). Exit status 1 if a "
            "chain is broken (nothing is signed)."
        ),
    )
    for option, text in WRITTEN.items():
        checkpoint.add_argument(option, type=Path, metavar="FILE", help=text)


def _checkpoint(arguments: argparse.Namespace) -> int:
    from carerecord.bootstrap import build_services
    from carerecord.verification import export_checkpoint, nothing_signed
    from carerecord_services.checkpoint_store import ChainsBroken

    services = build_services(load_settings())
    try:
        print("checking the chains and signing a checkpoint", flush=True)
        made = services.checkpoints.make(progress=position_progress)
    except ChainsBroken as broken:
        return nothing_signed(broken)
    finally:
        services.close()
    print(
        f"\nsigned checkpoint at position {made.position} over {len(made.leaves)} records: root {made.root}, "
        f"key {made.key_id}"
    )
    export_checkpoint(made, arguments.out, arguments.public_key_out)
    return 0
