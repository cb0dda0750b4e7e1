"""Identifiers the record checks, and the one canonical form of each: NHS numbers, ODS codes, professional
registration numbers (GMC, NMC, HCPC) and postcodes.

Only ASCII letters and digits are accepted. Python's `str.isdigit()`, `int()`, `\\d` and `str.upper()` accept or
produce characters of every script ('９' fullwidth, '٩' Arabic-Indic, '९' Devanagari are digits to them; 'ı'
upper-cases to 'I'), so a number written in another script's digits would pass a check yet never equal the same
number in ASCII: a second record for a person already registered, and a record no one finds. Every pattern here
therefore names its characters explicitly ([0-9], [A-Z]) and nothing is upper-cased before it is known to be
ASCII. Every door (GraphQL, the portal, the FHIR route, the CLI imports) calls these functions, and
`noncanonical_identifiers` lets `carerecord verify` find any stored identifier outside its canonical form.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from carerecord_events.roles import ROLES, Register, Role
from carerecord_services.errors import InvalidIdentifier

_REGISTRATION_FORMATS: dict[Register, re.Pattern[str]] = {
    # GMC: 7 digits (UK Core also notes an "L" + 6 digit form, and consultant codes C + 7 digits)
    Register.GMC: re.compile(r"(?:[0-9]{7}|L[0-9]{6}|C[0-9]{7})"),
    # NMC PIN: NNANNNNA, e.g. 71A2998E
    Register.NMC: re.compile(r"[0-9]{2}[A-Z][0-9]{4}[A-Z]"),
    # HCPC: two-letter profession prefix and up to 6 digits, e.g. PA123456
    Register.HCPC: re.compile(r"[A-Z]{2}[0-9]{1,6}"),
}
_ODS_CODE = re.compile(r"[A-Z0-9]{3,9}")
_NHS_NUMBER_WRITTEN = re.compile(r"[0-9 -]+")  # ASCII digits; ASCII spaces and hyphens between groups
# UK postcodes: outward code (area, district) and inward code (sector, unit); GIR 0AA is the one exception.
_POSTCODE = re.compile(r"(?:[A-Z]{1,2}[0-9][A-Z0-9]?|GIR) ?[0-9][A-Z]{2}")
_ASCII_PRINTABLE = re.compile(r"[ -~]*")


def _ascii(value: str) -> bool:
    return _ASCII_PRINTABLE.fullmatch(value) is not None


# -- NHS numbers -------------------------------------------------------------------------------------------------


def canonical_nhs_number(value: str, *, field: str = "nhs_number") -> str:
    """Ten ASCII digits whose tenth is the modulus 11 check digit of the first nine; written with or without
    the spaces (or hyphens) of the 3-3-4 display form. Raises InvalidIdentifier naming `field` otherwise."""
    if _NHS_NUMBER_WRITTEN.fullmatch(value) is None:
        raise InvalidIdentifier(
            f"{field}: an NHS number is written with the digits 0-9 only (spaces between groups are allowed)",
            field=field,
        )
    digits = value.replace(" ", "").replace("-", "")
    if len(digits) != 10 or not _check_digit_matches(digits):
        raise InvalidIdentifier(
            f"{field}: this is not a valid NHS number (ten digits 0-9; the last is a modulus 11 check digit)",
            field=field,
        )
    return digits


def _check_digit_matches(digits: str) -> bool:
    total = sum(
        (ord(digit) - 48) * weight for digit, weight in zip(digits[:9], range(10, 1, -1), strict=True)
    )
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == ord(digits[9]) - 48


def normalise_nhs_number(value: str) -> str:
    """The canonical form of an NHS number a caller gave (see `canonical_nhs_number`); raises if it is not one."""
    return canonical_nhs_number(value)


def nhs_number_is_valid(value: str) -> bool:
    try:
        canonical_nhs_number(value)
    except InvalidIdentifier:
        return False
    return True


def format_nhs_number(value: str) -> str:
    digits = canonical_nhs_number(value)
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


# -- ODS codes ---------------------------------------------------------------------------------------------------


def canonical_ods_code(value: str, *, field: str = "organisation") -> str:
    """Organisation Data Service codes: 3 to 9 ASCII letters and digits, held in capitals (trust RXF, site RXF05,
    GP K81003). Lower-case ASCII letters are accepted and capitalised; anything else is refused."""
    written = value.strip()
    if not _ascii(written) or _ODS_CODE.fullmatch(written.upper()) is None:
        raise InvalidIdentifier(
            f"{field}: {value!r} is not an ODS organisation code (3 to 9 letters A-Z and digits 0-9)",
            field=field,
        )
    return written.upper()


def ods_code_is_valid(value: str) -> bool:
    """Whether `value` is an ODS code in its canonical form already (capitals and digits, nothing around it)."""
    return _ODS_CODE.fullmatch(value) is not None


# -- professional registration numbers ---------------------------------------------------------------------------


def canonical_registration(register: Register, value: str, *, field: str = "registration") -> str:
    written = value.strip()
    if not _ascii(written) or _REGISTRATION_FORMATS[register].fullmatch(written.upper()) is None:
        raise InvalidIdentifier(
            f"{field}: {value!r} is not a {register.value.upper()} registration number "
            "(letters A-Z and digits 0-9 only)",
            field=field,
        )
    return written.upper()


def registration_is_valid(register: Register, value: str) -> bool:
    try:
        canonical_registration(register, value)
    except InvalidIdentifier:
        return False
    return True


# -- postcodes ---------------------------------------------------------------------------------------------------


def canonical_postcode(value: str, *, field: str = "postcode") -> str:
    """A UK postcode in capitals with one space before the inward code ("NG1 1AA"); ASCII only."""
    written = value.strip()
    squeezed = written.replace(" ", "").upper()
    if not _ascii(written) or _POSTCODE.fullmatch(squeezed) is None:
        raise InvalidIdentifier(
            f"{field}: {value!r} is not a UK postcode (letters A-Z and digits 0-9, like NG1 1AA)", field=field
        )
    return f"{squeezed[:-3]} {squeezed[-3:]}"


# -- what is stored ----------------------------------------------------------------------------------------------


def noncanonical_identifiers(payload: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(dotted path, problem) for every identifier in a stored event's payload that is not in its canonical
    form: NHS numbers, ODS codes (`organisation`), postcodes, and the registration number of every actor or
    clinician (checked against the register of the role beside it)."""
    if isinstance(payload, list):
        for index, item in enumerate(payload):
            yield from noncanonical_identifiers(item, f"{path}[{index}]")
        return
    if not isinstance(payload, dict):
        return
    for key, value in payload.items():
        where = f"{path}.{key}".lstrip(".")
        if isinstance(value, dict | list):
            yield from noncanonical_identifiers(value, where)
            continue
        problem = _identifier_problem(key, value, payload)
        if problem:
            yield where, problem


