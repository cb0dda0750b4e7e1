"""Recomputes every record's hash chain from the stored rows and reports the first break per record."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from uuid import UUID

from eventsourcing.persistence import Notification

from carerecord_services.chain import GENESIS, event_hash
from carerecord_services.store import EventStore

PAGE = 1000


@dataclass(frozen=True)
class ChainBreak:
    record_id: str
    version: int
    position: int
    problem: str


@dataclass
class VerificationReport:
    events_checked: int = 0
    records_checked: int = 0
    breaks: list[ChainBreak] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.breaks


@dataclass
class _ChainHead:
    version: int = 0
    hash: str = GENESIS
    broken: bool = False


def verify_chains(
    store: EventStore, progress: Callable[[int, int], None] | None = None
) -> VerificationReport:
    report = VerificationReport()
    heads: dict[str, _ChainHead] = {}
    last = store.last_position()
    position = 1
    while position <= last:
        page = store.notifications(position, PAGE)
        if not page:
            break
        for notification in page:
            report.events_checked += 1
            record = str(notification.originator_id)
            head = heads.setdefault(record, _ChainHead())
            if not head.broken:
                problem = _check(store, notification, head)
                if problem:
                    head.broken = True
                    report.breaks.append(
                        ChainBreak(record, notification.originator_version, notification.id, problem)
                    )
            position = notification.id + 1
        if progress:
            progress(position - 1, last)
    report.records_checked = len(heads)
    return report


def _check(store: EventStore, notification: Notification, head: _ChainHead) -> str:
    try:
        chained = store.mapper.to_chained_event(notification)
    except Exception:  # any failure to decrypt or parse is a break, whatever the cipher raises
        return "the stored payload does not decrypt or parse"
    if notification.originator_version != head.version + 1:
        return f"version {notification.originator_version} follows version {head.version}"
    if chained.previous_hash != head.hash:
        return "the link to the previous event does not match"
    record_id = UUID(str(notification.originator_id))
    expected = event_hash(
        record_id, notification.originator_version, notification.topic, chained.payload, head.hash
    )
    if expected != chained.hash:
        return "the event's content does not match its hash"
    head.version = notification.originator_version
    head.hash = chained.hash
    return ""
