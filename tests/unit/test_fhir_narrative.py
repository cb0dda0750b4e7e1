"""The generated narrative of each FHIR resource: what its elements say, escaped, in FHIR's XHTML."""

from __future__ import annotations

from carerecord_projections.fhir_narrative import with_narrative


def test_free_text_in_a_narrative_is_escaped_never_markup() -> None:
    plan = {
        "resourceType": "CarePlan",
        "id": "p1",
        "status": "active",
        "title": "ReSPECT plan",
        "description": "<script>alert(1)</script> & more",
        "note": [{"text": "What matters to the person: <b>home</b>"}],
    }
    div = with_narrative(plan)["text"]["div"]
    assert "<script>" not in div and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in div
    assert "<li>What matters to the person: &lt;b&gt;home&lt;/b&gt;</li>" in div
    assert div.startswith('<div xmlns="http://www.w3.org/1999/xhtml"><p><b>ReSPECT plan</b></p>')


def test_the_narrative_follows_id_and_meta_and_leaves_the_rest_as_it_was() -> None:
    patient = {
        "resourceType": "Patient",
        "id": "9434765919",
        "meta": {"versionId": "3"},
        "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9434765919"}],
        "name": [
            {"use": "official", "family": "Hale", "given": ["Margaret"]},
            {"use": "usual", "given": ["Peggy"]},
        ],
        "birthDate": "1938-04-02",
        "generalPractitioner": [{"reference": "urn:uuid:x", "display": "Meadow Lane Surgery"}],
    }
    narrated = with_narrative(patient)
    assert list(narrated)[:4] == ["resourceType", "id", "meta", "text"]
    assert {k: v for k, v in narrated.items() if k != "text"} == patient
    assert narrated["text"]["div"] == (
        '<div xmlns="http://www.w3.org/1999/xhtml"><p><b>Margaret Hale (known as Peggy)</b></p>'
        "<p>NHS number 9434765919. Born 1938-04-02. GP practice: Meadow Lane Surgery.</p></div>"
    )
