"""Recording from the portal, in Debian's chromium through Playwright: a nurse records a conversation (meeting a
refusal beside its field and correcting it) and that the decision was explained; a stale form shows what changed;
a form submitted twice records once; a forged form is refused; a GP revokes and a senior endorses; care home
staff raise a concern with the keyboard alone. Screenshots go to artifacts/screenshots/ (recording-*.png);
axe-core checks every page and form."""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.sync_api import Page

from tests.builders import PERSONAL_REASONING
from tests.conftest import wait_until
from tests.e2e.test_api_end_to_end import CARE_HOME, GP, START, registered_with_gp
from tests.e2e.test_portal_pages import (  # noqa: F401 (fixtures)
    CONVERSATION,
    DOCTOR,
    a_plan_made_by_a_junior_doctor_long_ago,
    accessible,
    browser,
    changed,
    page,
    server,
    sign_in,
)
from tests.e2e.test_portal_paramedic import a_plan
from tests.support.api_server import ApiServer

NURSE = {
    "sub": "n-okafor",
    "role": "nurse",
    "org": "K81003",
    "registration": "71A2998E",
    "name": "Nurse Okafor",
}
CARE_HOME_ADMIN = {"sub": "ch-admin", "role": "administrator", "org": "VLAXL"}
TIMELINE = "query($id: UUID!) { record(recordId: $id) { version timeline(first: 100) { edges { node { eventType summary } } } } }"


def entries(server: ApiServer, record_id: str, event_type: str) -> list[str]:  # noqa: F811
    """The timeline's entries of one type, as the GP's practice reads them through the API."""
    record = server.graphql(server.token(**GP), TIMELINE, id=record_id)["data"]["record"]
    edges = record["timeline"]["edges"]
    return [edge["node"]["summary"] for edge in edges if edge["node"]["eventType"] == event_type]


def version(server: ApiServer, record_id: str) -> int:  # noqa: F811
    found: int = server.graphql(server.token(**GP), TIMELINE, id=record_id)["data"]["record"]["version"]
    return found


def caught_up(server: ApiServer, record_id: str, at_least: int) -> None:  # noqa: F811
    """The read models (which the page shows, and whose version a form is opened at) have reached a version."""
    wait_until(lambda: version(server, record_id) >= at_least, failure=f"version {at_least} not reached")


