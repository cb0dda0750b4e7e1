"""`carerecord import`: the organisation register and the registered population, from CSV."""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path

from carerecord.commands.shared import Commands, refuse, subcommand
from carerecord.settings import load_settings

SYNTHETIC = resources.files("carerecord") / "reference"
KINDS = {
    "organisations": ("organisation register", "organisations.csv"),
    "population": ("registered population", "population.csv"),
}


def add(commands: Commands) -> None:
    command = subcommand(
        commands,
        "import",
        _import,
        help="import reference data: the organisation register or the registered population (CSV)",
        description=(
            "Replaces the organisation register (columns ods_code, name, setting, icb_code, icb_name, region) or "
            "the registered population (columns icb_code, age_band, sex, ethnicity, people) from a CSV file. "
            "Every row is checked first; a file with any problem changes nothing and every problem is listed "
            "with its line number. Regions and settings in the oversight views come from the register."
        ),
        epilog="Example: carerecord import organisations register.csv; carerecord import population --synthetic",
    )
    command.add_argument("kind", choices=sorted(KINDS), help="which reference data the file holds")
    source = command.add_mutually_exclusive_group(required=True)
    source.add_argument("file", nargs="?", help="the CSV file ('-' for standard input)")
    source.add_argument(
        "--synthetic", action="store_true", help="load the synthetic fixture shipped with carerecord"
    )


def _import(arguments: argparse.Namespace) -> int:
    from carerecord.bootstrap import Services
    from carerecord_projections.reference import ReferenceDataError

    what, _ = KINDS[arguments.kind]
    text = _text(arguments)
    if text is None:
        return 2
    try:
        count = _replace(Services(load_settings()).read_models_dsn, arguments.kind, text)
    except ReferenceDataError as refused:
        return refuse(f"nothing imported: {refused}", status=1)
    print(f"{what}: {count} rows imported (the previous {what} was replaced)")
    return 0


def _text(arguments: argparse.Namespace) -> str | None:
    """The CSV text, or None once the reason it cannot be read has been said."""
    if arguments.synthetic:
        return (SYNTHETIC / KINDS[arguments.kind][1]).read_text(encoding="utf-8")
    if arguments.file == "-":
        return sys.stdin.read()
    try:
        return Path(arguments.file).read_text(encoding="utf-8-sig")
    except OSError as error:
        refuse(f"cannot read {arguments.file}: {error.strerror}")
    except UnicodeDecodeError:
        refuse(f"{arguments.file} is not UTF-8 text")
    return None


def _replace(dsn: str, kind: str, text: str) -> int:
    from carerecord_projections.reference import (
        parse_organisations,
        parse_population,
        replace_organisations,
        replace_population,
    )

    if kind == "organisations":
        return replace_organisations(dsn, parse_organisations(text))
    return replace_population(dsn, parse_population(text))
