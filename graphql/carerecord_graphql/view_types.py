"""GraphQL object types made from the read side's view dataclasses, so that a view's fields are declared once.

The type is built from the dataclass's fields (their names, order and types), and a resolver returns the view
itself: strawberry reads each field by attribute. Only what GraphQL spells differently is given here: a tuple
becomes a list, an enum its value's scalar, a property an extra field, a field a description.

For the type checker the GraphQL type is the dataclass (see `if TYPE_CHECKING` where these are made), which is
what a resolver returns."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from typing import Any

import strawberry


def view_type(
    view: type[Any],
    name: str,
    *,
    description: str | None = None,
    spelled: Mapping[str, object] | None = None,
    extra: Mapping[str, object] | None = None,
    described: Mapping[str, str] | None = None,
) -> type[Any]:
    """A strawberry type named `name` with the fields of the dataclass `view`, in its order; `spelled` gives the
    GraphQL annotation of fields whose Python type GraphQL spells otherwise, `extra` adds fields read from the
    view's properties, `described` gives fields their descriptions."""
    hints = typing.get_type_hints(view)
    annotations = {field.name: hints[field.name] for field in dataclasses.fields(view)}
    annotations |= dict(spelled or {}) | dict(extra or {})
    namespace: dict[str, Any] = {"__annotations__": annotations, "__module__": __name__, "__doc__": None}
    namespace |= {field: strawberry.field(description=text) for field, text in (described or {}).items()}
    return strawberry.type(type(name, (), namespace), description=description)
