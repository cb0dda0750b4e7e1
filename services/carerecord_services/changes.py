"""Who may change a record, decided once, on the record the use case loads to decide the change.

The role first (the permission table), so that a role that may never make a change is refused before anything
about the record is looked at; then the kind of token; then, for staff and the board's privacy officers, the
same decision as a read, from the record and the break-glass stream in the store (never a read model: read
models lag behind). The record is loaded once, for that and for the rules.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from carerecord_events.roles import ROLES, Role
from carerecord_services import commands as c
from carerecord_services.errors import NotPermitted, VersionConflict
from carerecord_services.policy import BOARD_ROLES, COMMAND_ACTIONS, NOT_STAFF, RecordPolicy
from carerecord_services.read_access import ReadAccess, Reader
from carerecord_services.service import CareRecordService, Idempotency, Loaded, Outcome

# Who may change a record they have no care relationship with: the person and their representative may raise
# a concern about their own; assurance teams may raise and resolve concerns anywhere in the region.
REGION_WIDE: dict[type[c.Command], frozenset[Role]] = {
    c.RaiseConcern: frozenset({Role.ASSURANCE}),
    c.ResolveConcern: frozenset({Role.ASSURANCE}),
}
OWN_RECORD: dict[type[c.Command], frozenset[Role]] = {
    c.RaiseConcern: frozenset({Role.PERSON, Role.REPRESENTATIVE})
}
# An organisation's own relationship: its staff may start it, end it, or (once lapsed) confirm it, whatever the
# relationship's state; the rules check that the organisation is their own.
OWN_RELATIONSHIP = frozenset({c.StartCareRelationship, c.EndCareRelationship, c.ConfirmCareRelationship})
# What the board's roles may change, on the records they may read (decided as a read, from the record).
BOARD_CHANGES = frozenset({c.ReviewCareRelationship, c.RecordBoardFinding})


class ChangeRefused(Exception):
    """The caller may not change this record (the message says only what they may know). Not a DomainError:
    the command was not judged. `reason` is the refusal log's stable code."""

    def __init__(self, message: str, reason: str = "no-care-relationship") -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


def decided_by_the_record(
    reader: Reader, command_class: type[c.Command], record_id: UUID, policy: RecordPolicy
) -> bool:
    """Whether the caller's access to the record decides the change. A role that may never make it is refused
    (NotPermitted), and a token that may not make it on this record (ChangeRefused), from the token alone."""
    role = reader.actor.role
    action = COMMAND_ACTIONS[command_class]
    if not policy.may(role, action):
        raise NotPermitted(f"a {ROLES[role].label} may not {action.value}")
    if role in REGION_WIDE.get(command_class, frozenset()):
        return False
    if role in OWN_RECORD.get(command_class, frozenset()) and reader.record_id == record_id:
        return (
            True  # decided as their read is, from the record: a withdrawn representative is refused at once
        )
    if command_class in OWN_RELATIONSHIP:
        return False  # the rules check that only the organisation's own staff start, confirm or end it
    if role in NOT_STAFF - BOARD_ROLES or (role in BOARD_ROLES and command_class not in BOARD_CHANGES):
        raise ChangeRefused(f"a {role.value} token may not make this change")
    return True


class RecordChanges:
    """The change use cases as a signed-in caller asks for them: authorised, then decided by the rules."""

    def __init__(self, care_records: CareRecordService, reading: ReadAccess) -> None:
        self._care_records = care_records
        self._reading = reading

    def change(
        self,
        reader: Reader,
        record_id: UUID,
        command: c.Command,
        *,
        expected_version: int | None = None,
        idempotency: Idempotency | None = None,
    ) -> Outcome:
        """Load, authorise on what was loaded (a refusal is ChangeRefused), decide, append once."""
        return self.change_made(
            reader,
            record_id,
            type(command),
            lambda: command,
            expected_version=expected_version,
            idempotency=idempotency,
        )

    def change_made(
        self,
        reader: Reader,
        record_id: UUID,
        command_class: type[c.Command],
        make: Callable[[], c.Command],
        *,
        expected_version: int | None = None,
        idempotency: Idempotency | None = None,
    ) -> Outcome:
        """As `change`, for a command made only once the caller is authorised to make one of its kind (from a
        local form, say, whose fit to its mapping is judged after the access, never before). When access is
        decided by the record, it is loaded from the store (the query that confirms its current version);
        otherwise a record this process wrote last is taken from its cache, and from the store on a conflict."""
        by_record = decided_by_the_record(reader, command_class, record_id, self._care_records.policy)
        loaded = self._care_records.load(record_id, trusted=not by_record)
        try:
            return self._decided(reader, record_id, make, loaded, by_record, expected_version, idempotency)
        except VersionConflict:
            if not loaded.stored.trusted:
                raise
            self._care_records.forget_trust(record_id)
            loaded = self._care_records.load(record_id)
            return self._decided(reader, record_id, make, loaded, by_record, expected_version, idempotency)

    def _decided(
        self,
        reader: Reader,
        record_id: UUID,
        make: Callable[[], c.Command],
        loaded: Loaded,
        by_record: bool,
        expected_version: int | None,
        idempotency: Idempotency | None,
    ) -> Outcome:
        if by_record:
            # a privacy officer reviews within their board, as an assurance team reads; the person and their
            # representative change their own record only while it (and the representative) stand
            decision = self._reading.decide_on(loaded.record, reader, record_id)
            if not decision.granted:
                own = reader.actor.role in (Role.PERSON, Role.REPRESENTATIVE)
                raise ChangeRefused(decision.message, "not-their-record" if own else "no-care-relationship")
        return self._care_records.execute_loaded(
            loaded, make(), expected_version=expected_version, idempotency=idempotency
        )