def test_a_nurse_records_a_conversation_meeting_a_refusal_beside_its_field_then_who_was_told(
    server: ApiServer,  # noqa: F811
    page: Page,  # noqa: F811
) -> None:
    record_id = a_plan(server, "DO_NOT_ATTEMPT_CPR")
    caught_up(server, record_id, 3)
    sign_in(page, server, NURSE)
    page.goto(f"{server.url}/portal/people/{record_id}")
    recording = page.get_by_role("navigation", name="Record for Margaret Hale")
    assert "Revoke a plan" in recording.inner_text()
    assert "Endorse" not in recording.inner_text()  # a nurse is not a senior responsible clinician
    accessible(page, "recording-person-nurse")

    recording.get_by_role("link", name="Record a conversation about care and treatment").click()
    accessible(page, "recording-conversation-form")
    page.get_by_label("Person 1: name").fill("Margaret Hale")
    page.get_by_label("Person 1: role or relationship").fill("the person")
    page.get_by_label("Person 2: name").fill("Ann Hale")
    page.get_by_label("Person 2: role or relationship").fill("daughter")
    page.get_by_role("group", name="Did the person take part?").get_by_label("Yes").check()
    page.get_by_label("What matters to them (optional)").fill(
        "Being at home with her cat; no more hospital stays."
    )
    page.get_by_label("Information given (optional)").fill(
        "What CPR involves and how unlikely it is to work for her."
    )
    page.get_by_label("How the information was given (optional)").fill(
        "Easy read leaflet about CPR, read together"
    )
    formats = page.get_by_role("group", name="Accessible formats offered (optional)")
    formats.get_by_label("Easy read").check()
    formats.get_by_label("An interpreter").check()
    page.get_by_label("Reasonable adjustments made (optional)").fill("a longer appointment\na quiet room")
    with page.expect_response(lambda r: r.request.method == "POST") as answered:
        page.get_by_role("button", name="Record the conversation").click()
    assert answered.value.status == 400
    beside = page.locator("#interpreter_language-error").inner_text()
    assert "say which language the interpreter offered speaks" in beside.lower()
    assert "Accessible Information Standard" in beside and "Enter the language" in beside
    assert page.get_by_label("Person 2: name").input_value() == "Ann Hale"  # nothing typed is lost
    accessible(page, "recording-conversation-refused")
    assert entries(server, record_id, "ConversationRecorded") == []

    page.get_by_label("Language of the interpreter (optional)").fill("Polish")
    page.get_by_role("button", name="Record the conversation").click()
    assert re.search(r"/portal/people/[0-9a-f-]+\?recorded=conversation", page.url)
    assert "The conversation was recorded." in page.get_by_role("status").inner_text()
    caught_up(server, record_id, 4)
    assert len(entries(server, record_id, "ConversationRecorded")) == 1

    page.goto(f"{server.url}/portal/people/{record_id}")
    page.get_by_role("link", name="Record that the decision was explained, and to whom").click()
    assert page.get_by_role("group", name="Which plan is this about?").get_by_role("radio").is_checked()
    page.get_by_label("Person 1: name").fill("Ann Hale")
    page.get_by_label("Person 1: role or relationship").fill("daughter")
    page.get_by_label("How they were told (optional)").fill("face to face at home")
    accessible(page, "recording-communication-form")
    page.get_by_role("button", name="Record who was told").click()
    assert "Who was told of the decision was recorded." in page.get_by_role("status").inner_text()
    caught_up(server, record_id, 5)
    assert len(entries(server, record_id, "DecisionCommunicated")) == 1
    page.goto(f"{server.url}/portal/people/{record_id}")
    assert "The decision was explained to: Ann Hale (daughter)." in page.locator("main").inner_text()


def test_a_stale_form_says_someone_changed_the_plan_and_shows_what_changed(
    server: ApiServer,  # noqa: F811
    page: Page,  # noqa: F811
) -> None:
    record_id = a_plan(server, "DO_NOT_ATTEMPT_CPR")
    caught_up(server, record_id, 3)
    sign_in(page, server, NURSE)
    page.goto(f"{server.url}/portal/people/{record_id}/record/communication")
    page.get_by_label("Person 1: name").fill("Ann Hale")
    page.get_by_label("Person 1: role or relationship").fill("daughter")
    # meanwhile the GP records a conversation through the API
    changed(
        server.graphql(
            server.token(**GP),
            CONVERSATION,
            id=record_id,
            input={
                "participants": [{"name": "Margaret Hale", "role": "the person"}],
                "personTookPart": True,
                "whatMatters": "She would now like her daughter to be told first.",
            },
        ),
        "recordConversation",
    )
    with page.expect_response(lambda r: r.request.method == "POST") as answered:
        page.get_by_role("button", name="Record who was told").click()
    assert answered.value.status == 409
    stale = page.get_by_role("alert").filter(
        has_text="Someone changed this record since you opened this form"
    )
    words = stale.inner_text()
    assert "You opened it at version 3 of the record; it is now at version 4" in words
    assert (
        "Conversation about care and treatment recorded" in words
        and "general practitioner, Meadow Lane Surgery" in words
    )
    assert page.get_by_label("Person 1: name").input_value() == "Ann Hale"
    accessible(page, "recording-stale-form")
    assert entries(server, record_id, "DecisionCommunicated") == []

    page.get_by_role("button", name="Record who was told").click()  # now at version 4, having seen it
    assert "Who was told of the decision was recorded." in page.get_by_role("status").inner_text()
    caught_up(server, record_id, 5)
    assert len(entries(server, record_id, "DecisionCommunicated")) == 1


