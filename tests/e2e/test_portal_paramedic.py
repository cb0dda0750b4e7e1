"""The paramedic at night, on a phone (390×844), in Debian's chromium through Playwright: finds a person by NHS
number or by name, date of birth and postcode, is refused, opens the record through break glass (its expiry shown
before and after) and reads the decision in a banner within the first screen, for each kind of decision.
Screenshots go to artifacts/screenshots/ (paramedic-*.png); axe-core checks every page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from carerecord_projections.database import transaction
from tests.builders import PERSONAL_REASONING
from tests.conftest import dsn, wait_until
from tests.e2e.test_api_end_to_end import GP, PARAMEDIC, registered_with_gp
from tests.e2e.test_portal_pages import (  # noqa: F401 (fixtures)
    RECOMMEND,
    SCREENSHOTS,
    accessible,
    browser,
    changed,
    server,
    sign_in,
)
from tests.support.api_server import ApiServer

PHONE = {"width": 390, "height": 844}
CONCERN = "mutation($id: UUID!, $input: RaiseConcernInput!) { raiseConcern(recordId: $id, input: $input) { __typename } }"
PLAN_ID = "query($id: UUID!) { record(recordId: $id) { currentPlans { planId } } }"


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:  # noqa: F811
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    opened = context.new_page()
    yield opened
    context.close()


def a_plan(server: ApiServer, cpr: str | None) -> str:  # noqa: F811
    """Margaret Hale, cared for by the GP practice K81003 (not by the ambulance service RX9); with a plan saying
    `cpr`, made by her GP, or none."""
    gp, record_id = registered_with_gp(server)
    if cpr is None:
        return record_id
    changed(
        server.graphql(
            gp,
            RECOMMEND,
            id=record_id,
            input={
                "formType": "DNACPR" if cpr == "DO_NOT_ATTEMPT_CPR" else "RESPECT",
                "cpr": cpr,
                "reasonCategory": "WOULD_NOT_SUCCEED" if cpr == "DO_NOT_ATTEMPT_CPR" else "CPR_RECOMMENDED",
                "reasoning": PERSONAL_REASONING
                if cpr == "DO_NOT_ATTEMPT_CPR"
                else "She is well, active and wants every treatment that may help, CPR included.",
                "involvement": {
                    "route": "A_PERSON_WITH_CAPACITY",
                    "personInvolved": True,
                    "consulted": [{"name": "Ann Hale", "role": "daughter"}],
                },
                "responsibleClinician": {"name": "Dr Grey", "role": "GP", "registration": "2345678"},
                "setting": "GP_PRACTICE",
                "reviewDue": "2030-01-01",
            },
        ),
        "makeRecommendation",
    )
    return record_id


def open_concerns(read_models: str, record_id: str) -> int:
    with transaction(read_models) as cursor:
        cursor.execute(
            "SELECT count(*) FROM concern_facts WHERE record_id = %s AND resolved_at IS NULL", (record_id,)
        )
        return int(cursor.fetchone()[0])


def within_first_screen(page: Page, selector: str) -> None:
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not shown"
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], box
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box


def break_glass(page: Page, name: str) -> str:
    """Opens the refused record in an emergency, first meeting a refusal beside the reason; the expiry shown."""
    form = page.get_by_role("region", name="Emergency access (break glass)")
    before = form.inner_text()
    expiry = re.search(r"ends at (\d\d:\d\d on \d{1,2} \w+ \d{4})", before)
    assert expiry, before
    accessible(page, f"paramedic-{name}-refused")
    page.get_by_label("Why do you need this record now?").fill("arrest")
    with page.expect_response(lambda r: r.url.endswith("/portal/break-glass")) as answered:
        page.get_by_role("button", name="Open the record in an emergency").click()
    assert answered.value.status == 400
    assert "Say why you need this record now" in page.locator("#reason-error").inner_text()
    accessible(page, f"paramedic-{name}-break-glass-refused")
    page.get_by_label("Why do you need this record now?").fill(
        "Called to her home: collapsed, not breathing, family unsure of her wishes."
    )
    page.get_by_role("button", name="Open the record in an emergency").click()
    return expiry.group(1)


def as_minute(shown: str) -> datetime:
    """A time as the portal shows it ("22:45 on 3 December 2026")."""
    return datetime.strptime(shown, "%H:%M on %d %B %Y")


WORDS = {
    "DO_NOT_ATTEMPT_CPR": "DO NOT ATTEMPT CPR",
    "ATTEMPT_CPR": "ATTEMPT CPR",
    None: "NO CPR DECISION RECORDED",
}


@pytest.mark.parametrize(
    "cpr", ["DO_NOT_ATTEMPT_CPR", "ATTEMPT_CPR", None], ids=["dnacpr", "attempt", "none"]
)
def test_a_paramedic_on_a_phone_breaks_glass_and_sees_the_decision_within_the_first_screen(
    server: ApiServer,  # noqa: F811
    phone: Page,
    cpr: str | None,
) -> None:
    record_id = a_plan(server, cpr)
    name = {"DO_NOT_ATTEMPT_CPR": "dnacpr", "ATTEMPT_CPR": "attempt", None: "none"}[cpr]
    sign_in(phone, server, PARAMEDIC)
    if cpr == "ATTEMPT_CPR":  # no NHS number to hand: by name, date of birth and postcode
        phone.get_by_label("Family name", exact=True).fill("hale")
        phone.get_by_label("Date of birth", exact=True).fill("2/4/1938")
        phone.get_by_label("Postcode", exact=True).fill("ng11aa")
        phone.get_by_role("button", name="Search").click()
        accessible(phone, "paramedic-search-results")
        phone.get_by_role("link", name="Margaret Hale, born 2 April 1938").click()
        assert phone.get_by_role("heading", level=1).inner_text() == "You may not see this record"
    else:
        phone.get_by_label("NHS number").fill("9434765919")
        phone.get_by_role("button", name="Show their plan").click()
        assert "RX9 has no care relationship recorded" in phone.get_by_role("alert").inner_text()
    expiry = break_glass(phone, name)

    assert phone.url.endswith(f"/portal/people/{record_id}")
    banner = phone.locator("#decision")
    assert banner.get_by_role("heading", level=2).inner_text().strip().endswith(WORDS[cpr])
    within_first_screen(phone, "#decision")
    within_first_screen(phone, ".break-glass-notice")
    notice = phone.locator(".break-glass-notice").inner_text()
    assert "Emergency access (break glass)." in notice, notice
    granted = re.search(r"ends at (\d\d:\d\d on \d{1,2} \w+ \d{4})", notice)
    assert granted, notice
    # the form said when access would end if opened then; it was opened seconds later, perhaps in the next minute
    late = as_minute(granted.group(1)) - as_minute(expiry)
    assert timedelta(0) <= late <= timedelta(minutes=1), (expiry, granted.group(1))
    text = banner.inner_text()
    if cpr is None:
        assert "No plan is recorded for this person" in text
    else:
        assert "In force" in text
        assert "Decided by Dr Grey, general practitioner, Meadow Lane Surgery (K81003)" in text
        form = banner.locator(".small-print").inner_text()
        assert form.startswith(
            "Recorded on a DNACPR form" if cpr == "DO_NOT_ATTEMPT_CPR" else "Recorded on a ReSPECT"
        )
        plan_heading = phone.locator("article.plan h3").inner_text()
        assert (
            plan_heading.startswith("Plan made on")
            and "DNACPR" not in plan_heading
            and "do not" not in plan_heading
        )
    assert (
        phone.locator(
            f"#decision.banner-{ {'DO_NOT_ATTEMPT_CPR': 'dnacpr', 'ATTEMPT_CPR': 'attempt-cpr', None: 'none'}[cpr] }"
        ).count()
        == 1
    )
    assert phone.locator("#decision .banner-icon").inner_text().strip() != ""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(SCREENSHOTS / f"paramedic-{name}-first-screen.png"))  # the first screen only
    accessible(phone, f"paramedic-{name}-plan")


def test_a_plan_recommending_cpr_is_never_headed_as_a_do_not_attempt_form(
    server: ApiServer,  # noqa: F811
    phone: Page,
) -> None:
    """The issue's report: a plan recommending CPR showed under "DNACPR form (do not attempt ...)"."""
    record_id = a_plan(server, "ATTEMPT_CPR")
    sign_in(phone, server, GP)
    phone.goto(f"{server.url}/portal/people/{record_id}")
    headings = " ".join(phone.get_by_role("heading").all_inner_texts()).lower()
    assert "do not attempt" not in headings and "dnacpr form" not in headings
    assert phone.locator("#decision h2").inner_text().strip().endswith("ATTEMPT CPR")


