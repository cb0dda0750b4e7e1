"""The GraphQL descriptions of what the schema is made from, read where each concept is defined, once.

A dataclass field is described by its metadata's "description" or, failing that, by its attribute docstring
(the string literal right after the field, in the class or the mixin that declares it); an enum member by its
attribute docstring or, failing that, by its plain-English label (events' `plain` tables); a class by its
docstring, never by the signature `dataclasses` writes when there is none. The schema linter run by `make check`
names anything left undescribed."""

from __future__ import annotations

import ast
import dataclasses
import functools
import inspect
import textwrap
from collections.abc import Mapping
from enum import Enum
from typing import Any

from carerecord_events import plain

# Plain-English labels already written for the people who read the record (events' `plain.LABELS`): an enum
# member's description when it has no docstring of its own.
_LABELS = plain.LABELS


def sentence(text: str | None) -> str | None:
    """`text` as a GraphQL description: stripped, its first letter a capital; None when empty."""
    text = inspect.cleandoc(text or "")
    return text[:1].upper() + text[1:] if text else None


def class_description(cls: type) -> str | None:
    """The class's own docstring (not one inherited, nor the signature a dataclass is given without one)."""
    doc = cls.__dict__.get("__doc__")
    if not doc or (dataclasses.is_dataclass(cls) and doc.startswith(f"{cls.__name__}(")):
        return None
    return sentence(doc)


def field_description(cls: type, field: dataclasses.Field[Any]) -> str | None:
    return sentence(field.metadata.get("description") or attribute_docstrings(cls).get(field.name))


def description_of(cls: type, name: str) -> str | None:
    """The description of `cls`'s field `name`: for a hand-written GraphQL field showing that concept."""
    return field_description(cls, next(field for field in dataclasses.fields(cls) if field.name == name))


def enum_value_descriptions(enum_class: type[Enum]) -> dict[str, str | None]:
    docs = attribute_docstrings(enum_class)
    labels = _LABELS.get(enum_class, {})
    return {member.name: sentence(docs.get(member.name) or labels.get(member)) for member in enum_class}


@functools.cache
def attribute_docstrings(cls: type) -> Mapping[str, str]:
    """Attribute docstrings of `cls` and the classes it inherits from (its own win)."""
    found: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if klass is object or klass.__module__ in ("builtins", "enum"):
            continue
        found |= _own_attribute_docstrings(klass)
    return found


def _own_attribute_docstrings(cls: type) -> dict[str, str]:
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return {}
    definition = ast.parse(source).body[0]
    if not isinstance(definition, ast.ClassDef):
        return {}
    found: dict[str, str] = {}
    for statement, following in zip(definition.body, definition.body[1:], strict=False):
        if not (
            isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            continue
        target: ast.expr | None = statement.target if isinstance(statement, ast.AnnAssign) else None
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
        if isinstance(target, ast.Name):
            found[target.id] = inspect.cleandoc(following.value.value)
    return found