def _signed_in(server: ApiServer, claims: dict[str, Any]) -> httpx.Client:  # noqa: F811
    client = httpx.Client(base_url=server.url, follow_redirects=False, timeout=30)
    csrf = _field(client.get("/portal/sign-in").text, "csrf_token")
    assert (
        client.post("/portal/sign-in", data={"token": server.token(**claims), "csrf_token": csrf}).status_code
        == 303
    )
    return client


def _field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, name
    return found.group(1)


def test_a_form_submitted_twice_records_once_and_a_forged_one_is_refused(server: ApiServer) -> None:  # noqa: F811
    record_id = a_plan(server, None)
    caught_up(server, record_id, 2)
    client = _signed_in(server, NURSE)
    try:
        opened = client.get(f"/portal/people/{record_id}/record/concern").text
        answers = {
            "csrf_token": _field(opened, "csrf_token"),
            "form_id": _field(opened, "form_id"),
            "expected_version": _field(opened, "expected_version"),
            "raised_by": "staff",
            "summary": "No plan is recorded though the family says one was made in hospital.",
        }
        path = f"/portal/people/{record_id}/record/concern"
        forged = client.post(path, data={**answers, "csrf_token": "not-this-session's"})
        assert forged.status_code == 403
        assert "did not come from this session" in forged.text
        first, second = client.post(path, data=answers), client.post(path, data=answers)
        assert (first.status_code, second.status_code) == (303, 303)
        other = client.post(path, data={**answers, "summary": "Another concern, same form."})
        assert other.status_code == 400  # the same form id for other answers: refused, nothing recorded
    finally:
        client.close()
    caught_up(server, record_id, 3)
    assert len(entries(server, record_id, "ConcernRaised")) == 1
    assert version(server, record_id) == 3


def test_a_gp_revokes_meeting_a_refusal_and_a_senior_endorses_a_juniors_plan(
    server: ApiServer,  # noqa: F811
    page: Page,  # noqa: F811
) -> None:
    record_id = a_plan_made_by_a_junior_doctor_long_ago(server)
    caught_up(server, record_id, 5)
    # the plan's own author, not a senior: no link to endorse it, and refused if asked
    sign_in(page, server, DOCTOR)
    page.goto(f"{server.url}/portal/people/{record_id}")
    assert page.get_by_role("link", name="Endorse a plan as the senior responsible clinician").count() == 0
    assert page.goto(f"{server.url}/portal/people/{record_id}/record/endorse").status == 403  # type: ignore[union-attr]
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, server, GP)
    page.goto(f"{server.url}/portal/people/{record_id}")
    page.get_by_role("link", name="Endorse a plan as the senior responsible clinician").click()
    accessible(page, "recording-endorse-form")
    page.get_by_role("button", name="Endorse the plan").click()
    assert "The record must say who endorsed the plan" in page.locator("#endorser_name-error").inner_text()
    page.get_by_label("Your name").fill("Dr Grey")
    page.get_by_role("button", name="Endorse the plan").click()
    assert "The plan was endorsed." in page.get_by_role("status").inner_text()
    caught_up(server, record_id, 6)
    assert len(entries(server, record_id, "SeniorEndorsementGiven")) == 1

    page.get_by_role("link", name="Revoke a plan").click()
    page.get_by_role("group", name="Who asked for it").get_by_label("The person asked for it").check()
    page.get_by_role("button", name="Revoke the plan").click()
    assert (
        "The record must say why: why a recommendation stopped applying"
        in page.locator("#reason-error").inner_text()
    )
    accessible(page, "recording-revoke-refused")
    page.get_by_label("Why it is revoked").fill(
        "She has asked for CPR to be attempted after talking it through."
    )
    page.get_by_role("button", name="Revoke the plan").click()
    assert "The plan was revoked." in page.get_by_role("status").inner_text()
    caught_up(server, record_id, 7)
    assert len(entries(server, record_id, "PlanRevoked")) == 1


