"""What a read model fed on its own (see registry.py) has in common: its tables, created before it is fed, and
one handler per kind of event it follows, so that the model holds only what its question needs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from carerecord_events.base import CareRecordEvent
from carerecord_projections.projector import Positioned

Handler = Callable[[Any, Any], bool]
"""(cursor, event): how one kind of event changes the model's tables, and whether it did (a worker counts them)."""


class AdditionalProjection:
    """A `Projection` (store_feeder.py) made of its DDL and its handlers: the first handler whose event type
    matches is applied; an event nobody handles is not applied."""

    name: str
    ddl: str
    handlers: Sequence[tuple[type[CareRecordEvent] | tuple[type[CareRecordEvent], ...], Handler]]

    def prepare(self, cursor: Any) -> None:
        cursor.execute(self.ddl)

    def apply(self, cursor: Any, version: int, item: Positioned) -> bool:
        for kind, handle in self.handlers:
            if isinstance(item.event, kind):
                return handle(cursor, item.event)
        return False
