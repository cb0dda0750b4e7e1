"""`carerecord import`: the organisation register and the registered population, from CSV; and a region's
existing plans, from FHIR NDJSON or its own forms (`carerecord import plans FILE --token ...`, `carerecord import
local-forms FILE --form NAME --token ...`, in `carerecord/plans_import.py`)."""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path

from carerecord import plans_import as import_plans
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
        help="import reference data (the organisation register, the registered population: CSV) or existing "
        "plans (FHIR NDJSON, or a local form's filled-in documents as NDJSON)",
        description=(
            "Replaces the organisation register (columns ods_code, name, setting, icb_code, icb_name, region) or "
            "the registered population (columns icb_code, age_band, sex, ethnicity, people) from a CSV file. "
            "Every row is checked first; a file with any problem changes nothing and every problem is listed "
            "with its line number. Regions and settings in the oversight views come from the register. "
            + import_plans.DESCRIPTION
        ),
        epilog="Example: carerecord import organisations register.csv; carerecord import population --synthetic; "
        + import_plans.EXAMPLE,
    )
    command.add_argument("kind", choices=sorted([*KINDS, "plans", "local-forms"]), help="what the file holds")
    source = command.add_mutually_exclusive_group(required=True)
    source.add_argument("file", nargs="?", help="the CSV file ('-' for standard input)")
    source.add_argument(
        "--synthetic", action="store_true", help="load the synthetic fixture shipped with carerecord"
    )
    import_plans.add_arguments(command)


def _import(arguments: argparse.Namespace) -> int:
    from carerecord.bootstrap import Services
    from carerecord_projections.reference import ReferenceDataError

    if arguments.kind in ("plans", "local-forms"):
        return import_plans.run(arguments)
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