def tab_to(
    page: Page,  # noqa: F811
    name: str,
    limit: int = 80,
) -> None:
    """Presses Tab until the element whose accessible text (or label) contains `name` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => { const e = document.activeElement; if (!e) return '';
                 const label = e.id ? document.querySelector(`label[for="${e.id}"]`) : null;
                 return (label ? label.innerText : '') + ' ' + (e.innerText || e.value || ''); }"""
        )
        if name in focused:
            return
    raise AssertionError(f"{name!r} was never reached with the Tab key")


def test_care_home_staff_raise_a_concern_with_the_keyboard_alone(server: ApiServer, page: Page) -> None:  # noqa: F811
    record_id = a_plan(server, "DO_NOT_ATTEMPT_CPR")
    started = server.graphql(
        server.token(**CARE_HOME_ADMIN),
        START,
        id=record_id,
        input={"organisation": "VLAXL", "setting": "CARE_HOME", "basis": "RESIDENT_OF_CARE_HOME"},
    )
    changed(started, "startCareRelationship")
    caught_up(server, record_id, 4)
    sign_in(page, server, CARE_HOME)
    page.goto(f"{server.url}/portal/people/{record_id}")
    links = page.get_by_role("navigation", name="Record for Margaret Hale").inner_text()
    assert "Record a conversation" in links and "Raise a concern" in links
    assert "Revoke" not in links and "Review" not in links  # care home staff may not

    tab_to(page, "Raise a concern about the record or a plan")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/record/concern$"))
    tab_to(page, "Staff")
    page.keyboard.press("Space")
    tab_to(page, "What the concern is")
    page.keyboard.type(
        "Her daughter says the plan was not discussed with her; she would like to talk to the GP."
    )
    tab_to(page, "Raise the concern")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"recorded=concern"))
    assert "The concern was raised" in page.get_by_role("status").inner_text()
    accessible(page, "recording-concern-keyboard-done")
    caught_up(server, record_id, 5)
    assert len(entries(server, record_id, "ConcernRaised")) == 1


def test_a_conversation_recorded_from_the_portal_is_the_apis_own(server: ApiServer, page: Page) -> None:  # noqa: F811
    """The same use case: what the API's recordConversation refuses, the portal's form refuses with the rule's
    words (a record without anyone who took part)."""
    record_id = a_plan(server, None)
    refused = server.graphql(
        server.token(**NURSE),
        CONVERSATION,
        id=record_id,
        input={"participants": [], "personTookPart": True},
    )
    api_says = refused["data"]["recordConversation"]
    caught_up(server, record_id, 2)
    sign_in(page, server, NURSE)
    page.goto(f"{server.url}/portal/people/{record_id}/record/conversation")
    page.get_by_role("group", name="Did the person take part?").get_by_label("Yes").check()
    page.get_by_role("button", name="Record the conversation").click()
    assert api_says["field"] == "participants"
    assert api_says["message"] in page.locator("#participants-error").inner_text().lower()
    accessible(page, "recording-conversation-no-participants")


