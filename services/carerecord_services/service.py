"""The use cases: load the person's record, decide by the rules, append once through the group writer."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID, uuid4, uuid5

from carerecord_events.base import Actor, CareRecordEvent
from carerecord_events.people import NhsNumberIndexed, PersonRegistered, RequestRecorded
from carerecord_events.record.evolve import replay
from carerecord_events.record.state import PersonRecord, PlanState
from carerecord_services import commands as c
from carerecord_services.chain import GENESIS
from carerecord_services.decisions import Context, decide
from carerecord_services.errors import (
    AlreadyRegistered,
    DomainError,
    IdempotencyKeyReused,
    InvalidInput,
    RecordNotFound,
    VersionConflict,
)
from carerecord_services.identifiers import canonical_nhs_number
from carerecord_services.policy import RecordPolicy
from carerecord_services.replay_memo import ReplayMemo
from carerecord_services.snapshot import AsOfClock
from carerecord_services.store import EventStore, LoadedRecord
from carerecord_services.writer import GroupWriter

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Outcome:
    """What an accepted command did: the record, its new version, and the events now in its history.
    `replayed` is true when this is the stored answer to an earlier request with the same idempotency key."""

    record_id: UUID
    version: int
    event_ids: tuple[UUID, ...]
    events: tuple[CareRecordEvent, ...] = ()
    replayed: bool = False


@dataclass(frozen=True)
class Idempotency:
    """A caller's idempotency key, scoped to the user, and a digest of the request it was first used for."""

    user_id: str
    key: str
    request_hash: str

    @property
    def stream_id(self) -> UUID:
        return uuid5(IDEMPOTENCY_NAMESPACE, f"{self.user_id}\x00{self.key}")


IDEMPOTENCY_NAMESPACE = UUID("6f0c3c1e-7b1a-4f7e-9a53-2d5b8c9e4a10")


_IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_.:-]{8,128}")


def _check_key(idempotency: Idempotency | None) -> None:
    """Checked before anything is looked up under it, and after the caller was authorised."""
    if idempotency is not None and not _IDEMPOTENCY_KEY.fullmatch(idempotency.key):
        raise DomainError(
            "an idempotency key is 8 to 128 letters, digits or _.:-",
            field="idempotency_key",
            rule="invalid-input",
        )


class Loaded(NamedTuple):
    """A record as one command loaded it: its stored events, and the record they make (None: there is none)."""

    stored: LoadedRecord
    record: PersonRecord | None


