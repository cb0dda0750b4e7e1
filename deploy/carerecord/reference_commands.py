"""`carerecord import`: the organisation register and the registered population, from CSV."""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from carerecord.settings import load_settings

SYNTHETIC = resources.files("carerecord") / "reference"
KINDS = {
    "organisations": ("organisation register", "organisations.csv"),
    "population": ("registered population", "population.csv"),
}


def add_import_command(commands: Any) -> None:
    command = commands.add_parser(
        "import",
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
    command.set_defaults(handler=_import)


def _import(arguments: argparse.Namespace) -> int:
    from carerecord.database import locate_database
    from carerecord_projections.reference import (
        ReferenceDataError,
        parse_organisations,
        parse_population,
        replace_organisations,
        replace_population,
    )

    what, fixture = KINDS[arguments.kind]
    if arguments.synthetic:
        text = (SYNTHETIC / fixture).read_text(encoding="utf-8")
    elif arguments.file == "-":
        text = sys.stdin.read()
    else:
        try:
            text = Path(arguments.file).read_text(encoding="utf-8-sig")
        except OSError as error:
            print(f"carerecord: cannot read {arguments.file}: {error.strerror}", file=sys.stderr)
            return 2
        except UnicodeDecodeError:
            print(f"carerecord: {arguments.file} is not UTF-8 text", file=sys.stderr)
            return 2
    settings = load_settings()
    dsn = locate_database(settings).dsn(settings.schema)
    try:
        if arguments.kind == "organisations":
            count = replace_organisations(dsn, parse_organisations(text))
        else:
            count = replace_population(dsn, parse_population(text))
    except ReferenceDataError as refused:
        print(f"carerecord: nothing imported: {refused}", file=sys.stderr)
        return 1
    print(f"{what}: {count} rows imported (the previous {what} was replaced)")
    return 0
