"""`carerecord investigate`: one person's history over a period, as an investigation bundle and report."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from carerecord.commands.shared import Commands, progress, refuse, subcommand
from carerecord.settings import load_settings

if TYPE_CHECKING:
    from carerecord.bootstrap import Services
    from carerecord_events.base import Actor
    from carerecord_services.investigation_bundle import InvestigationBundle


def add(commands: Commands) -> None:
    investigate = subcommand(
        commands,
        "investigate",
        _investigate,
        help="write an investigation bundle for one person and period (bundle.json and report.md)",
        description=(
            "For one person and period: every event (type, version, when it happened and when it was recorded, "
            "who, a plain-language summary), the record replayed after each change, every access and refusal, "
            "what went to provider feeds, and the integrity proof (the record's hash chain, its leaf and "
            "inclusion proof in the latest signed checkpoint). Writes DIR/bundle.json and DIR/report.md. The "
            "investigation is itself recorded as an access to the record. Personal data: keep DIR safe."
        ),
        epilog="example: carerecord investigate --nhs-number '943 476 5919' --from 2026-01-01 --to 2026-03-31 "
        "--out ./investigation --by icb-ann --org QWE --purpose 'complaint 2026-114'",
    )
    who = investigate.add_mutually_exclusive_group(required=True)
    who.add_argument("--nhs-number", help="the person's NHS number (spaces allowed)")
    who.add_argument("--record-id", help="the person's record id")
    investigate.add_argument(
        "--from",
        dest="start",
        required=True,
        metavar="DATE",
        help="first day of the period (YYYY-MM-DD, UTC)",
    )
    investigate.add_argument(
        "--to",
        dest="end",
        required=True,
        metavar="DATE",
        help="last day of the period, included (YYYY-MM-DD)",
    )
    investigate.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder to write into")
    investigate.add_argument(
        "--by", default=None, help="who investigates, as recorded in the access log (default: your login)"
    )
    investigate.add_argument("--org", default="ASSURANCE", help="their organisation's ODS code")
    investigate.add_argument("--purpose", default="investigation", help="why, as recorded in the access log")


class _Refused(Exception):
    """The investigation ends here, with this message and exit status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _investigate(arguments: argparse.Namespace) -> int:
    from carerecord.bootstrap import build_services
    from carerecord_events.base import Actor
    from carerecord_events.roles import Role

    try:
        start, end, record_id = _period_and_record(arguments)
    except _Refused as refused:
        return refuse(str(refused), refused.status)
    investigator = Actor(user_id=arguments.by or _login(), role=Role.ASSURANCE, organisation=arguments.org)
    services = build_services(load_settings())
    try:
        bundle = _bundle(
            services, investigator, arguments, record_id or _found(services, arguments), (start, end)
        )
    except _Refused as refused:
        return refuse(str(refused), refused.status)
    finally:
        services.close()
    _write(bundle, arguments.out)
    return 0


def _period_and_record(arguments: argparse.Namespace) -> tuple[datetime, datetime, UUID | None]:
    from datetime import UTC, date, time, timedelta

    try:
        start = datetime.combine(date.fromisoformat(arguments.start), time(), tzinfo=UTC)
        end = datetime.combine(date.fromisoformat(arguments.end), time(), tzinfo=UTC) + timedelta(days=1)
        record_id = UUID(arguments.record_id) if arguments.record_id else None
    except ValueError as error:
        raise _Refused(str(error), 2) from None
    if end <= start:
        raise _Refused("--to must not be before --from", 2)
    return start, end, record_id


def _found(services: Services, arguments: argparse.Namespace) -> UUID | None:
    from carerecord_services.errors import DomainError

    progress("finding the record by NHS number")
    try:
        return services.care_records.find_record(arguments.nhs_number)
    except DomainError as refused:
        raise _Refused(refused.message, 2) from None


def _bundle(
    services: Services,
    investigator: Actor,
    arguments: argparse.Namespace,
    record_id: UUID | None,
    period: tuple[datetime, datetime],
) -> InvestigationBundle:
    """The bundle, the investigation recorded as an access to the record (or as a refusal) either way."""
    from carerecord.bootstrap import build_investigations
    from carerecord_services.errors import DomainError

    def recorded(granted: bool, **outcome: Any) -> None:
        services.audit.record_access(
            investigator,
            record_id,
            operation="investigate",
            purpose=arguments.purpose,
            granted=granted,
            **outcome,
        )

    if record_id is None:
        recorded(False, refusal_reason="no such record")
        raise _Refused("there is no care record for this NHS number", 1)
    try:
        bundle = build_investigations(services).bundle(
            record_id, *period, requested_by=investigator, progress=progress
        )
    except DomainError as refused:
        recorded(False, refusal_reason="no such record")
        raise _Refused(refused.message, 1) from None
    recorded(True, version_shown=bundle.current_version)
    return bundle


def _write(bundle: InvestigationBundle, out: Path) -> None:
    from carerecord_services.investigation_report import render_markdown

    out.mkdir(parents=True, exist_ok=True)
    (out / "bundle.json").write_text(bundle.document, encoding="utf-8")
    (out / "report.md").write_text(render_markdown(bundle.as_json()), encoding="utf-8")
    print(
        f"{len(bundle.events)} events, {len(bundle.accesses)} accesses and "
        f"{len(bundle.disclosures)} disclosures in the period; written to {out}/bundle.json and "
        f"{out}/report.md"
    )


def _login() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown-operator"
