"""GraphQL descriptions are read where each concept is defined (described.py): a field's attribute docstring,
inherited from the mixin that declares it, an enum member's docstring before its plain-English label, and a
class's own docstring, never the signature dataclasses write without one."""

from __future__ import annotations

import dataclasses

from carerecord_events.plain import SETTING_NAMES
from carerecord_events.vocabulary import ReasonCategory, Setting
from carerecord_graphql.described import (
    attribute_docstrings,
    class_description,
    enum_value_descriptions,
    field_description,
    sentence,
)
from carerecord_services import commands


@dataclasses.dataclass(frozen=True)
class _Undocumented:
    plain: str
    described: str = dataclasses.field(default="", metadata={"description": "from metadata"})
    documented: str = ""
    """From the attribute docstring."""


def test_a_field_is_described_by_its_metadata_or_its_attribute_docstring_and_otherwise_not_at_all() -> None:
    fields = {field.name: field for field in dataclasses.fields(_Undocumented)}
    assert field_description(_Undocumented, fields["described"]) == "From metadata"
    assert field_description(_Undocumented, fields["documented"]) == "From the attribute docstring."
    assert field_description(_Undocumented, fields["plain"]) is None


def test_a_command_field_declared_by_a_base_class_takes_the_base_class_docstring() -> None:
    inherited = attribute_docstrings(commands.RecordDeath)
    assert inherited["occurred_at"] == attribute_docstrings(commands.Command)["occurred_at"]
    assert inherited["date_of_death"] == "The date the person died"


def test_a_dataclass_without_a_docstring_has_no_description_rather_than_its_signature() -> None:
    assert _Undocumented.__doc__ and _Undocumented.__doc__.startswith("_Undocumented(")
    assert class_description(_Undocumented) is None
    assert class_description(commands.RecordDeath) == sentence(commands.RecordDeath.__doc__)


def test_an_enum_member_is_described_by_its_docstring_before_its_plain_label() -> None:
    reasons = enum_value_descriptions(ReasonCategory)
    assert reasons["PERSON_DECLINES"] == sentence(attribute_docstrings(ReasonCategory)["PERSON_DECLINES"])
    assert reasons["WOULD_NOT_SUCCEED"] == "CPR would not succeed"
    assert enum_value_descriptions(Setting)["GP_PRACTICE"] == sentence(SETTING_NAMES[Setting.GP_PRACTICE])