def test_a_gp_makes_a_recommendation_on_a_dnacpr_form_meeting_a_refusal_and_correcting_it(
    server: ApiServer,  # noqa: F811
    page: Page,  # noqa: F811
) -> None:
    _, record_id = registered_with_gp(server)
    caught_up(server, record_id, 2)
    sign_in(page, server, GP)
    page.goto(f"{server.url}/portal/people/{record_id}")
    page.get_by_role("link", name="Make a recommendation on a DNACPR form (do not attempt CPR)").click()
    assert page.get_by_label("Responsible clinician: name").input_value() == "Dr Grey"  # themselves, to start
    assert page.get_by_label("Responsible clinician: registration number").input_value() == "2345678"
    accessible(page, "recording-dnacpr-form")
    page.get_by_role("group", name="Why CPR is not to be attempted").get_by_label(
        "CPR would not work"
    ).check()
    page.get_by_label("The clinical reasons for this person").fill("Frail elderly care home resident.")
    involved = page.get_by_role("group", name="How the person was involved")
    involved.get_by_label("They have capacity for this decision and were involved").check()
    took_part = page.get_by_role("group", name="Did the person take part in the decision?")
    took_part.get_by_label("Yes").check()
    page.get_by_label("What was discussed with the person (optional)").fill(
        "What CPR involves, and that it would not restart her heart; she agreed."
    )
    page.get_by_role("group", name="Where the recommendation is made").get_by_label("GP practice").check()
    page.get_by_label("Review due (optional)").fill("2027-06-01")
    page.get_by_role("button", name="Make the recommendation").click()
    beside = page.locator('[id="reasoning-error"]').inner_text()
    assert "not a group they belong to" in beside and "Equality Act 2010" in beside, beside
    assert page.get_by_label("Review due (optional)").input_value() == "2027-06-01"
    accessible(page, "recording-dnacpr-refused")
    assert entries(server, record_id, "RecommendationMade") == []

    page.get_by_label("The clinical reasons for this person").fill(PERSONAL_REASONING)
    page.get_by_role("button", name="Make the recommendation").click()
    assert "The recommendation was recorded." in page.get_by_role("status").inner_text()
    caught_up(server, record_id, 3)
    assert len(entries(server, record_id, "RecommendationMade")) == 1
    page.goto(f"{server.url}/portal/people/{record_id}")
    assert "DO NOT ATTEMPT CPR" in page.locator(".banner").inner_text()


def test_a_nurse_makes_a_treatment_escalation_plan_its_limits_refused_then_named(
    server: ApiServer,  # noqa: F811
    page: Page,  # noqa: F811
) -> None:
    _, record_id = registered_with_gp(server)
    caught_up(server, record_id, 2)
    sign_in(page, server, NURSE)
    page.goto(f"{server.url}/portal/people/{record_id}")
    page.get_by_role(
        "link", name="Make a treatment escalation plan (how far treatment goes, and CPR)"
    ).click()
    level = page.get_by_role("group", name="How far treatment is to be escalated")
    level.get_by_label("Ward-based care, with the limits named").check()
    page.get_by_label("Goals of treatment").fill("Treat infections on the ward; keep her comfortable.")
    page.get_by_role("group", name="CPR", exact=True).get_by_label("Do not attempt CPR").check()
    page.get_by_role("group", name="Why").get_by_label("CPR would not succeed").check()
    page.get_by_label("The clinical reasons for this person").fill(PERSONAL_REASONING)
    page.get_by_role("group", name="How the person was involved").get_by_label(
        "They have capacity for this decision and were involved"
    ).check()
    page.get_by_role("group", name="Did the person take part in the decision?").get_by_label("Yes").check()
    page.get_by_role("group", name="Where the recommendation is made").get_by_label("GP practice").check()
    page.get_by_label("Review due (optional)").fill("2027-06-01")
    page.get_by_role("button", name="Make the plan").click()
    beside = page.locator('[id="escalation.limits-error"]').inner_text()
    assert (
        "say which treatments are not to be started" in beside
        and "ward-based care names at least one" in beside
    )
    accessible(page, "recording-escalation-refused")
    limits = page.get_by_role("group", name="Treatments not to be started (optional)")
    limits.get_by_label("Intensive care").check()
    limits.get_by_label("Intubation and mechanical ventilation").check()
    page.get_by_role("button", name="Make the plan").click()
    assert "The treatment escalation plan was recorded." in page.get_by_role("status").inner_text()
    caught_up(server, record_id, 3)
    made = entries(server, record_id, "RecommendationMade")
    assert len(made) == 1 and "treatment escalation plan" in made[0].lower()


