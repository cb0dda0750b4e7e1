"""Queries for assurance teams: what a reader was shown at a recorded access, and a person's investigation
bundle. Only the assurance role may ask; every answer, and every refusal, is itself recorded."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

import strawberry

from carerecord_graphql.access import reader_of, require_role
from carerecord_graphql.arguments import Purpose, RecordId
from carerecord_graphql.context import ApiContext, NotAllowed, info_context
from carerecord_graphql.wrapping import graphql_type
from carerecord_services import investigation, investigation_bundle
from carerecord_services.checkpoint import Leaf
from carerecord_services.errors import RecordNotFound
from carerecord_services.policy import Read
from carerecord_services.read_access import Period, ReadDecision, Reader, ReadRefused
from carerecord_services.snapshot import PlanSnapshot, RecordSnapshot

if TYPE_CHECKING:
    from carerecord_services.investigation import AccessShown
    from carerecord_services.investigation_bundle import InvestigationBundle
else:  # what was shown is the service's own account of it: the nested types first
    graphql_type(
        PlanSnapshot,
        name="PlanShown",
        description="One plan as it stood at a version of the record, in plain language.",
    )
    graphql_type(
        RecordSnapshot,
        name="RecordShown",
        description="The record as it stood at one version, replayed from the event store.",
    )
    AccessShown = graphql_type(
        investigation.AccessShown,
        name="AccessShown",
        description="A recorded access: who looked (role, organisation), when, why, whether by break glass, and "
        "exactly what they were shown (the record replayed up to the version shown; none if refused).",
    )
    # the investigation bundle: its parts first, then the bundle
    for part in (
        investigation_bundle.InvestigatedPeriod,
        investigation_bundle.Investigator,
        investigation_bundle.RecordedBy,
        investigation_bundle.InvestigatedEvent,
        investigation_bundle.Disclosure,
        investigation_bundle.ChainCheck,
        investigation_bundle.CheckpointHeader,
    ):
        graphql_type(part, name=part.__name__)
    graphql_type(investigation_bundle.RecordedAccess, name="RecordedAccess", like=[investigation.AccessShown])
    graphql_type(Leaf, name="CheckpointLeaf", extra={"leaf_hash": str})
    graphql_type(investigation_bundle.CheckpointProof, name="CheckpointProof")
    graphql_type(investigation_bundle.IntegrityProof, name="IntegrityProof")
    InvestigationBundle = graphql_type(
        investigation_bundle.InvestigationBundle, name="InvestigationBundle", extra={"document": str}
    )


def _assurance_only(context: ApiContext, record_id: UUID | None, operation: str, purpose: str) -> None:
    require_role(context, Read.INVESTIGATE, operation, purpose, record_id)


def _within_board(
    context: ApiContext, record_id: UUID, operation: str, purpose: str, period: tuple[datetime, datetime]
) -> tuple[Reader, ReadDecision]:
    """The assurance team's board must have cared for the person over the period asked about; otherwise
    NotAllowed, recorded."""
    reader = reader_of(context.caller())
    try:
        decision = context.api.reading.authorise(
            reader, record_id, operation=operation, purpose=purpose, period=Period(*period)
        )
    except ReadRefused as refused:
        raise NotAllowed(refused.message) from None
    return reader, decision


def _not_found(
    context: ApiContext, record_id: UUID | None, operation: str, purpose: str, what: str
) -> NotAllowed:
    context.api.audit.record_access(
        context.caller().actor,
        record_id,
        operation=operation,
        purpose=purpose,
        granted=False,
        refusal_reason=f"no such {what}",
    )
    return NotAllowed(f"there is no such {what}")


@strawberry.type
class InvestigationQueries:
    @strawberry.field(
        description="Assurance only: for a recorded access (its id, from accessHistory), who looked, when, why, "
        "and exactly what they were shown. Recorded."
    )
    def access_shown(
        self,
        info: strawberry.Info,
        access_id: Annotated[
            UUID,
            strawberry.argument(
                description="The recorded access (`AccessView.accessId`, from accessHistory)"
            ),
        ],
        purpose: Purpose = "assurance of an access",
    ) -> AccessShown:
        context = info_context(info)
        _assurance_only(context, None, "accessShown", purpose)
        try:
            found = context.api.investigations.access_shown(access_id)
        except RecordNotFound:
            raise _not_found(context, None, "accessShown", purpose, "access") from None
        # the board must have cared for the person when the access happened
        reader, decision = _within_board(
            context, found.record_id, "accessShown", purpose, (found.at, found.at)
        )
        context.api.reading.shown(
            reader,
            found.record_id,
            decision,
            operation="accessShown",
            purpose=purpose,
            version_shown=found.version_shown,
        )
        return found

    @strawberry.field(
        description="Assurance only: the investigation bundle for one person and period [from, to): every event "
        "by both clocks with who and a plain summary, the record after each change, every access and disclosure, "
        "and the integrity proof (hash chain, leaf and inclusion proof in the latest signed checkpoint). "
        "`document` gives the same bundle as one JSON document, exactly as `carerecord investigate` writes "
        "bundle.json, to keep as evidence and verify. Recorded."
    )
    def investigation(
        self,
        info: strawberry.Info,
        record_id: RecordId,
        start: Annotated[
            datetime,
            strawberry.argument(name="from", description="The period's first instant (with its time zone)"),
        ],
        end: Annotated[
            datetime,
            strawberry.argument(
                name="to", description="The instant the period ends, not included (with its time zone)"
            ),
        ],
        purpose: Purpose = "investigation",
    ) -> InvestigationBundle:
        context = info_context(info)
        _assurance_only(context, record_id, "investigation", purpose)
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("`from` and `to` must carry a time zone")
        if end <= start:
            raise ValueError("`to` must be after `from`")
        caller = context.caller()
        reader, decision = _within_board(context, record_id, "investigation", purpose, (start, end))
        try:
            bundle = context.api.investigations.bundle(record_id, start, end, requested_by=caller.actor)
        except RecordNotFound:
            raise _not_found(context, record_id, "investigation", purpose, "record") from None
        context.api.reading.shown(
            reader,
            record_id,
            decision,
            operation="investigation",
            purpose=purpose,
            version_shown=bundle.current_version,
        )
        return bundle
