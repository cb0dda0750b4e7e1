"""The mappings of the region's own forms, as an administrator loaded them (`carerecord forms load`): reference
data, not derived from events, so a rebuild of the read models never touches them. Each is kept as the file's
text and checked again whenever it is used."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from carerecord_projections.database import transaction
from carerecord_projections.reference import create_reference_tables


@dataclass(frozen=True)
class LoadedMapping:
    name: str
    title: str
    mapping: str
    loaded_at: datetime


class LocalFormMappings:
    def __init__(self, dsn: str) -> None:
        self._dsn = dsn

    def save(self, name: str, title: str, mapping: str) -> None:
        """Loads a mapping (already checked), replacing any earlier one of the same name."""
        with transaction(self._dsn) as cursor:
            create_reference_tables(cursor)
            cursor.execute(
                "INSERT INTO local_form_mappings (name, title, mapping) VALUES (%s, %s, %s) "
                "ON CONFLICT (name) DO UPDATE SET title = EXCLUDED.title, mapping = EXCLUDED.mapping, "
                "loaded_at = now()",
                (name, title, mapping),
            )

    def get(self, name: str) -> LoadedMapping | None:
        with transaction(self._dsn) as cursor:
            cursor.execute(
                "SELECT name, title, mapping, loaded_at FROM local_form_mappings WHERE name = %s", (name,)
            )
            row = cursor.fetchone()
        return LoadedMapping(*row) if row else None
