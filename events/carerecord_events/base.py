"""What every event carries, and the registry that gives each type its stable name and version."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, TypeVar
from uuid import UUID

from carerecord_events.roles import Role


@dataclass(frozen=True, kw_only=True)
class Actor:
    """Who recorded an event: user, role, organisation (ODS code) and registration number where the role has one."""

    user_id: str
    role: Role
    organisation: str
    registration: str | None = None
    name: str | None = None


@dataclass(frozen=True, kw_only=True)
class Clinician:
    """A named clinician with a professional role and registration number (for authorship and endorsement)."""

    name: str
    """The clinician's name"""
    role: Role
    """The clinician's role"""
    registration: str
    """The clinician's professional registration number (GMC, NMC or HCPC)"""
    user_id: str | None = None
    """The clinician's user id, when they use the record"""


@dataclass(frozen=True, kw_only=True)
class Participant:
    """Someone who took part in a conversation or decision, and in what role or relationship."""

    name: str
    """Their name"""
    role: str
    """Their role, or relationship to the person"""
    representative_id: UUID | None = None
    """Their record as the person's representative, when they are one"""


@dataclass(frozen=True, kw_only=True)
class CareRecordEvent:
    """A fact about one person's care record. Immutable; never edited, only followed by other facts."""

    TYPE: ClassVar[str]
    VERSION: ClassVar[int]
    LABEL: ClassVar[str]
    EASY_READ: ClassVar[str]

    event_id: UUID
    record_id: UUID
    occurred_at: datetime
    recorded_at: datetime
    recorded_by: Actor


E = TypeVar("E", bound=type[CareRecordEvent])

CATALOGUE: dict[str, type[CareRecordEvent]] = {}


def event_type(name: str, *, version: int, label: str, easy_read: str) -> Callable[[E], E]:
    """Registers an event class under its stable type name (never its Python path) and schema version."""

    def register(cls: E) -> E:
        if name in CATALOGUE:
            raise ValueError(f"event type {name} is registered twice")
        cls.TYPE, cls.VERSION, cls.LABEL, cls.EASY_READ = name, version, label, easy_read
        CATALOGUE[name] = cls
        return cls

    return register
