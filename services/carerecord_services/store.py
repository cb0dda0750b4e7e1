"""The event store: PostgreSQL (or any eventsourcing persistence module) through the eventsourcing library.

Storage is chosen by the environment given (PERSISTENCE_MODULE, POSTGRES_*, CIPHER_TOPIC, CIPHER_KEY), never
named here. The library gives every event a position in one notification log and per-record versions with
optimistic concurrency. Positions increase along the log and can skip a number (a transaction that did not
commit took it); the log is read only as far as transactions that have ended, so once a position can be read,
every lower one can too or never will (see postgres_recorder). Each stored event is a chained envelope (see chain.py) whose topic is the event's
stable type name and schema version, never a Python path.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
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
from carerecord_services.chain import GENESIS, canonical_json, encoded_hash, envelope_json
from carerecord_services.errors import EventTooLarge, StoreUnavailable, VersionConflict
from carerecord_services.event_log import LoggedEvent
from carerecord_services.postgres_recorder import CareRecordRecorder

log = logging.getLogger("carerecord.store")

# Every stored event is published as one Kafka message, whose value is the payload's JSON and whose headers
# (CloudEvent attributes, position) take well under 1 KB. Kafka refuses a message above message.max.bytes
# (1,048,588 by default) and kafka-python's producer one above max.request.size (1,048,576), for ever: an
# event larger than this could never leave the store, and would stop its partition behind it.
MAX_EVENT_BYTES = 1_000_000


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
        return self.stored(
            domain_event.originator_id, domain_event.originator_version, domain_event.topic, state
        )

    def stored(self, record_id: UUID, version: int, topic: str, envelope: bytes) -> StoredEvent:
        """The stored form of an envelope already encoded as canonical JSON (see chain.envelope_json)."""
        state = envelope
        if self.compressor:
            state = self.compressor.compress(state)
        if self.cipher:
            state = self.cipher.encrypt(state)
        return StoredEvent(originator_id=record_id, originator_version=version, topic=topic, state=state)

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
    """A record's events as loaded. `trusted`: taken from this process's cache without asking the store,
    because this process wrote its last event; another process may have written since, which appending
    finds out (VersionConflict). Never what an access decision is made on (see EventStore.load)."""

    record_id: UUID
    events: list[CareRecordEvent]
    version: int
    head_hash: str
    trusted: bool = False


@dataclass(frozen=True)
class CachedRecord:
    """`written_here`: its last event was appended by this process (see EventStore.written)."""

    record_id: UUID
    events: tuple[CareRecordEvent, ...]
    hashes: tuple[str, ...]
    written_here: bool = False

    @property
    def version(self) -> int:
        return len(self.events)

    def prefix(self, version: int, *, trusted: bool = False) -> LoadedRecord:
        return LoadedRecord(
            record_id=self.record_id,
            events=list(self.events[:version]),
            version=version,
            head_hash=self.hashes[version - 1] if version else GENESIS,
            trusted=trusted,
        )


class RecordCache:
    """Decoded events of recently used records, least recently used dropped first, bounded by the number of
    events held. Entries only ever grow by events read from the store, so a stale entry is just a shorter
    prefix: the next load reads what follows it."""

    def __init__(self, max_events: int) -> None:
        self._max_events = max_events
        self._records: OrderedDict[UUID, CachedRecord] = OrderedDict()
        self._events = 0
        self._lock = threading.Lock()

    def get(self, record_id: UUID) -> CachedRecord | None:
        with self._lock:
            found = self._records.get(record_id)
            if found is not None:
                self._records.move_to_end(record_id)
            return found

    def distrust(self, record_id: UUID) -> None:
        """Another process has written to the record: what is held is a prefix to read on from, no more."""
        with self._lock:
            held = self._records.get(record_id)
            if held is not None and held.written_here:
                self._records[record_id] = CachedRecord(record_id, held.events, held.hashes)

    def put(self, record: CachedRecord) -> None:
        if record.version > self._max_events:
            return
        with self._lock:
            held = self._records.get(record.record_id)
            if held is not None and held.version >= record.version:
                if held.version == record.version and not record.written_here:
                    self._records[record.record_id] = record  # read from the store: no longer ours alone
                return
            self._events += record.version - (held.version if held else 0)
            self._records[record.record_id] = record
            self._records.move_to_end(record.record_id)
            while self._events > self._max_events:
                _, dropped = self._records.popitem(last=False)
                self._events -= dropped.version


class EventStore:
    application_class: type[_CareRecordApplication] = _CareRecordApplication

    def __init__(self, env: Mapping[str, str]) -> None:
        self._app = self.application_class(env=dict(env))
        mapper = self._app.mapper
        assert isinstance(mapper, ChainedMapper)
        self.mapper: ChainedMapper = mapper
        self.recorder = self._app.recorder
        self._cache = RecordCache(int(env.get("CARERECORD_RECORD_CACHE_EVENTS", "200000")))
        self.max_event_bytes = int(env.get("CARERECORD_MAX_EVENT_BYTES") or MAX_EVENT_BYTES)

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

    def load(
        self, record_id: UUID, *, up_to_version: int | None = None, trusted: bool = False
    ) -> LoadedRecord:
        """A record's events, decoded. Stored events never change, so decoded ones are kept (see RecordCache)
        and only the events stored since are read: a record with a long history costs one short query, which
        is also the check that the record's version is current. With `trusted`, a record whose last event this
        process wrote is taken from the cache without that query: for deciding a change, whose append fails
        (VersionConflict) if another process wrote since; never for deciding who may see or change it."""
        cached = self._cache.get(record_id)
        if trusted and up_to_version is None and cached is not None and cached.written_here:
            return cached.prefix(cached.version, trusted=True)
        if cached is not None and up_to_version is not None and up_to_version <= cached.version:
            return cached.prefix(up_to_version)
        after = cached.version if cached is not None else None
        with self._reachable():
            stored = self.recorder.select_events(record_id, gt=after, lte=up_to_version)
        chained = [self.mapper.to_chained_event(item) for item in stored]
        events = [*(cached.events if cached else ()), *(item.decode() for item in chained)]
        hashes = [*(cached.hashes if cached else ()), *(item.hash for item in chained)]
        loaded = CachedRecord(record_id, tuple(events), tuple(hashes))
        self._cache.put(loaded)
        return loaded.prefix(len(events))

    def chain(self, loaded: LoadedRecord, events: Sequence[CareRecordEvent]) -> list[StoredEvent]:
        """The stored form of `events`, appended after `loaded`, each hashed onto the one before."""
        return self.chained(loaded, events)[0]

    def chained(
        self, loaded: LoadedRecord, events: Sequence[CareRecordEvent]
    ) -> tuple[list[StoredEvent], list[str]]:
        """As `chain`, with each event's hash (for `written`). The payload is encoded once, for the hash and
        the envelope alike (chain.encoded_hash, chain.envelope_json)."""
        previous = loaded.head_hash
        stored: list[StoredEvent] = []
        hashes: list[str] = []
        for offset, event in enumerate(events, start=1):
            version = loaded.version + offset
            payload = to_payload(event)
            payload_json = canonical_json(payload)
            topic = topic_of(event)
            self._check_publishable(event, payload, payload_json)
            digest = encoded_hash(loaded.record_id, version, topic, payload_json, previous)
            envelope = envelope_json(payload_json, previous, digest)
            stored.append(self.mapper.stored(loaded.record_id, version, topic, envelope))
            hashes.append(digest)
            previous = digest
        return stored, hashes

    def written(self, loaded: LoadedRecord, events: Sequence[CareRecordEvent], hashes: Sequence[str]) -> None:
        """`events` (hashed `hashes`) are committed after `loaded`: the cache holds them, as this process's."""
        cached = self._cache.get(loaded.record_id)
        held = cached.version if cached is not None else 0
        if held != loaded.version:
            return  # the cache holds another prefix: the next load reads on from it
        self._cache.put(
            CachedRecord(
                loaded.record_id,
                (*(cached.events if cached else ()), *events),
                (*(cached.hashes if cached else ()), *hashes),
                written_here=True,
            )
        )

    def distrust(self, record_id: UUID) -> None:
        """A change decided on the cached record met a version conflict: the next load asks the store."""
        self._cache.distrust(record_id)

    def _check_publishable(self, event: CareRecordEvent, payload: dict[str, Any], encoded: bytes) -> None:
        """The store's door: an event that could not be published is refused, and nothing is stored. The relay's
        CloudEvents binding sends `json.dumps(payload)` (ASCII escapes, ", " and ": "), at most 3 bytes for each
        byte of the canonical encoding: only a payload near the bound is encoded that way to be measured."""
        if 3 * len(encoded) <= self.max_event_bytes:
            return
        size = len(json.dumps(payload).encode())
        if size > self.max_event_bytes:
            raise EventTooLarge(
                f"this change would make a {event.TYPE} event of {size:,} bytes, more than the "
                f"{self.max_event_bytes:,} that can be shared with other services; record less in one change",
                field=event.TYPE,
            )

    def interrupt_insert(self, thread: int) -> bool:
        """Stops the insert that `thread` is running (see postgres_recorder); False if there is none."""
        recorder = self.recorder
        return recorder.interrupt(thread) if isinstance(recorder, CareRecordRecorder) else False

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

    def notifications_after(self, position: int, limit: int) -> Sequence[LoggedEvent]:
        """The event log port (see event_log.py): the recorder's notifications, opened."""
        return [
            LoggedEvent(notification.id, self.mapper.to_chained_event(notification))
            for notification in self.notifications(position + 1, limit)
        ]

    def last_position(self) -> int:
        with self._reachable():
            return self.recorder.max_notification_id() or 0
