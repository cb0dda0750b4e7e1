"""What a read model fed on its own (see registry.py) has in common: its tables, created before it is fed, and a
handler per kind of event it follows (a `functools.singledispatch` function on the event's type), so that the
model holds only what its question needs."""

from __future__ import annotations

from typing import Any, Protocol

from carerecord_projections.projector import Positioned


class EventHandler(Protocol):
    def __call__(self, event: Any, cursor: Any, /) -> bool:
        """Changes the model's tables for one event; whether it did (a worker counts them)."""
        ...


def not_followed(event: Any, cursor: Any) -> bool:
    """The default of every model's handler: an event the model does not follow changes nothing."""
    return False


class AdditionalProjection:
    """A `Projection` (store_feeder.py) made of its DDL and its handler."""

    name: str
    ddl: str
    handle: EventHandler

    def prepare(self, cursor: Any) -> None:
        cursor.execute(self.ddl)

    def apply(self, cursor: Any, version: int, item: Positioned) -> bool:
        return self.handle(item.event, cursor)