def test_an_open_concern_about_a_plan_warns_on_its_page(
    server: ApiServer,  # noqa: F811
    phone: Page,
    test_database_url: str,
    fresh_schema: str,
) -> None:
    record_id = a_plan(server, "DO_NOT_ATTEMPT_CPR")
    gp = server.token(**GP)
    plan_id = server.graphql(gp, PLAN_ID, id=record_id)["data"]["record"]["currentPlans"][0]["planId"]
    raised: dict[str, Any] = server.graphql(
        gp,
        CONCERN,
        id=record_id,
        input={
            "raisedBy": "FAMILY",
            "summary": "Her daughter says she was never asked about CPR.",
            "planId": plan_id,
        },
    )
    assert raised["data"]["raiseConcern"]["__typename"] == "RecordChanged", raised
    sign_in(phone, server, GP)
    wait_until(
        lambda: open_concerns(dsn(test_database_url, fresh_schema), record_id) == 1,
        timeout=60,
        interval=0.1,
        failure="the concern never reached the read models",
    )
    phone.goto(f"{server.url}/portal/people/{record_id}")
    banner = phone.locator("#decision").inner_text()
    assert "Warning: A concern is open." in banner
    plan = phone.locator("article.plan").inner_text()
    assert "A concern is open." in plan
    accessible(phone, "plan-with-open-concern")


