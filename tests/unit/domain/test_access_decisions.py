"""Break glass and who may change a record, decided in services from the token and the command alone (the
record's part is the read decision, tested with the access matrix)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from carerecord_services import commands as c
from carerecord_services.break_glass import BreakGlass, ReviewBreakGlass, check_reviewer, decide_break_glass
from carerecord_services.changes import ChangeRefused, decided_by_the_record
from carerecord_services.errors import DomainError, NotPermitted
from carerecord_services.policy import RecordPolicy
from carerecord_services.read_access import Reader
from tests.builders import ASSURANCE, CARE_HOME_STAFF, GP, PARAMEDIC, THE_PERSON

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
REASON = "Cardiac arrest at home, no care relationship, crew needs the CPR decision"


def test_break_glass_starts_an_access_that_ends_when_it_lasts() -> None:
    record_id = uuid4()
    (started,) = decide_break_glass(BreakGlass(PARAMEDIC, record_id, REASON, timedelta(hours=4)), NOW)
    assert (started.record_id, started.recorded_by, started.reason) == (record_id, PARAMEDIC, REASON)
    assert started.expires_at == NOW + timedelta(hours=4)


def test_break_glass_by_a_role_outside_urgent_care_is_not_permitted() -> None:
    with pytest.raises(NotPermitted, match="only urgent-care clinicians may use break glass"):
        decide_break_glass(BreakGlass(CARE_HOME_STAFF, uuid4(), REASON, timedelta(hours=4)), NOW)


def test_break_glass_without_a_reason_in_words_is_refused_naming_the_rule() -> None:
    with pytest.raises(DomainError) as refused:
        decide_break_glass(BreakGlass(PARAMEDIC, uuid4(), "urgent", timedelta(hours=4)), NOW)
    assert (refused.value.rule, refused.value.field) == ("reason-required", "reason")


def test_only_an_assurance_team_reviews_and_says_what_it_found() -> None:
    with pytest.raises(NotPermitted):
        check_reviewer(ReviewBreakGlass(GP, uuid4(), True, "reviewed the call and the crew's notes"))
    with pytest.raises(DomainError) as refused:
        check_reviewer(ReviewBreakGlass(ASSURANCE, uuid4(), True, "fine"))
    assert refused.value.rule == "notes-required"


def test_a_role_that_may_never_make_a_change_is_refused_from_the_token() -> None:
    with pytest.raises(NotPermitted, match="may not record a capacity assessment"):
        decided_by_the_record(Reader(CARE_HOME_STAFF), c.AssessCapacity, uuid4(), RecordPolicy())


def test_a_person_may_raise_a_concern_on_their_own_record_only() -> None:
    own = uuid4()
    # on their own record the change is decided from it, as their read is (a withdrawn representative is refused)
    assert decided_by_the_record(Reader(THE_PERSON, own), c.RaiseConcern, own, RecordPolicy())
    with pytest.raises(ChangeRefused, match="a person token may not make this change"):
        decided_by_the_record(Reader(THE_PERSON, own), c.RaiseConcern, uuid4(), RecordPolicy())


def test_staff_changes_are_decided_by_their_access_to_the_record() -> None:
    assert decided_by_the_record(Reader(GP), c.RaiseConcern, uuid4(), RecordPolicy())
    assert not decided_by_the_record(Reader(ASSURANCE), c.RaiseConcern, uuid4(), RecordPolicy())
