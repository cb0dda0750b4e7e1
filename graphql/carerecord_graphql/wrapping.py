"""GraphQL types made from the dataclasses that define what they show, so that a field is declared once: in
the definition, not again by hand in the schema. A field's description is its metadata's "description"."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Sequence
from typing import Any

import strawberry


def graphql_type(
    source: type, *, name: str, description: str | None = None, fields: Sequence[str] | None = None
) -> type:
    """A strawberry type named `name` with `source`'s fields (or those named in `fields`, in that order)."""
    hints = typing.get_type_hints(source)
    by_name = {field.name: field for field in dataclasses.fields(source)}
    chosen = [by_name[field] for field in fields] if fields is not None else list(by_name.values())
    copy = dataclasses.make_dataclass(
        name,
        [
            (field.name, hints[field.name], strawberry.field(description=field.metadata.get("description")))
            for field in chosen
        ],
    )
    return strawberry.type(copy, description=description)


def shown_as(graphql: type, value: Any) -> Any:
    """`value` (an instance of the source dataclass) as an instance of the GraphQL type made from it."""
    return graphql(**{field.name: getattr(value, field.name) for field in dataclasses.fields(graphql)})