def test_a_newcomer_opening_the_address_lands_on_the_portal(server: ApiServer, phone: Page) -> None:  # noqa: F811
    answered = phone.goto(f"{server.url}/")
    assert answered is not None and answered.ok
    assert phone.url == f"{server.url}/portal/sign-in"
    assert phone.get_by_role("heading", level=1).inner_text() == "Sign in"


REVOKE = "mutation($id: UUID!, $input: RevokePlanInput!) { revokePlan(recordId: $id, input: $input) { __typename } }"


def test_two_plans_in_force_that_disagree_say_so_in_the_banner_with_both_decisions(
    server: ApiServer,  # noqa: F811
    phone: Page,
) -> None:
    record_id = a_plan(server, "DO_NOT_ATTEMPT_CPR")
    changed(
        server.graphql(
            server.token(**GP),
            RECOMMEND,
            id=record_id,
            input={
                "formType": "RESPECT",
                "cpr": "ATTEMPT_CPR",
                "reasonCategory": "CPR_RECOMMENDED",
                "reasoning": "She is well, active and wants every treatment that may help, CPR included.",
                "involvement": {"route": "A_PERSON_WITH_CAPACITY", "personInvolved": True, "consulted": []},
                "responsibleClinician": {"name": "Dr Grey", "role": "GP", "registration": "2345678"},
                "setting": "GP_PRACTICE",
                "reviewDue": "2030-01-01",
            },
        ),
        "makeRecommendation",
    )
    sign_in(phone, server, GP)
    phone.goto(f"{server.url}/portal/people/{record_id}")
    banner = phone.locator("#decision").inner_text()
    assert "Two plans disagree: see both" in banner
    assert "says: DO NOT ATTEMPT CPR." in banner, "the other decision is in the banner too"
    assert phone.get_by_role("link", name="Read the plans in full").count() == 1
    within_first_screen(phone, "#decision")
    assert phone.locator("article.plan").count() == 2
    accessible(phone, "plans-disagree")


