"""The event catalogue is the public contract: stable names, versions, readable labels, fixtures that load."""

import json
from pathlib import Path

import pytest

from carerecord_events.catalogue import all_event_types
from carerecord_events.codec import UnknownEventType, from_payload, to_payload
from carerecord_events.people import PersonRegistered

FIXTURES = Path(__file__).resolve().parents[2] / "events" / "carerecord_events" / "fixtures"


def _fixture(name: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((FIXTURES / name).read_text())
    return loaded


@pytest.mark.parametrize("cls", all_event_types(), ids=lambda cls: cls.TYPE)
def test_every_event_type_is_readable_by_a_clinician(cls: type) -> None:
    assert cls.TYPE[0].isupper() and "." not in cls.TYPE, "a stable name, not a Python path"
    assert cls.LABEL and cls.EASY_READ
    assert cls.EASY_READ.endswith(".")


@pytest.mark.parametrize("cls", all_event_types(), ids=lambda cls: cls.TYPE)
def test_every_current_version_has_a_committed_fixture_that_loads_and_reencodes_identically(
    cls: type,
) -> None:
    fixture = _fixture(f"{cls.TYPE}.v{cls.VERSION}.json")
    payload = fixture["payload"]
    assert isinstance(payload, dict)
    event = from_payload(cls.TYPE, cls.VERSION, payload)
    assert type(event) is cls
    assert to_payload(event) == payload


def test_a_version_1_person_registered_still_loads_after_the_version_2_change() -> None:
    fixture = _fixture("PersonRegistered.v1.json")
    payload = fixture["payload"]
    assert isinstance(payload, dict) and "name" in payload
    event = from_payload("PersonRegistered", 1, payload)
    assert isinstance(event, PersonRegistered)
    assert (event.given_name, event.family_name) == ("Margaret Rose", "Hale")
    assert event.communication_needs == ()


def test_an_unknown_type_or_a_newer_version_is_refused_loudly() -> None:
    with pytest.raises(UnknownEventType):
        from_payload("PlanUpdated", 1, {})
    with pytest.raises(UnknownEventType):
        from_payload("PlanRevoked", 99, {})


def test_the_checked_in_json_schemas_match_the_catalogue() -> None:
    from carerecord_events.jsonschema import SCHEMA_FOLDER, render_all

    for name, text in render_all().items():
        path = SCHEMA_FOLDER / name
        assert path.exists(), f"{name} missing: run `carerecord schemas`"
        assert path.read_text() == text, f"{name} is out of date: run `carerecord schemas`"


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("*.json")), ids=lambda path: path.stem)
def test_every_fixture_validates_against_its_json_schema(fixture: Path) -> None:
    import jsonschema

    from carerecord_events.jsonschema import SCHEMA_FOLDER

    document = json.loads(fixture.read_text())
    schema = json.loads(
        (SCHEMA_FOLDER / f"{document['type']}.v{document['version']}.schema.json").read_text()
    )
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(
        document["payload"]
    )


def test_a_version_1_recommendation_keeps_its_priority_scale_as_the_persons_place_on_respect_section_3() -> (
    None
):
    from carerecord_events.plans import RecommendationMade

    payload = dict(_fixture("RecommendationMade.v1.json")["payload"])  # type: ignore[call-overload]
    assert "priority_scale" in payload and "form_version" not in payload
    unscaled = from_payload("RecommendationMade", 1, payload)
    assert isinstance(unscaled, RecommendationMade)
    assert unscaled.respect is None and unscaled.form_version == ""  # not recorded, never guessed
    scaled = from_payload("RecommendationMade", 1, payload | {"priority_scale": 7})
    assert isinstance(scaled, RecommendationMade) and scaled.respect is not None
    assert scaled.respect.what_matters_scale == 7
    assert scaled.respect.clinical_focus_scale is None  # section 4's scale was never asked for
    assert (scaled.reasoning, scaled.cpr) == (unscaled.reasoning, unscaled.cpr)


def test_a_stored_decision_on_the_combined_refusal_reason_still_reads_as_it_was_made() -> None:
    from carerecord_events.plain import REASON_NAMES
    from carerecord_events.plans import RecommendationMade
    from carerecord_events.vocabulary import ReasonCategory

    payload = dict(_fixture("RecommendationMade.v1.json")["payload"])  # type: ignore[call-overload]
    event = from_payload(
        "RecommendationMade", 1, payload | {"reason_category": "person-declines-or-valid-adrt"}
    )
    assert isinstance(event, RecommendationMade)
    assert event.reason_category is ReasonCategory.PERSON_DECLINES
    assert REASON_NAMES[event.reason_category] == (
        "the person declines CPR, or has a valid advance decision refusing it"
    )
