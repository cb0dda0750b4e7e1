"""Investigations for assurance teams: what a reader was shown at a recorded access, and everything that
happened to one person in a period, with the proof that the history was not rewritten.

Everything about the record comes from the event store (replayed, never from read models). Who looked and what
went to provider feeds come from the read side through `AccessLog`, which the composition root provides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from carerecord_events.access import (
    BreakGlassAccessReviewed,
    BreakGlassAccessStarted,
    PeopleSearched,
    RecordAccessed,
)
from carerecord_events.base import Actor, CareRecordEvent
from carerecord_events.plain import summarise
from carerecord_events.roles import Role
from carerecord_events.vocabulary import AccessKind
from carerecord_services.audit import AccessAuditStore
from carerecord_services.checkpoint import verify_inclusion
from carerecord_services.checkpoint_store import CheckpointLog
from carerecord_services.errors import RecordNotFound
from carerecord_services.integrity import verify_record_chain
from carerecord_services.investigation_bundle import (
    FORMAT,
    ChainCheck,
    CheckpointHeader,
    CheckpointProof,
    Disclosure,
    IntegrityProof,
    InvestigatedEvent,
    InvestigatedPeriod,
    InvestigationBundle,
    Investigator,
    RecordedAccess,
    RecordedBy,
)
from carerecord_services.snapshot import RecordSnapshot, snapshot
from carerecord_services.store import EventStore

Progress = Callable[[str], None]


class AccessLog(Protocol):
    """The read side's answers about one record in a period (newest last)."""

    def accesses_between(self, record_id: UUID, start: datetime, end: datetime) -> list[dict[str, Any]]: ...

    def disclosures_between(
        self, record_id: UUID, start: datetime, end: datetime
    ) -> list[dict[str, Any]]: ...

    def access_position(self, access_id: UUID) -> int | None: ...


@dataclass(frozen=True)
class AccessShown:
    """One recorded access: who looked, when, why, how, and the record exactly as they were shown it."""

    access_id: UUID
    """The recorded access's id"""
    record_id: UUID
    """The record looked at"""
    kind: AccessKind
    """How they came to see the record"""
    operation: str
    """What was asked, as the operation's name (such as person, record or planChanges)"""
    user_id: str
    """Who looked: their user id"""
    user_name: str | None
    """Who looked: their name, when known"""
    role: Role
    """Their role"""
    organisation: str
    """Their organisation, by its ODS code"""
    at: datetime
    """When they looked"""
    purpose: str
    """Why they looked, in their words"""
    granted: bool
    """Whether the access was allowed"""
    refusal_reason: str
    """Why it was refused, when it was (a stable code, such as role-not-permitted)"""
    via_break_glass: bool
    """Whether it was allowed only by break glass"""
    version_shown: int | None
    """The record's version they were shown; none if refused"""
    shown: RecordSnapshot | None
    """The record exactly as they were shown it (replayed up to that version); none if refused"""