class CareRecordService:
    def __init__(
        self,
        store: EventStore,
        writer: GroupWriter,
        *,
        clock: Clock,
        index_key: bytes,
        policy: RecordPolicy | None = None,
        after_append: Callable[[], object] | None = None,
    ) -> None:
        self._store = store
        self._writer = writer
        self._clock = clock
        self._index_key = index_key
        self._policy = policy or RecordPolicy()
        self._after_append = after_append
        self._replays = ReplayMemo()

    def register_person(
        self, command: c.RegisterPerson, *, idempotency: Idempotency | None = None
    ) -> Outcome:
        """A new record, and its NHS number index entry, in one transaction: one NHS number, one record."""
        _check_key(idempotency)
        earlier = self._earlier_answer(idempotency)
        if earlier is not None:
            return earlier
        record_id = uuid4()
        events = decide(PersonRecord(record_id=record_id), command, self._context())
        index_id = self.nhs_number_index_id(command.nhs_number)
        system = Actor(user_id="carerecord", role=command.actor.role, organisation=command.actor.organisation)
        indexed = NhsNumberIndexed(
            event_id=uuid4(),
            record_id=index_id,
            occurred_at=events[0].recorded_at,
            recorded_at=events[0].recorded_at,
            recorded_by=system,
            person_record_id=record_id,
        )
        new_record = LoadedRecord(record_id, [], 0, GENESIS)
        stored, hashes = self._store.chained(new_record, events)
        stored += self._store.chain(LoadedRecord(index_id, [], 0, GENESIS), [indexed])
        outcome = Outcome(record_id, len(events), tuple(e.event_id for e in events), tuple(events))
        stored += self._remember(idempotency, outcome, events[0])
        taken = AlreadyRegistered("a care record already exists for this NHS number", field="nhs_number")
        answer = self._append(stored, idempotency, outcome, taken=taken)
        if answer is outcome:
            self._store.written(new_record, events, hashes)
        return answer

    def execute(
        self,
        record_id: UUID,
        command: c.Command,
        *,
        expected_version: int | None = None,
        idempotency: Idempotency | None = None,
    ) -> Outcome:
        """Decides `command` against the record as it is now; `expected_version` is the version the caller saw.
        With an idempotency key, a retry returns the first answer and records nothing twice. A record this
        process wrote last is decided on from its cache, and again from the store if that meets a conflict."""
        loaded = self.load(record_id, trusted=True)
        try:
            return self.execute_loaded(
                loaded, command, expected_version=expected_version, idempotency=idempotency
            )
        except VersionConflict:
            if not loaded.stored.trusted:
                raise
            self.forget_trust(record_id)
            return self.execute_loaded(
                self.load(record_id), command, expected_version=expected_version, idempotency=idempotency
            )

    def forget_trust(self, record_id: UUID) -> None:
        """Another process wrote to the record: its next load asks the store."""
        self._store.distrust(record_id)

    def load(self, record_id: UUID, *, trusted: bool = False) -> Loaded:
        """The record's stored events, and the record they make (None if there is none): loaded once per
        command, for the caller's authorisation and for the rules. `trusted` (see EventStore.load) only when
        no access decision is made on it. The record is applied from the state the last command left."""
        stored = self._store.load(record_id, trusted=trusted)
        return Loaded(stored, self._replays.replay(record_id, stored.events) if stored.version else None)

    def execute_loaded(
        self,
        loaded: Loaded,
        command: c.Command,
        *,
        expected_version: int | None = None,
        idempotency: Idempotency | None = None,
    ) -> Outcome:
        """As `execute`, on the record as `load` found it: a change made since is a conflict when appending."""
        _check_key(idempotency)
        if expected_version is not None and expected_version < 0:
            raise InvalidInput(
                "expected_version: a record's version is a whole number, 0 or more", field="expected_version"
            )
        earlier = self._earlier_answer(idempotency)
        if earlier is not None:
            return earlier
        stored, record = loaded
        if record is None:
            raise RecordNotFound("there is no care record with this id", field="record_id")
        if expected_version is not None and expected_version != stored.version:
            raise VersionConflict(
                f"the record is at version {stored.version}, not {expected_version}: someone else has changed it",
                field="expected_version",
            )
        events = decide(record, command, self._context())
        outcome = Outcome(
            stored.record_id, stored.version + len(events), tuple(e.event_id for e in events), tuple(events)
        )
        recorded, hashes = self._store.chained(stored, events)
        recorded += self._remember(idempotency, outcome, events[0])
        answer = self._append(recorded, idempotency, outcome)
        if answer is outcome:
            self._store.written(stored, events, hashes)
        return answer

    def record(self, record_id: UUID) -> PersonRecord:
        record = self.find(record_id)
        if record is None:
            raise RecordNotFound("there is no care record with this id", field="record_id")
        return record

    @property
    def policy(self) -> RecordPolicy:
        return self._policy

    def find(self, record_id: UUID) -> PersonRecord | None:
        """The record as it is now, from the store; None if there is none."""
        return self.load(record_id).record

    def history(self, record_id: UUID, *, up_to_version: int | None = None) -> list[CareRecordEvent]:
        return self._store.load(record_id, up_to_version=up_to_version).events

    def state_after(self, record_id: UUID, events: Sequence[CareRecordEvent]) -> PersonRecord:
        """The record as it stood after `events`, which must be the first events of its history (as `history`
        returns them): replayed from the nearest state kept along the way, not from the start."""
        return self._replays.replay(record_id, events)

    def as_of(self, record_id: UUID, at: datetime, clock: AsOfClock) -> tuple[int, PersonRecord]:
        """The record as it stood at the instant `at` by `clock`, and the last version of it then. By when
        things were recorded, that is its first `version` events, replayed from a kept state; by when they
        happened, late entries make it a selection of its events, replayed in full."""
        history = self.history(record_id)
        kept = [version for version, event in enumerate(history, start=1) if clock.moment(event) <= at]
        version = kept[-1] if kept else 0
        then = [history[index - 1] for index in kept]
        state = self.state_after(record_id, then) if len(then) == version else replay(record_id, then)
        return version, state

    def plans_in_force(self, record_id: UUID, version: int) -> list[PlanState]:
        """The plans in force on the record as it stood at `version`: what a service that starts caring for
        the person then is sent, whatever was decided before it arrived."""
        return self.record_at_version(record_id, version).active_plans()

    def record_at_version(self, record_id: UUID, version: int) -> PersonRecord:
        """The record's state as it stood at `version`: its plans in force, and whether they conflict."""
        return self.state_after(record_id, self.history(record_id, up_to_version=version))

    def record_now(self, record_id: UUID) -> tuple[int, PersonRecord | None]:
        """The record's version now and its state (None for an id with no record): its plans in force and
        whether they conflict, what an urgent and emergency care service is sent when granted the region's."""
        loaded = self.load(record_id)
        return (0, None) if loaded.record is None else (loaded.stored.version, loaded.record)

    def nhs_number_of(self, record_id: UUID) -> str:
        """The person's NHS number, as registered (the record's first event), in its ten-digit form: what a
        provider's feed carries beside each event so that the provider can match it to its patient."""
        (registered,) = self.history(record_id, up_to_version=1)
        assert isinstance(registered, PersonRegistered), "a record begins with the person's registration"
        return canonical_nhs_number(registered.nhs_number)

    def find_record(self, nhs_number: str) -> UUID | None:
        loaded = self._store.load(self.nhs_number_index_id(nhs_number))
        if not loaded.events:
            return None
        indexed = loaded.events[0]
        assert isinstance(indexed, NhsNumberIndexed)
        return indexed.person_record_id

    def nhs_number_index_id(self, nhs_number: str) -> UUID:
        """A keyed hash: the id cannot be derived from the NHS number without the secret key."""
        digest = hmac.new(self._index_key, canonical_nhs_number(nhs_number).encode(), hashlib.sha256).digest()
        return UUID(bytes=digest[:16], version=4)

    def _remember(
        self, idempotency: Idempotency | None, outcome: Outcome, first: CareRecordEvent
    ) -> list[Any]:
        """The idempotency stream's one event, to commit in the same transaction as the request's events."""
        if idempotency is None:
            return []
        remembered = RequestRecorded(
            event_id=uuid4(),
            record_id=idempotency.stream_id,
            occurred_at=first.recorded_at,
            recorded_at=first.recorded_at,
            recorded_by=first.recorded_by,
            request_hash=idempotency.request_hash,
            person_record_id=outcome.record_id,
            version=outcome.version,
            event_ids=outcome.event_ids,
        )
        return self._store.chain(LoadedRecord(idempotency.stream_id, [], 0, GENESIS), [remembered])

    def _append(
        self,
        stored: list[Any],
        idempotency: Idempotency | None,
        outcome: Outcome,
        *,
        taken: DomainError | None = None,
    ) -> Outcome:
        """Appends the request's events (and its idempotency entry) in one transaction. A conflict may be an
        earlier request with the same key, or this very request committed before the connection broke;
        otherwise the versions (or, for a registration, the NHS number: `taken`) are someone else's."""
        try:
            self._writer.append(stored)
        except VersionConflict as conflict:
            answered = self._earlier_answer(idempotency)
            if answered is None and not self._already_recorded(outcome):
                raise (taken or conflict) from None
            return answered or outcome
        self._appended()
        return outcome

    def _already_recorded(self, outcome: Outcome) -> bool:
        """Whether the conflict is with this very request: the connection broke after PostgreSQL committed it
        but before it said so, and the store's retry then found the versions taken by our own events."""
        first = outcome.version - len(outcome.event_ids)
        loaded = self._store.load(outcome.record_id, up_to_version=outcome.version)
        return tuple(event.event_id for event in loaded.events[first:]) == outcome.event_ids

    def _earlier_answer(self, idempotency: Idempotency | None) -> Outcome | None:
        if idempotency is None:
            return None
        loaded = self._store.load(idempotency.stream_id)
        if not loaded.events:
            return None
        remembered = loaded.events[0]
        assert isinstance(remembered, RequestRecorded)
        if remembered.request_hash != idempotency.request_hash:
            raise IdempotencyKeyReused(
                "this idempotency key was already used for a different request", field="idempotency_key"
            )
        return Outcome(remembered.person_record_id, remembered.version, remembered.event_ids, replayed=True)

    def _appended(self) -> None:
        """In the embedded default, the read models catch up before the caller hears back."""
        if self._after_append is not None:
            self._after_append()

    def _context(self) -> Context:
        return Context(now=self._clock(), policy=self._policy)
