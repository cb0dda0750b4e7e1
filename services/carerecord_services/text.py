"""Free text that can be stored: PostgreSQL text and jsonb hold neither NUL characters nor lone surrogates.

Such a character in an event would be stored (events are bytes), then stop every projection that reaches it:
the read models would lag for good behind one request. So it is refused at the door, naming the field, and
nothing is recorded. Everything else (quotes, markup, formulas, any language) is stored exactly as given.

Every text and every list in a command is bounded too, so that the events a command makes stay small
enough to be published: an event the broker refuses would stop every later event of its partition. The
bounds are far above what a clinical entry needs (the longest reasoning in the demo region is under 1,000
characters); the store's door checks each event's whole size as well (store.py, CARERECORD_MAX_EVENT_BYTES).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from carerecord_services.errors import InvalidInput

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

MAX_TEXT_CHARACTERS = 20_000
MAX_LIST_ITEMS = 100


def check_storable(value: str, field_name: str) -> None:
    if len(value) > MAX_TEXT_CHARACTERS:
        raise InvalidInput(
            f"this text is {len(value):,} characters long; at most {MAX_TEXT_CHARACTERS:,} can be recorded "
            "in one field",
            field=field_name,
            rule="text-too-long",
        )
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
        if len(value) > MAX_LIST_ITEMS:
            raise InvalidInput(
                f"{len(value):,} entries were given; at most {MAX_LIST_ITEMS} can be recorded in one change",
                field=path,
                rule="too-many-entries",
            )
        for item in value:
            check_storable_fields(item, path)