def test_a_gp_completes_a_respect_plan_section_by_section_meeting_a_refusal_and_correcting_it(
    server: ApiServer,  # noqa: F811
    page: Page,  # noqa: F811
) -> None:
    _, record_id = registered_with_gp(server)
    caught_up(server, record_id, 2)
    sign_in(page, server, GP)
    page.goto(f"{server.url}/portal/people/{record_id}")
    page.get_by_role("link", name="Make a ReSPECT plan").click()
    headings = page.locator("form h2").all_inner_texts()
    assert [heading.split(".")[0] for heading in headings] == [str(n) for n in range(1, 10)], headings
    page.get_by_label("Summary of relevant information for this plan").fill(
        "Metastatic pancreatic cancer with liver involvement; lives alone with her cat."
    )
    page.get_by_label("Where their lasting power of attorney is kept").fill("with her daughter, Ann Hale")
    page.get_by_role("group", name="Do they have a legal welfare proxy").get_by_label("Yes").check()
    page.get_by_role("group", name="Where they place themselves").get_by_label("8", exact=True).check()
    page.get_by_label("What they most value").fill("being at home with her cat")
    page.get_by_label("What they most fear or wish to avoid").fill("dying in hospital attached to machines")
    page.get_by_role("group", name="The clinical focus").get_by_label("9", exact=True).check()
    page.get_by_label("Other treatments 1: treatment").fill("antibiotics for infection")
    page.get_by_label("Other treatments 1: recommended, not-recommended or not-wanted").fill("recommended")
    page.get_by_role("group", name="CPR", exact=True).get_by_label("CPR attempts not recommended").check()
    page.get_by_role("group", name="Why", exact=True).get_by_label("CPR would not succeed").check()
    page.get_by_label("The clinical reasons for this person").fill(PERSONAL_REASONING)
    capacity = page.get_by_role("group", name="Do they have capacity to take part in making this plan?")
    capacity.get_by_label("No", exact=True).check()
    page.get_by_role("group", name="How the person was involved").get_by_label(
        "They have capacity for this decision and were involved"
    ).check()
    page.get_by_role("group", name="Did the person take part in the decision?").get_by_label("Yes").check()
    page.get_by_label("Your designation (grade and speciality)").fill("General practitioner")
    page.get_by_label("Emergency contacts 1: name").fill("Ann Hale")
    page.get_by_label("Emergency contacts 1: role").fill("daughter, attorney")
    page.get_by_label("Emergency contacts 1: telephone").fill("0115 496 0000")
    page.get_by_role("group", name="Where the plan is made").get_by_label("GP practice").check()
    page.get_by_label("Review due (optional)").fill("2027-06-01")
    accessible(page, "recording-respect-form")
    page.get_by_role("button", name="Make the ReSPECT plan").click()
    beside = page.locator('[id="involvement.route-error"]').inner_text()
    assert "route A is for a person with capacity" in beside, beside
    assert page.get_by_label("Emergency contacts 1: telephone").input_value() == "0115 496 0000"
    accessible(page, "recording-respect-refused")
    assert entries(server, record_id, "RecommendationMade") == []

    capacity.get_by_label("Yes", exact=True).check()  # she has capacity: section 5 and route A agree
    page.get_by_role("button", name="Make the ReSPECT plan").click()
    assert "The ReSPECT plan was recorded." in page.get_by_role("status").inner_text()
    caught_up(server, record_id, 3)
    assert len(entries(server, record_id, "RecommendationMade")) == 1
    page.goto(f"{server.url}/portal/people/{record_id}")
    main = page.locator("main").inner_text()
    assert "DO NOT ATTEMPT CPR" in page.locator(".banner").inner_text()
    assert "dying in hospital attached to machines" in main and "Ann Hale" in main


HOSPITAL_NURSE = {
    "sub": "n-ward",
    "role": "nurse",
    "org": "RXF",
    "registration": "72B3119F",
    "name": "Nurse Ward",
}


