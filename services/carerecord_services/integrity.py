"""Recomputes every stream's hash chain from the stored rows and reports the first break per stream; with
`check_identifiers`, also every stored identifier outside its canonical form (see identifiers.py).

Both stores are chained the same way: people's clinical records (one stream per record) and the access audit
(one stream per person, per person's break glass, and per organisation and day; see audit_streams.py). A break
names its store, so a report can say which it is.

`walk_chains` can start from known chain heads (a signed checkpoint's leaves) and can also say what every
chain's head was at a given position, so the same pass that checks the chains proves (or disproves) that the
store still reproduces an earlier checkpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from uuid import UUID

from eventsourcing.persistence import Notification, StoredEvent

from carerecord_services.chain import CARE_RECORD, GENESIS, event_hash
from carerecord_services.identifiers import noncanonical_identifiers
from carerecord_services.store import ChainedEvent, EventStore

PAGE = 1000


@dataclass(frozen=True)
class ChainBreak:
    record_id: str  # the stream: a record id in the clinical store, an audit stream's id in the audit
    version: int
    position: int
    problem: str
    store: str = CARE_RECORD


@dataclass(frozen=True)
class IdentifierFinding:
    """A stored identifier outside its canonical form (say, an NHS number in fullwidth digits, stored before
    the doors checked for ASCII): where it is, never what it is (the report must carry no personal data)."""

    record_id: str
    version: int
    position: int
    event_type: str
    field: str
    problem: str


@dataclass(frozen=True)
class ChainHead:
    """The last event of one record's chain that checked out: its version and hash."""

    version: int
    hash: str


@dataclass
class VerificationReport:
    events_checked: int = 0
    records_checked: int = 0
    breaks: list[ChainBreak] = field(default_factory=list)
    identifiers: list[IdentifierFinding] = field(default_factory=list)
    position: int = 0
    heads: dict[str, ChainHead] = field(default_factory=dict)
    snapshot: dict[str, ChainHead] | None = None

    @property
    def intact(self) -> bool:
        return not self.breaks


@dataclass
class _Walking:
    version: int = 0
    hash: str = GENESIS
    broken: bool = False


def verify_chains(
    store: EventStore,
    progress: Callable[[int, int], None] | None = None,
    *,
    store_name: str = CARE_RECORD,
    check_identifiers: bool = True,
) -> VerificationReport:
    """Every chain, and (unless told not to) every stored identifier's form, in one pass over the store."""
    return walk_chains(store, progress=progress, store_name=store_name, check_identifiers=check_identifiers)


def walk_chains(
    store: EventStore,
    *,
    start_heads: Mapping[str, ChainHead] | None = None,
    after: int = 0,
    snapshot_at: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    store_name: str = CARE_RECORD,
    check_identifiers: bool = False,
) -> VerificationReport:
    """Checks every event after position `after`, continuing the chains from `start_heads` (genesis for a
    record not among them). With `snapshot_at`, also keeps each chain's head as it stood at that position."""
    report = VerificationReport(position=after)
    walking = {record: _Walking(head.version, head.hash) for record, head in (start_heads or {}).items()}
    last = store.last_position()
    position = after + 1
    if snapshot_at is not None and snapshot_at <= after:
        report.snapshot = _heads(walking)
    while position <= last:
        page = store.notifications(position, PAGE)
        if not page:
            break
        for notification in page:
            if snapshot_at is not None and report.snapshot is None and notification.id > snapshot_at:
                report.snapshot = _heads(walking)
            report.events_checked += 1
            record = str(notification.originator_id)
            head = walking.setdefault(record, _Walking())
            if not head.broken:
                problem, chained = _check(store, notification, head)
                if problem:
                    head.broken = True
                    report.breaks.append(
                        ChainBreak(
                            record, notification.originator_version, notification.id, problem, store_name
                        )
                    )
                elif check_identifiers and chained is not None:
                    report.identifiers.extend(_identifier_findings(notification.id, chained))
            position = notification.id + 1
        if progress:
            progress(position - 1, last)
    report.position = max(position - 1, after)
    if snapshot_at is not None and report.snapshot is None:
        report.snapshot = _heads(walking)
    report.records_checked = len(walking)
    report.heads = _heads(walking)
    return report


def _identifier_findings(position: int, chained: ChainedEvent) -> list[IdentifierFinding]:
    return [
        IdentifierFinding(
            str(chained.originator_id),
            chained.originator_version,
            position,
            chained.type_name,
            where,
            problem,
        )
        for where, problem in noncanonical_identifiers(chained.payload)
    ]


def _heads(walking: Mapping[str, _Walking]) -> dict[str, ChainHead]:
    return {record: ChainHead(head.version, head.hash) for record, head in walking.items() if head.version}


@dataclass(frozen=True)
class RecordChainCheck:
    """One record's chain, recomputed from its stored rows."""

    record_id: UUID
    version: int
    head_hash: str
    problem: str = ""
    broken_at_version: int | None = None

    @property
    def intact(self) -> bool:
        return not self.problem


def verify_record_chain(
    store: EventStore, record_id: UUID, *, up_to_version: int | None = None
) -> RecordChainCheck:
    """Checks one record's chain (up to a version, if given) without reading the whole store."""
    head = _Walking()
    for stored in store.recorder.select_events(record_id, lte=up_to_version):
        problem, _ = _check_event(store, record_id, stored, head)
        if problem:
            return RecordChainCheck(record_id, head.version, head.hash, problem, stored.originator_version)
    return RecordChainCheck(record_id, head.version, head.hash)


def _check(store: EventStore, notification: Notification, head: _Walking) -> tuple[str, ChainedEvent | None]:
    record_id = UUID(str(notification.originator_id))
    return _check_event(store, record_id, notification, head)


def _check_event(
    store: EventStore, record_id: UUID, stored: StoredEvent, head: _Walking
) -> tuple[str, ChainedEvent | None]:
    """The problem ("" if none) and the decoded event, so that one decryption serves every check."""
    version, topic = stored.originator_version, stored.topic
    try:
        chained = store.mapper.to_chained_event(stored)
    except Exception:  # any failure to decrypt or parse is a break, whatever the cipher raises
        return "the stored payload does not decrypt or parse", None
    if version != head.version + 1:
        return f"version {version} follows version {head.version}", chained
    if chained.previous_hash != head.hash:
        return "the link to the previous event does not match", chained
    expected = event_hash(record_id, version, topic, chained.payload, head.hash)
    if expected != chained.hash:
        return "the event's content does not match its hash", chained
    head.version = version
    head.hash = chained.hash
    return "", chained
