"""The person and their representative in the portal, in Debian's chromium through Playwright: they sign in as
staff do (a bearer token naming their record), land on their own plan in the second person, read it in easy read
(its Flesch reading ease measured with textstat: at least 70), see who has looked by name, role and organisation
name (never a user id), raise a concern and follow it to its resolution. The person cannot open another person's
page: refused, and the refusal recorded. Screenshots go to artifacts/screenshots/ (my-plan-*.png); axe-core checks
every page."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import textstat
from playwright.sync_api import Page

from carerecord_projections.database import transaction
from tests.builders import valid_nhs_numbers
from tests.conftest import dsn
from tests.e2e.test_api_end_to_end import (
    ASSURANCE,
    GP,
    PARAMEDIC,
    RECORD,
    REGISTER,
    RESULT,
    START,
    person_input,
)
from tests.e2e.test_portal_pages import (  # noqa: F401 (fixtures)
    a_plan_made_by_a_junior_doctor_long_ago,
    accessible,
    browser,
    changed,
    page,
    server,
    sign_in,
)
from tests.support.api_server import ApiServer, nodes

REPRESENT = f"mutation($id: UUID!, $input: RecordRepresentativeInput!) {{ recordRepresentative(recordId: $id, input: $input) {{ {RESULT} }} }}"
WITHDRAW = f"mutation($id: UUID!, $input: WithdrawRepresentativeInput!) {{ withdrawRepresentative(recordId: $id, input: $input) {{ {RESULT} }} }}"
RESOLVE = f"mutation($id: UUID!, $input: ResolveConcernInput!) {{ resolveConcern(recordId: $id, input: $input) {{ {RESULT} }} }}"
REPRESENTATIVES = "query($id: UUID!) { record(recordId: $id) { representatives { representativeId name } } }"
EASY_READ_AT_LEAST = 70


def person(record_id: str) -> dict[str, Any]:
    return {
        "sub": "margaret-hale",
        "role": "person",
        "org": "K81003",
        "record": record_id,
        "name": "Margaret Hale",
    }


def margaret_looked_at(server: ApiServer) -> tuple[str, str]:  # noqa: F811
    """Margaret Hale's plan (a DNACPR recommendation awaiting endorsement), her daughter Ann recorded as her
    representative; her GP reads it (named in the token), a paramedic is refused (no name in the token)."""
    record_id = a_plan_made_by_a_junior_doctor_long_ago(server)
    gp = server.token(**GP)
    changed(
        server.graphql(
            gp,
            REPRESENT,
            id=record_id,
            input={"kind": "FAMILY_OR_FRIEND", "name": "Ann Hale", "relationship": "daughter"},
        ),
        "recordRepresentative",
    )
    [ann] = server.graphql(gp, REPRESENTATIVES, id=record_id)["data"]["record"]["representatives"]
    assert server.graphql(server.token(**PARAMEDIC), RECORD, id=record_id).get("errors")
    return record_id, ann["representativeId"]


def read_models(server: ApiServer) -> str:  # noqa: F811
    return dsn(server.env["DATABASE_URL"], server.env["CARERECORD_SCHEMA"])


def concerns_of(server: ApiServer, record_id: str) -> list[tuple[str, str, str]]:  # noqa: F811
    with transaction(read_models(server)) as cursor:
        cursor.execute(
            "SELECT concern_id, raised_by, summary FROM concern_facts WHERE record_id = %s ORDER BY raised_at",
            (record_id,),
        )
        return [(str(a), b, c) for a, b, c in cursor.fetchall()]


def looks(server: ApiServer, record_id: str, operation: str) -> list[tuple[str, bool]]:  # noqa: F811
    with transaction(read_models(server)) as cursor:
        cursor.execute(
            "SELECT user_id, granted FROM access_log WHERE record_id = %s AND operation = %s",
            (record_id, operation),
        )
        return [(a, b) for a, b in cursor.fetchall()]


def test_the_person_reads_their_plan_in_easy_read_sees_who_has_looked_and_follows_a_concern(
    server: ApiServer,  # noqa: F811
    page: Page,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    record_id, _ = margaret_looked_at(server)
    server.graphql(server.token(**GP), RECORD, id=record_id)
    sign_in(page, server, person(record_id))

    # her own plan, in the second person: not the staff search
    assert page.url.endswith("/portal/my-plan")
    assert page.get_by_role("heading", level=1).inner_text() == "Your plan"
    main = page.get_by_role("main").inner_text()
    assert "Your plan says: if the heart stops, do not attempt CPR" in main
    assert "Dr Patel, doctor, at Meadow Lane Surgery, made it on 10 January 2025." in main
    assert "Not yet checked by a senior doctor." in main
    assert "Find a person" not in page.get_by_role("navigation", name="Main").inner_text()
    accessible(page, "my-plan-person")
    assert looks(server, record_id, "portal my plan") == [("margaret-hale", True)]

    # easy read: short sentences, an icon beside each, the glossary's easy-read words; its reading level
    page.get_by_role("link", name="Easy read", exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text() == "Your plan in easy read"
    easy = page.locator("#easy-read").inner_text()
    assert "Your plan says: do not try CPR." in easy
    assert "CPR is what doctors and nurses try if your heart stops." in easy  # the glossary's easy read
    assert "You still get all your other care." in easy
    assert "A doctor or nurse wrote down what should happen in an emergency" in easy  # the event's easy read
    assert page.locator("#easy-read .idea-icon").count() >= 10
    ease = textstat.flesch_reading_ease(easy)
    with capsys.disabled():
        sys.stdout.write(
            f"\neasy-read plan: Flesch reading ease {ease:.1f} (at least {EASY_READ_AT_LEAST})\n"
        )
    assert ease >= EASY_READ_AT_LEAST, (ease, easy)
    sentences = [s for s in re.split(r"[.!?:]\s|\n", easy) if s.strip()]
    longest = max(sentences, key=lambda s: len(re.findall(r"[A-Za-z0-9']+", s)))
    assert len(re.findall(r"[A-Za-z0-9']+", longest)) <= 20, longest  # short sentences, one idea each
    accessible(page, "my-plan-easy-read")

    # who has looked: names, roles, organisations' names; never a user id
    page.get_by_role("link", name="Who has looked", exact=True).click()
    table = page.get_by_role("table").inner_text()
    assert "Dr Grey\tgeneral practitioner\tMeadow Lane Surgery (K81003)" in table or "Dr Grey" in table
    rows = [row.inner_text() for row in page.get_by_role("row").all()]
    grey = next(row for row in rows if "Dr Grey" in row)
    assert "Meadow Lane Surgery" in grey and "looked at the record" in grey
    medic = next(row for row in rows if "South Downs Ambulance Service NHS Trust" in row)
    assert "Someone working as paramedic" in medic and "refused" in medic
    assert any(row.startswith(tuple("0123456789")) and "\tYou\t" in row for row in rows)
    for user_id in ("dr-grey", "p-khan", "dr-patel", "margaret-hale"):
        assert user_id not in page.get_by_role("main").inner_text()
    accessible(page, "my-plan-who-has-looked")
    assert looks(server, record_id, "portal who has looked") == [("margaret-hale", True)]

    # raise a concern: refused beside its field when empty, then recorded once though sent twice
    page.get_by_role("link", name="My plan", exact=True).click()
    page.get_by_role("button", name="Send the concern").click()
    assert "Say what you are worried about." in page.locator("#summary-error").inner_text()
    accessible(page, "my-plan-concern-refused")
    page.get_by_label("What is it about?").select_option(label="The plan made on 10 January 2025")
    page.get_by_label("What are you worried about?").fill("No one asked me about this plan.")
    form = page.locator("form[action='/portal/my-plan/concerns']")
    fields = {
        name: form.locator(f"input[name='{name}']").get_attribute("value")
        for name in ("csrf_token", "form_id")
    }
    page.get_by_role("button", name="Send the concern").click()
    assert "Your concern was sent." in page.get_by_role("status").inner_text()
    again = page.request.post(
        f"{server.url}/portal/my-plan/concerns",
        form={
            **fields,
            "summary": "No one asked me about this plan.",
            "plan_id": _plan_id(server, record_id),
        },
        max_redirects=0,
    )
    assert again.status == 303  # the same form again: answered as the first, nothing recorded twice
    [(concern_id, raised_by, summary)] = concerns_of(server, record_id)
    assert (raised_by, summary) == ("person", "No one asked me about this plan.")
    concerns = page.locator("#concerns").locator("xpath=..").inner_text()
    assert "Raised: being looked into." in concerns and "No one asked me about this plan." in concerns
    accessible(page, "my-plan-concern-raised")

    # a forged form is refused, and records nothing
    forged = page.request.post(
        f"{server.url}/portal/my-plan/concerns",
        form={"csrf_token": "forged", "form_id": "0" * 32, "summary": "forged"},
        max_redirects=0,
    )
    assert forged.status == 403 and len(concerns_of(server, record_id)) == 1

    # the assurance team resolves it; she sees its resolution
    changed(
        server.graphql(
            server.token(**ASSURANCE),
            RESOLVE,
            id=record_id,
            input={"concernId": concern_id, "resolution": "Her GP will meet her to talk the plan through."},
        ),
        "resolveConcern",
    )
    page.reload()
    concerns = page.locator("#concerns").locator("xpath=..").inner_text()
    assert "Resolved on" in concerns and "Her GP will meet her to talk the plan through." in concerns
    accessible(page, "my-plan-concern-resolved")


def _plan_id(server: ApiServer, record_id: str) -> str:  # noqa: F811
    found = server.graphql(
        server.token(**GP),
        "query($id: UUID!) { record(recordId: $id) { currentPlans { planId } } }",
        id=record_id,
    )
    return str(found["data"]["record"]["currentPlans"][0]["planId"])


def test_a_representative_reads_the_persons_plan_by_name_until_withdrawn(
    server: ApiServer,  # noqa: F811
    page: Page,  # noqa: F811
) -> None:
    record_id, ann = margaret_looked_at(server)
    claims = {
        "sub": "ann-hale",
        "role": "representative",
        "org": "K81003",
        "record": record_id,
        "representative": ann,
        "name": "Ann Hale",
    }
    sign_in(page, server, claims)
    assert page.url.endswith("/portal/my-plan")
    assert page.get_by_role("heading", level=1).inner_text() == "Margaret Hale's plan"
    main = page.get_by_role("main").inner_text()
    assert "You are signed in as Margaret Hale's representative." in main
    assert "Margaret Hale's plan says: if the heart stops, do not attempt CPR" in main
    accessible(page, "my-plan-representative")
    page.get_by_role("link", name="Easy read", exact=True).click()
    assert "Margaret Hale's plan says: do not try CPR." in page.locator("#easy-read").inner_text()
    accessible(page, "my-plan-representative-easy-read")
    page.get_by_role("link", name="Their plan", exact=True).click()
    page.get_by_label("What are you worried about?").fill("Mum was not asked about this plan.")
    page.get_by_role("button", name="Send the concern").click()
    assert [c[1:] for c in concerns_of(server, record_id)] == [
        ("family", "Mum was not asked about this plan.")
    ]

    changed(
        server.graphql(
            server.token(**GP),
            WITHDRAW,
            id=record_id,
            input={"representativeId": ann, "reason": "Margaret asked for her son to speak for her instead."},
        ),
        "withdrawRepresentative",
    )
    page.goto(f"{server.url}/portal/my-plan")
    assert page.get_by_role("heading", level=1).inner_text() == "You may not see this record"
    assert ("ann-hale", False) in looks(server, record_id, "portal my plan")


def test_the_person_cannot_open_another_persons_page_and_the_refusal_is_recorded(
    server: ApiServer,  # noqa: F811
    page: Page,  # noqa: F811
) -> None:
    record_id, _ = margaret_looked_at(server)
    gp = server.token(**GP)
    other = {
        **person_input(),
        "nhsNumber": valid_nhs_numbers(1)[0],
        "givenName": "Edith",
        "familyName": "Cole",
    }
    other_id = server.graphql(gp, REGISTER, input=other)["data"]["registerPerson"]["recordId"]
    server.graphql(
        gp,
        START,
        id=other_id,
        input={"organisation": "K81003", "setting": "GP_PRACTICE", "basis": "REGISTERED_WITH_PRACTICE"},
    )
    sign_in(page, server, person(record_id))
    answered = page.goto(f"{server.url}/portal/people/{other_id}")
    assert answered is not None and answered.status == 403
    assert page.get_by_role("heading", level=1).inner_text() == "You may not see this record"
    assert "Edith" not in page.get_by_role("main").inner_text()
    accessible(page, "my-plan-another-persons-page-refused")
    asked = "query($id: UUID!) { accessHistory(recordId: $id) { edges { node { name role granted } } } }"
    history = nodes(
        server.graphql(server.token(**person(record_id)), asked, id=record_id)["data"]["accessHistory"]
    )
    assert {"name": "Dr Grey", "role": "GP", "granted": True} in history  # the API names them too
    assert {"name": None, "role": "PARAMEDIC", "granted": False} in history
    assert looks(server, other_id, "portal person") == [("margaret-hale", False)]


def _tab_to(page: Page, selector: str) -> None:  # noqa: F811
    """Presses Tab until the element has the focus (as someone using the keyboard alone would)."""
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement === document.querySelector(s)", selector):
            return
    raise AssertionError(f"{selector} is not reached with the keyboard")


def test_the_person_raises_a_concern_with_the_keyboard_alone(
    server: ApiServer,  # noqa: F811
    page: Page,  # noqa: F811
) -> None:
    record_id, _ = margaret_looked_at(server)
    sign_in(page, server, person(record_id))
    _tab_to(page, "#summary")
    page.keyboard.type("I was not asked about this plan.")
    _tab_to(page, "form[action='/portal/my-plan/concerns'] button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/portal/my-plan?raised=1#concerns")
    assert [c[1:] for c in concerns_of(server, record_id)] == [("person", "I was not asked about this plan.")]
    accessible(page, "my-plan-keyboard-concern-raised")


def test_in_the_demo_the_sign_in_page_lists_the_demo_users_and_the_persons_command_signs_her_in(
    test_database_url: str,
    fresh_schema: str,
    tmp_path: Path,
    page: Page,  # noqa: F811
) -> None:
    demo = ApiServer(test_database_url, fresh_schema, tmp_path).start("demo", "--people", "12", "--serve")
    try:
        page.goto(f"{demo.url}/portal/sign-in")
        listed = page.get_by_role("region", name="Demonstration users").inner_text()
        assert "The person, " in listed and "--role person" in listed and "--role gp" in listed
        accessible(page, "my-plan-demo-sign-in")
        command = next(
            code.inner_text()
            for code in page.locator(".demo-users code").all()
            if "--role person" in code.inner_text()
        )
        token = subprocess.run(
            [sys.executable, "-m", "carerecord.cli", *shlex.split(command)[1:]],
            env=demo.env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        page.get_by_label("Access token").fill(token)
        page.get_by_role("button", name="Sign in").click()
        assert page.url.endswith("/portal/my-plan")
        assert page.get_by_role("heading", level=1).inner_text() == "Your plan"
        accessible(page, "my-plan-demo-person")
    finally:
        demo.stop()
