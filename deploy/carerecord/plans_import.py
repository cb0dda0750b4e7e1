"""`carerecord import plans` and `carerecord import local-forms`: a region's existing plans moved in, from FHIR
NDJSON or from its own forms (NDJSON of filled-in forms, mapped by a loaded mapping), resumable, with a report."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from carerecord.commands.shared import refuse
from carerecord.settings import load_settings

DESCRIPTION = (
    "Plans (FHIR NDJSON): each line is a FHIR Bundle as POST /fhir/Bundle takes it (a Patient and its CarePlans, "
    "with an identifier), taken in for the organisation of the token given (--token or --token-file), exactly as "
    "that route would: the same authorisation, rules and idempotency (a Bundle is taken in once per identifier), "
    "every refusal held for the organisation to correct and written to the report (--report, default "
    "FILE.refused.ndjson: line, identifier, status, reasons). A checkpoint (--checkpoint, default FILE.checkpoint) "
    "lets a run that stopped start again where it was, without doubles. Run once per organisation. "
    "Local forms (NDJSON, --form NAME): each line a filled-in form of the local form whose mapping is loaded "
    "(`carerecord forms load`): its identifier, the person's details (patient: nhs_number, given_name, "
    "family_name, date_of_birth), the responsible clinician, when it was completed (completed_at) and its fields "
    "(label: answer); each mapped into the canonical plan and taken in as a Bundle's plan is, with the same "
    "progress bar, checkpoint, resumption and report (a document that does not fit is refused naming its field)."
)
EXAMPLE = (
    "carerecord import plans plans-K81003.ndjson --token-file k81003.token "
    "--relationship-basis registered-with-the-practice --relationship-setting gp-practice; "
    "carerecord import local-forms tep-RX1.ndjson --form nuh-tep --token-file rx1.token"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `carerecord import plans` (the file is the command's own `file`)."""
    parser.add_argument("--token", help="plans: a bearer token of the sending organisation (as for the API)")
    parser.add_argument("--token-file", type=Path, help="plans: a file holding that token")
    parser.add_argument(
        "--checkpoint", type=Path, help="plans: where progress is kept (default FILE.checkpoint)"
    )
    parser.add_argument(
        "--report", type=Path, help="plans: the refusals, NDJSON (default FILE.refused.ndjson)"
    )
    parser.add_argument(
        "--relationship-basis", help="plans: the basis of caring for people not yet cared for"
    )
    parser.add_argument(
        "--relationship-setting", help="plans: the setting of such a relationship (gp-practice)"
    )
    parser.add_argument("--relationship-detail", default="", help="plans: the words for the basis 'other'")
    parser.add_argument("--workers", type=int, default=4, help="plans: Bundles taken in at once (default 4)")
    parser.add_argument(
        "--form", help="local-forms: the name of the loaded mapping the documents are filled in on"
    )


def run(arguments: argparse.Namespace) -> int:
    from carerecord.bootstrap import build_api, build_services
    from carerecord.migration import import_ndjson
    from carerecord_graphql.access import reader_of
    from carerecord_graphql.context import NotSignedIn, context_for
    from carerecord_graphql.fhir_api import stated_relationship

    kind = arguments.kind
    if arguments.file is None or arguments.file == "-":
        return refuse(f"{kind}: give the NDJSON file")
    source = Path(arguments.file)
    if not arguments.token and not arguments.token_file:
        return refuse(f"{kind}: give the sending organisation's token (--token or --token-file)")
    if kind == "local-forms" and not arguments.form:
        return refuse("local-forms: name the local form (--form NAME, as its mapping was loaded)")
    if not source.is_file():
        return refuse(f"{source}: no such file")
    token = arguments.token or (arguments.token_file.read_text().strip() if arguments.token_file else "")
    query = {
        name: value
        for name, value in (
            ("relationship-basis", arguments.relationship_basis),
            ("relationship-setting", arguments.relationship_setting),
            ("relationship-detail", arguments.relationship_detail),
        )
        if value
    }
    from carerecord_services.errors import DomainError

    try:
        relationship = stated_relationship(query)
    except ValueError as malformed:
        return refuse(str(malformed))
    settings = load_settings()
    services = build_services(settings)
    try:
        api = build_api(settings, services)
        context = context_for(api, f"Bearer {token}")
        try:
            caller = context.caller()
        except NotSignedIn as problem:
            return refuse(f"--token: {problem}", 1)
        how = _bundles(api) if kind == "plans" else _local_forms(api, arguments.form)
        report = import_ndjson(
            how.pop("intake"),
            reader_of(caller),
            source,
            checkpoint=arguments.checkpoint or source.with_name(source.name + ".checkpoint"),
            report=arguments.report or source.with_name(source.name + ".refused.ndjson"),
            relationship=relationship,
            progress=_bar(how["items"]),
            workers=max(1, arguments.workers),
            **how,
        )
    except ValueError as problem:
        return refuse(str(problem))
    except DomainError as refused:  # the local form's mapping is not loaded, or no longer fits
        return refuse(f"{kind} ({refused.field}): {refused.message}", 1)
    finally:
        services.close()
    print(file=sys.stderr)
    print(report.summary())
    return 0


def _bundles(api: Any) -> dict[str, Any]:
    from carerecord_graphql.fhir_intake import BundleIntake

    return {"intake": BundleIntake(api.intake, api.held_submissions, api.clock), "items": "Bundles"}


def _local_forms(api: Any, form: str) -> dict[str, Any]:
    from carerecord.local_form_intake import LocalFormIntake, identifier_of, lane_key
    from carerecord_services.local_forms import LocalFormNotLoaded, load_mapping

    loaded = api.local_forms.get(form) if api.local_forms is not None else None
    if loaded is None:
        raise LocalFormNotLoaded(
            f"no mapping for the local form {form!r} is loaded: load it with `carerecord forms load FILE`",
            field="--form",
        )
    return {
        "intake": LocalFormIntake(api.intake, load_mapping(loaded.mapping)),
        "items": "documents",
        "person_of": lane_key,
        "identifier_of": identifier_of,
    }


def _bar(items: str) -> Callable[[int, int], None]:
    def show(done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        print(
            f"\r  [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {items}",
            end="",
            file=sys.stderr,
            flush=True,
        )

    return show
