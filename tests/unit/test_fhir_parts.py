"""What only a kind of form holds, written as typed FHIR extensions and read back whole."""

from __future__ import annotations

import pytest

from carerecord_events.codec import encode
from carerecord_events.plans import LocalField, LocalFormSource, RespectSections
from carerecord_projections.fhir_parts import PartUnreadable, part_extensions, read_part
from tests.form_builders import dnacpr_form, escalation_plan, respect_sections


@pytest.mark.parametrize(
    "part",
    [
        respect_sections(),
        respect_sections(legal_welfare_proxy=False, has_capacity_to_take_part=None, what_matters_scale=0),
        escalation_plan(),
        dnacpr_form(),
        LocalFormSource(
            form="nuh-tep", title="NUH TEP", kept=(LocalField(label="Ward", value="Ward 12, (A)"),)
        ),
    ],
)
def test_each_part_of_a_form_is_read_back_from_its_extensions_as_it_was(part: object) -> None:
    extensions = part_extensions(type(part), encode(part))
    assert all("extension" in e or any(k.startswith("value") for k in e) for e in extensions)
    assert read_part(type(part), extensions, "CarePlan.extension") == part


def test_a_scale_sent_as_text_is_refused_naming_the_element() -> None:
    with pytest.raises(PartUnreadable) as refused:
        read_part(RespectSections, [{"url": "whatMattersScale", "valueString": "8"}], "X")
    assert refused.value.where == "X.extension('whatMattersScale')"
