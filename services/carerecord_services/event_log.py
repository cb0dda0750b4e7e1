"""The event log port: the store's events in the order they were stored, for whatever carries them on (the
relay to Kafka, the in-process feeders of the read models). Narrow on purpose: a reader of the log needs where
it has got to, what follows, and the last position, never the store's records, recorder or cipher."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # the store implements this port, so it imports it; the port names the store's envelope
    from carerecord_services.store import ChainedEvent


@dataclass(frozen=True)
class LoggedEvent:
    """One stored event at its place in the notification log: positions increase and can skip a number (a
    transaction that did not commit took it); none is ever filled in below one already read."""

    position: int
    stored: ChainedEvent


class EventLog(Protocol):
    def notifications_after(self, position: int, limit: int) -> Sequence[LoggedEvent]:
        """Up to `limit` events stored after `position`, in order: as far as every event before them is final."""
        ...

    def last_position(self) -> int:
        """The position of the last event that can be read (0 for an empty store)."""
        ...