def test_a_hospital_nurse_refused_starts_a_care_relationship_with_its_basis_then_ends_it(
    server: ApiServer,  # noqa: F811
    page: Page,  # noqa: F811
) -> None:
    record_id = a_plan(server, "DO_NOT_ATTEMPT_CPR")
    caught_up(server, record_id, 3)
    sign_in(page, server, HOSPITAL_NURSE)
    assert page.goto(f"{server.url}/portal/people/{record_id}").status == 403  # type: ignore[union-attr]
    page.get_by_role("link", name="start a care relationship for your organisation").click()
    assert "Margaret" not in page.locator("main").inner_text()  # nothing of the record before it is allowed
    accessible(page, "recording-care-relationship-form")
    page.get_by_role("group", name="Why your organisation cares for them").get_by_label("Other").check()
    page.get_by_role("group", name="Your setting").get_by_label("Hospital").check()
    page.get_by_role("button", name="Start the care relationship").click()
    assert "say in a few words why" in page.locator("#basis_detail-error").inner_text()
    page.get_by_role("group", name="Why your organisation cares for them").get_by_label("Admitted").check()
    page.get_by_role("button", name="Start the care relationship").click()
    assert "The care relationship was started." in page.get_by_role("status").inner_text()
    assert "DO NOT ATTEMPT CPR" in page.locator(".banner").inner_text()  # now the hospital may read

    page.get_by_role("link", name="End your organisation's care relationship").click()
    page.get_by_label("Why it ends").fill("Discharged home to the care of her GP.")
    page.get_by_role("button", name="End the care relationship").click()
    assert "The care relationship was ended." in page.locator("h1").inner_text()
    # no longer caring, the hospital reads no more (the redirect's page is the refusal)
    assert page.goto(f"{server.url}/portal/people/{record_id}").status == 403  # type: ignore[union-attr]
    started = entries(server, record_id, "CareRelationshipStarted")
    assert len(started) == 2 and any("admitted" in s.lower() for s in started), started


def test_every_recording_form_passes_axe_core(server: ApiServer, page: Page) -> None:  # noqa: F811
    """A GP may open every form (the endorse form too: a doctor in training made the plan)."""
    from carerecord_graphql.portal.record_forms import FORMS

    record_id = a_plan_made_by_a_junior_doctor_long_ago(server)
    caught_up(server, record_id, 5)
    sign_in(page, server, GP)
    for slug, form in FORMS.items():
        opened = page.goto(f"{server.url}/portal/people/{record_id}/record/{slug}")
        assert opened is not None and opened.status == 200, slug
        assert form.title in page.locator("h1").inner_text()
        accessible(page, f"recording-form-{slug}")


def test_a_change_the_role_may_not_make_is_refused_and_recorded(
    server: ApiServer,  # noqa: F811
    test_database_url: str,
    fresh_schema: str,
) -> None:
    import psycopg2

    from tests.conftest import dsn

    record_id = a_plan(server, "DO_NOT_ATTEMPT_CPR")
    changed(
        server.graphql(
            server.token(**CARE_HOME_ADMIN),
            START,
            id=record_id,
            input={"organisation": "VLAXL", "setting": "CARE_HOME", "basis": "RESIDENT_OF_CARE_HOME"},
        ),
        "startCareRelationship",
    )
    caught_up(server, record_id, 4)
    client = _signed_in(server, CARE_HOME)
    try:
        person = client.get(f"/portal/people/{record_id}").text
        assert "/record/revoke" not in person  # no link to a form the role may not use
        refused = client.post(
            f"/portal/people/{record_id}/record/revoke",
            data={
                "csrf_token": _field(person, "csrf_token"),
                "form_id": "f1",
                "expected_version": "4",
                "plan_id": "00000000-0000-0000-0000-000000000001",
                "initiated": "clinical",
                "reason": "Not hers to revoke.",
            },
        )
    finally:
        client.close()
    assert refused.status_code == 403
    assert "may not revoke a recommendation" in refused.text

    def recorded() -> list[tuple[str, str, str]]:
        connection = psycopg2.connect(dsn(test_database_url, fresh_schema))
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT kind, reason, role FROM refused_requests WHERE user_id = %s AND operation = %s",
                    (CARE_HOME["sub"], "portal/record/revoke"),
                )
                return list(cursor.fetchall())
        finally:
            connection.close()

    # the refusal log feeds its table before it returns
    assert recorded() == [("permission", "role-not-permitted", "care-home-staff")]
    assert entries(server, record_id, "PlanRevoked") == []
