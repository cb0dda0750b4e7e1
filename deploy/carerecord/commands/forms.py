"""`carerecord forms`: the mappings of the region's own forms into the canonical plan (TOML, a file per form)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from carerecord.commands.shared import Commands, refuse, subcommand
from carerecord.settings import load_settings


def add(commands: Commands) -> None:
    command = subcommand(
        commands,
        "forms",
        _forms,
        help="load or check the mapping of a local form (a trust's own plan) into the canonical plan",
        description=(
            "A mapping file (TOML) says where each labelled field of a local form goes in the canonical plan, and "
            "what its answers mean. `check` checks it (and, with --document, a filled-in form as JSON, printing "
            "the plan it makes); `load` checks it and loads it for the API's makeRecommendationFromLocalForm, "
            "replacing an earlier mapping of the same name. A mapping that does not fit is refused, naming where."
        ),
        epilog=(
            "Example: carerecord forms load deploy/carerecord/reference/forms/nuh-tep.toml; "
            "carerecord forms check nuh-tep.toml --document nuh-tep.example.json"
        ),
    )
    command.add_argument("action", choices=("check", "load"), help="check the file, or check and load it")
    command.add_argument("file", help="the mapping file (TOML)")
    command.add_argument("--document", help="with check: a filled-in form (a JSON object, label: answer)")


def _forms(arguments: argparse.Namespace) -> int:
    from carerecord_services.errors import DomainError
    from carerecord_services.local_forms import load_mapping

    try:
        text = Path(arguments.file).read_text(encoding="utf-8")
        mapping = load_mapping(text)
        if arguments.document:
            _check_document(mapping, Path(arguments.document))
    except OSError as error:
        return refuse(f"cannot read {error.filename}: {error.strerror}")
    except DomainError as refused:
        return refuse(f"refused ({refused.field}): {refused.message}", status=1)
    if arguments.action == "load":
        from carerecord.bootstrap import Services
        from carerecord_projections.local_form_mappings import LocalFormMappings

        LocalFormMappings(Services(load_settings()).read_models_dsn).save(mapping.name, mapping.title, text)
        print(f"{mapping.title} ({mapping.name}): mapping loaded, {len(mapping.fields)} fields")
    else:
        print(f"{mapping.title} ({mapping.name}): the mapping fits the canonical plan")
    return 0


def _check_document(mapping: object, path: Path) -> None:
    from carerecord_events.base import Actor
    from carerecord_events.roles import Role
    from carerecord_services.local_forms import DocumentRefused, LocalFormMapping

    assert isinstance(mapping, LocalFormMapping)
    document = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict):
        raise DocumentRefused("a filled-in form is a JSON object of label: answer", field="document")
    checker = Actor(user_id="forms-check", role=Role.ADMINISTRATOR, organisation="CHECK")
    made = mapping.recommendation(
        {str(k): str(v) for k, v in document.items()}, actor=checker, responsible_clinician=None
    )
    kept = made.local_form.kept if made.local_form else ()
    print(f"the document fits: {made.form_type.value}, CPR {made.cpr.name}, {len(kept)} fields kept verbatim")
