"""Names hold what can be seen: no invisible or direction-changing characters.

A right-to-left override (U+202E) makes "Hale" display as another name; a zero-width space (U+200B) makes two
names that look identical differ, so a search or a clinician reading the screen takes one person for another.
Every format character (Unicode category Cf: the bidirectional embeddings, overrides and isolates
U+202A-U+202E and U+2066-U+2069, the direction marks, the zero-width characters U+200B-U+200D, the word joiner
U+2060, the byte-order mark U+FEFF, ...) and every control or line-separating character is refused in a name
of a person, participant, clinician or representative, naming the field and the character. Letters of every
script are names as written.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from typing import Any

from carerecord_services.errors import InvalidInput

_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Zl", "Zp"})


def _is_name_field(field_name: str) -> bool:
    return field_name == "name" or field_name.endswith("_name")


def check_name(value: str, field_name: str) -> None:
    for position, character in enumerate(value, start=1):
        if unicodedata.category(character) in _INVISIBLE_CATEGORIES:
            what = unicodedata.name(character, "a control character")
            raise InvalidInput(
                f"{field_name}: a name may not hold invisible or direction-changing characters "
                f"(U+{ord(character):04X} {what} at character {position}); remove it and try again",
                field=field_name,
                rule="invisible-character-in-name",
            )


def check_names(value: Any, path: str = "") -> None:
    """Every name in a command (nested records and lists included), named by its dotted path."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            item = getattr(value, field.name)
            where = f"{path}.{field.name}".lstrip(".")
            if isinstance(item, str) and _is_name_field(field.name):
                check_name(item, where)
            else:
                check_names(item, where)
    elif isinstance(value, list | tuple):
        for item in value:
            check_names(item, path)
