"""Identifiers the record checks: NHS numbers, professional registration numbers and ODS codes."""

from __future__ import annotations

import re

from carerecord_events.roles import Register

_REGISTRATION_FORMATS: dict[Register, re.Pattern[str]] = {
    # GMC: 7 digits (UK Core also notes an "L" + 6 digit form, and consultant codes C + 7 digits)
    Register.GMC: re.compile(r"(?:\d{7}|L\d{6}|C\d{7})"),
    # NMC PIN: NNANNNNA, e.g. 71A2998E
    Register.NMC: re.compile(r"\d{2}[A-Z]\d{4}[A-Z]"),
    # HCPC: two-letter profession prefix and up to 6 digits, e.g. PA123456
    Register.HCPC: re.compile(r"[A-Z]{2}\d{1,6}"),
}
_ODS_CODE = re.compile(r"[A-Z0-9]{3,9}")


def normalise_nhs_number(value: str) -> str:
    """Removes the spaces and dashes of the 3-3-4 display form."""
    return re.sub(r"[\s-]", "", value)


def nhs_number_is_valid(value: str) -> bool:
    """Ten digits whose tenth is the modulus 11 check digit of the first nine (11 becomes 0; 10 is invalid)."""
    digits = normalise_nhs_number(value)
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(digit) * weight for digit, weight in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def format_nhs_number(value: str) -> str:
    digits = normalise_nhs_number(value)
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def registration_is_valid(register: Register, value: str) -> bool:
    return _REGISTRATION_FORMATS[register].fullmatch(value.strip().upper()) is not None


def ods_code_is_valid(value: str) -> bool:
    """Organisation Data Service codes: 3 to 9 capital letters and digits (trust RXF, site RXF05, GP K81003)."""
    return _ODS_CODE.fullmatch(value) is not None
