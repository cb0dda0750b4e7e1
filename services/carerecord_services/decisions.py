"""The rules: decide(record, command) -> new events, or a named refusal.

Every rule is checked against the record's own state (never a read model). Nothing here does I/O.
"""

from __future__ import annotations

from datetime import date

from carerecord_events.base import CareRecordEvent
from carerecord_events.record.state import PersonRecord
from carerecord_services import commands as c
from carerecord_services.names import check_names
from carerecord_services.rules import conversations, corrections, people, plans
from carerecord_services.rules.common import Context, Stamp, check_actor, decide_command, require_registered
from carerecord_services.text import check_storable_fields
from carerecord_services.timing import check_date_of_birth, check_occurred_at


def decide(record: PersonRecord, command: c.Command, context: Context) -> list[CareRecordEvent]:
    """The events that `command` adds to `record`; raises a DomainError naming the rule if refused."""
    actor = check_actor(command.actor)
    check_storable_fields(command)
    check_names(command)
    if isinstance(command, c.RegisterPerson):
        check_date_of_birth(command.date_of_birth, context.now)
        born: date | None = command.date_of_birth
    else:
        require_registered(record)
        born = record.date_of_birth
    occurred_at = command.occurred_at or context.now
    check_occurred_at(occurred_at, context.now, born)
    stamp = Stamp(record.record_id, actor, occurred_at, context)
    return decide_command(command, record, stamp)


__all__ = ["Context", "check_actor", "decide"]

FAMILIES = (people, conversations, plans, corrections)
"""The families of rules: importing them registers each command's rule with the dispatch."""