def test_a_revoked_decision_leaves_no_decision_and_says_when_it_was_revoked(
    server: ApiServer,  # noqa: F811
    phone: Page,
) -> None:
    record_id = a_plan(server, "DO_NOT_ATTEMPT_CPR")
    gp = server.token(**GP)
    plan_id = server.graphql(gp, PLAN_ID, id=record_id)["data"]["record"]["currentPlans"][0]["planId"]
    revoked = server.graphql(
        gp,
        REVOKE,
        id=record_id,
        input={
            "planId": plan_id,
            "reason": "She asked for CPR to be attempted.",
            "initiated": "PERSON_REQUEST",
        },
    )
    assert revoked["data"]["revokePlan"]["__typename"] == "RecordChanged", revoked
    sign_in(phone, server, GP)
    phone.goto(f"{server.url}/portal/people/{record_id}")
    assert phone.locator("#decision h2").inner_text().strip().endswith("NO CPR DECISION RECORDED")
    banner = phone.locator("#decision").inner_text()
    assert re.search(r"Revoked on \d{1,2} \w+ \d{4}", banner), banner
    assert "The last plan" in banner and "said: do not attempt cpr" in banner
    accessible(phone, "plan-revoked")


def test_an_overdue_review_says_the_plan_is_still_in_force(server: ApiServer, phone: Page) -> None:  # noqa: F811
    from tests.e2e.test_portal_pages import a_plan_made_by_a_junior_doctor_long_ago

    record_id = a_plan_made_by_a_junior_doctor_long_ago(server)
    sign_in(phone, server, GP)
    phone.goto(f"{server.url}/portal/people/{record_id}")
    banner = phone.locator("#decision").inner_text()
    assert "In force, review overdue" in banner and "days overdue" in banner
    assert "Still in force; review overdue." in phone.locator("article.plan").inner_text()


def test_the_search_and_break_glass_forms_refuse_a_post_without_the_sessions_csrf_token(
    server: ApiServer,  # noqa: F811
    phone: Page,
) -> None:
    _, record_id = registered_with_gp(server)
    sign_in(phone, server, PARAMEDIC)
    forged = {"csrf_token": "not-the-sessions-token", "reason": "Called to a cardiac arrest at her home now."}
    searched = phone.request.post(
        f"{server.url}/portal/search",
        form={**forged, "family_name": "Hale", "date_of_birth": "1938-04-02", "postcode": "NG1 1AA"},
    )
    opened = phone.request.post(f"{server.url}/portal/break-glass", form={**forged, "record_id": record_id})
    assert (searched.status, opened.status) == (403, 403)
    answered = phone.goto(f"{server.url}/portal/people/{record_id}")
    assert answered is not None and answered.status == 403, "the forged break glass opened nothing"


def test_a_search_with_a_wrong_postcode_is_refused_beside_the_field_and_no_match_says_what_to_do(
    server: ApiServer,  # noqa: F811
    phone: Page,
) -> None:
    registered_with_gp(server)
    sign_in(phone, server, PARAMEDIC)
    phone.get_by_label("Family name", exact=True).fill("Hale")
    phone.get_by_label("Date of birth", exact=True).fill("2/4/1938")
    phone.get_by_label("Postcode", exact=True).fill("NOT A POSTCODE")
    with phone.expect_response(lambda r: r.url.endswith("/portal/search")) as answered:
        phone.get_by_role("button", name="Search").click()
    assert answered.value.status == 400
    assert "Enter a UK postcode" in phone.locator("#postcode-error").inner_text()
    assert phone.get_by_label("Family name", exact=True).input_value() == "Hale", "what was typed is kept"
    accessible(phone, "paramedic-search-refused")
    phone.get_by_label("Postcode", exact=True).fill("NG2 2BB")
    phone.get_by_role("button", name="Search").click()
    assert phone.get_by_role("heading", name="0 people match").count() == 1
    assert "Check them, or use the NHS number." in phone.get_by_role("main").inner_text()
