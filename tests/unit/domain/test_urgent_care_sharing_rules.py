"""Granting an urgent and emergency care service the region's plans: only a board's administrator, only for a
service of their board that the register marks as urgent and emergency care, once; withdrawn by that board."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from carerecord_events.access import NO_RECORD
from carerecord_events.base import Actor
from carerecord_events.roles import Role
from carerecord_projections.reference import parse_organisations
from carerecord_services.errors import DomainError, NotPermitted
from carerecord_services.urgent_care import (
    GrantUrgentCareSharing,
    Register,
    RegisterEntry,
    UrgentCareSharing,
    WithdrawUrgentCareSharing,
    decide_grant,
    decide_withdrawal,
    sharing_from,
)

NOW = datetime(2026, 12, 2, 9, tzinfo=UTC)
ENTRIES = {
    "RX9": RegisterEntry("RX9", "QWE", urgent_and_emergency_care=True),
    "RXF": RegisterEntry("RXF", "QWE", urgent_and_emergency_care=False),
    "RNA": RegisterEntry("RNA", "QXA", urgent_and_emergency_care=True),
}
REGISTER = Register(entry=ENTRIES.get, is_board=lambda code: code in ("QWE", "QXA"))
BOARD_ADMIN = Actor(user_id="icb-admin-sam", role=Role.ADMINISTRATOR, organisation="QWE")
REASON = "ambulance crews need every plan in force when called"
NONE = UrgentCareSharing({})


def test_a_boards_administrator_grants_an_urgent_care_service_of_the_board() -> None:
    granted = decide_grant(GrantUrgentCareSharing(BOARD_ADMIN, "rx9", REASON), NONE, REGISTER, NOW)
    assert (granted.organisation, granted.board, granted.record_id) == ("RX9", "QWE", NO_RECORD)
    assert sharing_from([granted]).granted == {"RX9": granted}


@pytest.mark.parametrize(
    "actor",
    [
        Actor(user_id="practice-admin", role=Role.ADMINISTRATOR, organisation="K81003"),  # not a board
        Actor(user_id="icb-ann", role=Role.ASSURANCE, organisation="QWE"),
        Actor(user_id="dr-grey", role=Role.GP, organisation="QWE"),
    ],
)
def test_anyone_but_a_boards_administrator_is_not_permitted(actor: Actor) -> None:
    with pytest.raises(NotPermitted):
        decide_grant(GrantUrgentCareSharing(actor, "RX9", REASON), NONE, REGISTER, NOW)


@pytest.mark.parametrize(
    ("organisation", "rule"),
    [
        ("RXF", "not-urgent-and-emergency-care"),
        ("RNA", "not-in-the-board"),
        ("ZZZ99", "not-in-the-board"),
    ],
)
def test_a_service_not_marked_urgent_care_or_outside_the_board_is_refused(
    organisation: str, rule: str
) -> None:
    with pytest.raises(DomainError) as refused:
        decide_grant(GrantUrgentCareSharing(BOARD_ADMIN, organisation, REASON), NONE, REGISTER, NOW)
    assert (refused.value.rule, refused.value.field) == (rule, "organisation")


def test_a_grant_is_made_once_withdrawn_by_its_board_and_may_then_be_made_again() -> None:
    granted = decide_grant(GrantUrgentCareSharing(BOARD_ADMIN, "RX9", REASON), NONE, REGISTER, NOW)
    with pytest.raises(DomainError) as twice:
        decide_grant(
            GrantUrgentCareSharing(BOARD_ADMIN, "RX9", REASON), sharing_from([granted]), REGISTER, NOW
        )
    assert twice.value.rule == "already-granted"
    other_board = Actor(user_id="icb-admin-kit", role=Role.ADMINISTRATOR, organisation="QXA")
    with pytest.raises(DomainError) as not_theirs:
        decide_withdrawal(
            WithdrawUrgentCareSharing(other_board, "RX9", REASON), sharing_from([granted]), REGISTER, NOW
        )
    assert not_theirs.value.rule == "not-granted"
    withdrawn = decide_withdrawal(
        WithdrawUrgentCareSharing(BOARD_ADMIN, "RX9", "the service reads plans another way"),
        sharing_from([granted]),
        REGISTER,
        NOW,
    )
    assert withdrawn.granted_access_id == granted.access_id
    assert sharing_from([granted, withdrawn]).granted == {}
    decide_grant(
        GrantUrgentCareSharing(BOARD_ADMIN, "RX9", REASON), sharing_from([granted, withdrawn]), REGISTER, NOW
    )


def test_a_grant_states_why() -> None:
    with pytest.raises(DomainError) as refused:
        decide_grant(GrantUrgentCareSharing(BOARD_ADMIN, "RX9", "ok"), NONE, REGISTER, NOW)
    assert refused.value.rule == "reason-required"


HEADER = "ods_code,name,setting,icb_code,icb_name,region"


def test_the_register_marks_urgent_care_services_and_refuses_the_mark_on_other_settings() -> None:
    text = (
        f"{HEADER},urgent_and_emergency_care\n"
        "RX9,Ambulance,ambulance,QWE,Board,South East,yes\n"
        "NLX11,NHS 111,nhs-111,QWE,Board,South East,YES\n"
        "RXF,Hospital,hospital,QWE,Board,South East,\n"
    )
    marked = {o.ods_code: o.urgent_and_emergency_care for o in parse_organisations(text)}
    assert marked == {"RX9": True, "NLX11": True, "RXF": False}
    assert not any(
        o.urgent_and_emergency_care for o in parse_organisations(f"{HEADER}\nRX9,A,ambulance,QWE,B,R\n")
    )
    with pytest.raises(ValueError) as refused:
        parse_organisations(
            f"{HEADER},urgent_and_emergency_care\nRXF,Hospital,hospital,QWE,B,R,yes\nRX9,A,ambulance,QWE,B,R,maybe\n"
        )
    assert "line 2: urgent_and_emergency_care is yes for setting 'hospital'" in str(refused.value)
    assert "line 3: urgent_and_emergency_care 'maybe'" in str(refused.value)
