"""The event store: PostgreSQL (or any eventsourcing persistence module) through the eventsourcing library.

Storage is chosen by the environment given (PERSISTENCE_MODULE, POSTGRES_*, CIPHER_TOPIC, CIPHER_KEY), never
named here. The library gives every event a gap-free position in one notification log and per-record versions
with optimistic concurrency. Each stored event is a chained envelope (see chain.py) whose topic is the event's
stable type name and schema version, never a Python path.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    Mapper,
    Notification,
    OperationalError,
    StoredEvent,
)
from eventsourcing.utils import Environment

from carerecord_events.base import CareRecordEvent
from carerecord_events.codec import from_payload, to_payload
from carerecord_services.chain import GENESIS, canonical_json, event_hash
from carerecord_services.errors import StoreUnavailable, VersionConflict

log = logging.getLogger("carerecord.store")


@dataclass(frozen=True)
class ChainedEvent:
    """One stored event as written: its payload (JSON, as at the time), and its place in the chain."""

    originator_id: UUID
    originator_version: int
    topic: str
    payload: dict[str, Any]
    previous_hash: str
    hash: str

    @property
    def type_name(self) -> str:
        return self.topic.rsplit("/v", 1)[0]

    @property
    def schema_version(self) -> int:
        return int(self.topic.rsplit("/v", 1)[1])

    def decode(self) -> CareRecordEvent:
        return from_payload(self.type_name, self.schema_version, self.payload)


def topic_of(event: CareRecordEvent) -> str:
    return f"{event.TYPE}/v{event.VERSION}"


class ChainedMapper(Mapper[UUID]):
    """Stores the envelope as canonical JSON, compressed and encrypted when the environment says so."""

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        assert isinstance(domain_event, ChainedEvent)
        state = canonical_json(
            {
                "payload": domain_event.payload,
                "previous": domain_event.previous_hash,
                "hash": domain_event.hash,
            }
        )
        if self.compressor:
            state = self.compressor.compress(state)
        if self.cipher:
            state = self.cipher.encrypt(state)
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=domain_event.topic,
            state=state,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        return self.to_chained_event(stored_event)

    def to_chained_event(self, stored_event: StoredEvent) -> ChainedEvent:
        """Raises if the state does not decrypt or parse (which verification reports as a break)."""
        state = stored_event.state
        if self.cipher:
            state = self.cipher.decrypt(state)
        if self.compressor:
            state = self.compressor.decompress(state)
        envelope = json.loads(state)
        originator_id = stored_event.originator_id
        return ChainedEvent(
            originator_id=originator_id if isinstance(originator_id, UUID) else UUID(originator_id),
            originator_version=stored_event.originator_version,
            topic=stored_event.topic,
            payload=envelope["payload"],
            previous_hash=envelope["previous"],
            hash=envelope["hash"],
        )


class _CareRecordApplication(Application[UUID]):
    """Gives us the library's recorder (tables carerecord_events) and a mapper with its cipher."""

    name = "CareRecord"

    def construct_env(self, name: str, env: Mapping[str, str] | None = None) -> Environment:
        """Only the environment we are given: settings are read once, by the composition root, not here."""
        return Environment(name, dict(env or {}))

    def construct_mapper(self) -> Mapper[UUID]:
        return self.factory.mapper(transcoder=self.construct_transcoder(), mapper_class=ChainedMapper)


@dataclass(frozen=True)
class LoadedRecord:
    record_id: UUID
    events: list[CareRecordEvent]
    version: int
    head_hash: str


class EventStore:
    application_class: type[_CareRecordApplication] = _CareRecordApplication

    def __init__(self, env: Mapping[str, str]) -> None:
        self._app = self.application_class(env=dict(env))
        mapper = self._app.mapper
        assert isinstance(mapper, ChainedMapper)
        self.mapper: ChainedMapper = mapper
        self.recorder = self._app.recorder

    def close(self) -> None:
        self._app.close()

    @contextmanager
    def _reachable(self) -> Iterator[None]:
        """The library has already retried when it raises these: the server is away, or was restarted and
        every pooled connection is dead. Dead connections are replaced now, so the caller's retry finds live
        ones once the server is back."""
        try:
            yield
        except (OperationalError, InterfaceError) as error:
            self._replace_dead_connections()
            raise StoreUnavailable() from error

    def _replace_dead_connections(self) -> None:
        pool = getattr(getattr(self.recorder, "datastore", None), "pool", None)
        check = getattr(pool, "check", None)  # psycopg_pool: tests each idle connection, replaces the dead
        if check is None:
            return
        try:
            check()
        except Exception as error:  # still away: the pool reconnects by itself
            log.info("event store connections could not be checked (%s)", type(error).__name__)

    def load(self, record_id: UUID, *, up_to_version: int | None = None) -> LoadedRecord:
        with self._reachable():
            stored = self.recorder.select_events(record_id, lte=up_to_version)
        chained = [self.mapper.to_chained_event(item) for item in stored]
        return LoadedRecord(
            record_id=record_id,
            events=[item.decode() for item in chained],
            version=chained[-1].originator_version if chained else 0,
            head_hash=chained[-1].hash if chained else GENESIS,
        )

    def chain(self, loaded: LoadedRecord, events: Sequence[CareRecordEvent]) -> list[StoredEvent]:
        """The stored form of `events`, appended after `loaded`, each hashed onto the one before."""
        previous = loaded.head_hash
        stored: list[StoredEvent] = []
        for offset, event in enumerate(events, start=1):
            version = loaded.version + offset
            payload = to_payload(event)
            topic = topic_of(event)
            digest = event_hash(loaded.record_id, version, topic, payload, previous)
            envelope = ChainedEvent(loaded.record_id, version, topic, payload, previous, digest)
            stored.append(self.mapper.to_stored_event(envelope))
            previous = digest
        return stored

    def insert(self, stored: Sequence[StoredEvent]) -> None:
        """One transaction. Raises VersionConflict if any event's (record, version) is taken, StoreUnavailable if
        the server cannot be reached (the transaction may then have committed or not: retry idempotently)."""
        try:
            with self._reachable():
                self.recorder.insert_events(stored)
        except IntegrityError:
            raise VersionConflict(
                "the record changed since it was read; reload it and try again", field="version"
            ) from None

    def notifications(self, start: int, limit: int) -> Sequence[Notification]:
        with self._reachable():
            return self.recorder.select_notifications(start, limit)

    def last_position(self) -> int:
        with self._reachable():
            return self.recorder.max_notification_id() or 0