_CANONICAL_FORMS = {
    "nhs_number": "an NHS number: ten digits 0-9 with a valid check digit, no spaces",
    "organisation": "an ODS code: 3 to 9 capitals A-Z and digits 0-9",
    "postcode": "a UK postcode: capitals A-Z and digits 0-9, one space before the inward code",
    "registration": "a registration number of the role's register: capitals A-Z and digits 0-9",
}


def _identifier_problem(key: str, value: Any, beside: dict[str, Any]) -> str:
    """The problem in words that never repeat the stored value (verify's report must not carry personal data)."""
    if value is None or not isinstance(value, str) or key not in _CANONICAL_FORMS:
        return ""
    try:
        canonical = _canonical_for(key, value, beside)
    except InvalidIdentifier:
        canonical = ""
    if canonical is None or canonical == value:
        return ""
    return f"not in the canonical form of {_CANONICAL_FORMS[key]}"


def _canonical_for(key: str, value: str, beside: dict[str, Any]) -> str | None:
    if key == "nhs_number":
        return canonical_nhs_number(value)
    if key == "organisation":
        return canonical_ods_code(value)
    if key == "postcode":
        return canonical_postcode(value)
    if key == "registration":
        register = _register_of(beside.get("role"))
        return canonical_registration(register, value) if register is not None else None
    return None


def _register_of(role: Any) -> Register | None:
    try:
        return ROLES[Role(role)].register
    except ValueError:
        return None