class Investigations:
    def __init__(
        self,
        store: EventStore,
        audit_store: AccessAuditStore,
        access_log: AccessLog,
        checkpoints: CheckpointLog | None,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._audit_store = audit_store
        self._access_log = access_log
        self._checkpoints = checkpoints
        self._clock = clock

    def access_shown(self, access_id: UUID) -> AccessShown:
        """Replays the record up to the version the access showed. Raises RecordNotFound for an unknown id."""
        position = self._access_log.access_position(access_id)
        event = self._audit_store.access_at(position, access_id) if position is not None else None
        if event is None:
            raise RecordNotFound("there is no recorded access with this id", field="access_id")
        actor = event.recorded_by
        common: dict[str, Any] = {
            "access_id": access_id,
            "record_id": event.record_id,
            "user_id": actor.user_id,
            "user_name": actor.name,
            "role": actor.role,
            "organisation": actor.organisation,
            "at": event.recorded_at,
        }
        if isinstance(event, RecordAccessed):
            version = event.version_shown if event.granted else None
            shown = None
            if version:
                history = self._store.load(event.record_id, up_to_version=version)
                shown = snapshot(event.record_id, history.events)
            return AccessShown(
                **common,
                kind=AccessKind.READ,
                operation=event.operation,
                purpose=event.purpose,
                granted=event.granted,
                refusal_reason=event.refusal_reason,
                via_break_glass=event.via_break_glass,
                version_shown=version,
                shown=shown,
            )
        if isinstance(event, BreakGlassAccessStarted):
            kind, operation, purpose = AccessKind.BREAK_GLASS, "breakGlass", event.reason
        elif isinstance(event, BreakGlassAccessReviewed):
            kind, operation, purpose = AccessKind.BREAK_GLASS_REVIEW, "reviewBreakGlass", event.notes
        else:
            assert isinstance(event, PeopleSearched)
            kind, operation, purpose = AccessKind.SEARCH, "searchPeople", event.purpose
        return AccessShown(
            **common,
            kind=kind,
            operation=operation,
            purpose=purpose,
            granted=True,
            refusal_reason="",
            via_break_glass=kind is AccessKind.BREAK_GLASS,
            version_shown=None,
            shown=None,
        )

    def bundle(
        self,
        record_id: UUID,
        start: datetime,
        end: datetime,
        *,
        requested_by: Actor,
        progress: Progress | None = None,
    ) -> InvestigationBundle:
        """Every event whose either clock falls in [start, end), the record after each change, every access and
        disclosure in the period, and the integrity proof. Raises RecordNotFound for an unknown record."""
        say = progress or (lambda _: None)
        say("reading the record's history from the event store")
        history = self._store.load(record_id).events
        if not history:
            raise RecordNotFound("there is no care record with this id", field="record_id")
        in_period = [
            version
            for version, event in enumerate(history, start=1)
            if start <= event.occurred_at < end or start <= event.recorded_at < end
        ]
        first = in_period[0] if in_period else len(history) + 1
        before_period = snapshot(record_id, history[: first - 1])
        events = []
        before = before_period
        for count, version in enumerate(in_period, start=1):
            if count % 50 == 0:
                say(f"replaying the record at each change: {count}/{len(in_period)}")
            after = snapshot(record_id, history[:version])
            events.append(_investigated(version, history[version - 1], before, after))
            before = after
        say("reading accesses and disclosures in the period")
        accesses = self._access_log.accesses_between(record_id, start, end)
        disclosures = self._access_log.disclosures_between(record_id, start, end)
        say("checking the record's hash chain and its place in the latest signed checkpoint")
        return InvestigationBundle(
            format=FORMAT,
            record_id=record_id,
            period=InvestigatedPeriod(start, end),
            generated_at=self._clock(),
            generated_by=Investigator(requested_by.user_id, requested_by.role, requested_by.organisation),
            current_version=len(history),
            record_before=before_period,
            events=tuple(events),
            accesses=tuple(_access(row) for row in accesses),
            disclosures=tuple(Disclosure(**row) for row in disclosures),
            integrity=self._integrity(record_id),
        )

    def _integrity(self, record_id: UUID) -> IntegrityProof:
        checked = verify_record_chain(self._store, record_id)
        chain = ChainCheck(
            checked.intact, checked.version, checked.head_hash, checked.problem, checked.broken_at_version
        )
        latest = self._checkpoints.latest() if self._checkpoints is not None else None
        if latest is None:
            return IntegrityProof(chain, None)
        header = CheckpointHeader.of(latest.document)
        found = latest.leaf_for(record_id)
        if found is None:
            return IntegrityProof(chain, CheckpointProof(header, None))
        index, leaf = found
        path = latest.proof_for(index)
        stored = self._store.load(record_id, up_to_version=leaf.version)
        proof = CheckpointProof(
            header,
            leaf,
            leaf_index=index,
            inclusion_proof=tuple(path),
            proof_verifies=verify_inclusion(
                leaf.hash,
                index,
                len(latest.leaves),
                [bytes.fromhex(node) for node in path],
                bytes.fromhex(latest.root),
            ),
            store_matches_leaf=stored.version == leaf.version and stored.head_hash == leaf.chain_hash,
            versions_since_checkpoint=checked.version - leaf.version,
        )
        return IntegrityProof(chain, proof)


def _investigated(
    version: int, event: CareRecordEvent, before: RecordSnapshot, after: RecordSnapshot
) -> InvestigatedEvent:
    actor = event.recorded_by
    plans_changed = _plans(before) != _plans(after)
    return InvestigatedEvent(
        version=version,
        event_id=event.event_id,
        type=event.TYPE,
        label=event.LABEL,
        occurred_at=event.occurred_at,
        recorded_at=event.recorded_at,
        recorded_by=RecordedBy(actor.user_id, actor.name, actor.role, actor.organisation),
        summary=summarise(event),
        plans_changed=plans_changed,
        record_after=after if plans_changed else None,
    )


def _access(row: dict[str, Any]) -> RecordedAccess:
    return RecordedAccess(**{**row, "kind": AccessKind(row["kind"]), "role": Role(row["role"])})


def _plans(record: RecordSnapshot) -> tuple[Any, ...]:
    return (record.plans, record.caring_organisations, record.died)
