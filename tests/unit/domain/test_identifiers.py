"""Identifiers are ASCII: digits of other scripts are digits to Python, never to the record."""

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carerecord_events.base import Clinician
from carerecord_events.people import PersonRegistered
from carerecord_events.plans import RecommendationMade
from carerecord_events.roles import Register, Role
from carerecord_services.errors import InvalidIdentifier
from carerecord_services.identifiers import (
    canonical_nhs_number,
    canonical_ods_code,
    canonical_postcode,
    canonical_registration,
    noncanonical_identifiers,
)
from tests.builders import GP, NURSE, VALID_NHS_NUMBER, Scenario, recommendation, register

FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")
OTHER_SCRIPTS = [FULLWIDTH, ARABIC_INDIC, DEVANAGARI]


@pytest.mark.parametrize("script", OTHER_SCRIPTS, ids=["fullwidth", "arabic-indic", "devanagari"])
def test_an_nhs_number_in_another_scripts_digits_is_refused_at_registration(script: dict[int, str]) -> None:
    written = VALID_NHS_NUMBER.translate(script)
    assert written.isdigit() and int(written) == int(VALID_NHS_NUMBER)  # what fooled the old check
    with pytest.raises(InvalidIdentifier) as refused:
        Scenario().when(register(nhs_number=written))
    assert refused.value.field == "nhs_number"
    assert "0-9" in refused.value.message


@given(st.integers(0, 9), st.sampled_from(OTHER_SCRIPTS))
def test_one_digit_of_another_script_anywhere_in_an_nhs_number_is_refused(
    position: int, script: dict[int, str]
) -> None:
    written = VALID_NHS_NUMBER[:position] + VALID_NHS_NUMBER[position].translate(script)
    written += VALID_NHS_NUMBER[position + 1 :]
    with pytest.raises(InvalidIdentifier):
        canonical_nhs_number(written)


def test_an_nhs_number_with_spaces_or_hyphens_between_groups_is_the_same_number() -> None:
    assert canonical_nhs_number("943 476 5919") == canonical_nhs_number("943-476-5919") == "9434765919"
    for separator in ("\u00a0", "\u3000", "\t"):  # not ASCII spaces
        with pytest.raises(InvalidIdentifier):
            canonical_nhs_number(f"943{separator}476{separator}5919")


def test_registration_numbers_ods_codes_and_postcodes_refuse_other_scripts() -> None:
    with pytest.raises(InvalidIdentifier):
        canonical_registration(Register.GMC, "234567８")
    with pytest.raises(InvalidIdentifier):
        canonical_registration(Register.HCPC, "\u017fP12345")  # long s upper-cases to an ASCII S
    with pytest.raises(InvalidIdentifier):
        canonical_ods_code("K8١003")
    with pytest.raises(InvalidIdentifier):
        canonical_ods_code("\u0131CB")  # dotless i upper-cases to an ASCII I
    with pytest.raises(InvalidIdentifier):
        canonical_postcode("NG１ 1AA")
    assert canonical_postcode(" ng11aa ") == "NG1 1AA"
    assert canonical_ods_code("k81003") == "K81003"
    assert canonical_registration(Register.NMC, "71a2998e") == "71A2998E"


def test_a_postcode_is_recorded_in_its_canonical_form_and_a_malformed_one_is_refused() -> None:
    events = Scenario().when(register(postcode="ng1  1aa".replace("  ", "")))
    assert isinstance(events[0], PersonRegistered) and events[0].postcode == "NG1 1AA"
    with pytest.raises(InvalidIdentifier) as refused:
        Scenario().when(register(postcode="NG1 1A٨"))
    assert refused.value.field == "postcode"


def test_a_responsible_clinicians_registration_in_other_digits_is_refused_and_a_good_one_canonical() -> None:
    wrong = Clinician(name="Dr Okafor", role=Role.CONSULTANT, registration="١٢٣٤٥٦٧")
    with pytest.raises(InvalidIdentifier) as refused:
        Scenario().registered().when(recommendation(responsible_clinician=wrong))
    assert refused.value.field == "responsible_clinician.registration"
    lower = Clinician(name="Nurse Jones", role=Role.NURSE, registration="71a2998e")
    made = Scenario().registered().when(recommendation(actor=GP, responsible_clinician=lower))[0]
    assert isinstance(made, RecommendationMade) and made.responsible_clinician.registration == "71A2998E"


def test_an_actor_whose_registration_is_in_other_digits_is_refused() -> None:
    with pytest.raises(InvalidIdentifier) as refused:
        Scenario().registered().when(recommendation(actor=replace(NURSE, registration="٧١A2998E")))
    assert refused.value.field == "registration"


def test_stored_identifiers_outside_their_canonical_form_are_named_by_field_not_value() -> None:
    payload = {
        "nhs_number": VALID_NHS_NUMBER.translate(FULLWIDTH),
        "postcode": "ng1 1aa",
        "recorded_by": {"role": "gp", "organisation": "K81003", "registration": "2345678"},
        "responsible_clinician": {"role": "nurse", "registration": "7１A2998E", "name": "N"},
        "participants": [{"name": "Ann", "role": "daughter"}],
    }
    found = dict(noncanonical_identifiers(payload))
    assert set(found) == {"nhs_number", "postcode", "responsible_clinician.registration"}
    assert all(VALID_NHS_NUMBER.translate(FULLWIDTH) not in problem for problem in found.values())
    assert list(noncanonical_identifiers({"nhs_number": VALID_NHS_NUMBER, "postcode": "NG1 1AA"})) == []
