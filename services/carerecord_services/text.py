"""Free text that can be stored: PostgreSQL text and jsonb hold neither NUL characters nor lone surrogates.

Such a character in an event would be stored (events are bytes), then stop every projection that reaches it:
the read models would lag for good behind one request. So it is refused at the door, naming the field, and
nothing is recorded. Everything else (quotes, markup, formulas, any language) is stored exactly as given.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from carerecord_services.errors import InvalidInput

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def check_storable(value: str, field_name: str) -> None:
    if _UNSTORABLE.search(value):
        raise InvalidInput(
            "this text holds a NUL character or a broken character encoding; remove it and try again",
            field=field_name,
        )


def check_storable_fields(value: Any, path: str = "") -> None:
    """Every string in a command (nested records and lists included), named by its dotted path."""
    if isinstance(value, str):
        check_storable(value, path)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            check_storable_fields(getattr(value, field.name), f"{path}.{field.name}".lstrip("."))
    elif isinstance(value, list | tuple):
        for item in value:
            check_storable_fields(item, path)
