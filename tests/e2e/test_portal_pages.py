"""The portal in a real browser: headless Debian chromium driven by Playwright against a running `carerecord
serve` on the real PostgreSQL. Each page is checked with axe-core (no serious or critical violations) and
photographed into artifacts/screenshots/ (git-ignored)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, sync_playwright

from carerecord_projections.reference import parse_organisations, replace_organisations
from tests.builders import PERSONAL_REASONING, VALID_NHS_NUMBER
from tests.conftest import dsn
from tests.e2e.test_api_end_to_end import (
    ASSURANCE,
    GP,
    HISTORY,
    PARAMEDIC,
    RESULT,
    person_input,
    registered_with_gp,
)
from tests.support.api_server import ApiServer, nodes

ROOT = Path(__file__).resolve().parents[2]
ORGANISATIONS = ROOT / "deploy" / "carerecord" / "reference" / "organisations.csv"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
DOCTOR = {"sub": "dr-patel", "role": "doctor", "org": "K81003", "registration": "7654321", "name": "Dr Patel"}

CONVERSATION = f"mutation($id: UUID!, $input: RecordConversationInput!) {{ recordConversation(recordId: $id, input: $input) {{ {RESULT} }} }}"
ADRT = f"mutation($id: UUID!, $input: RecordAdvanceDecisionInput!) {{ recordAdvanceDecision(recordId: $id, input: $input) {{ {RESULT} }} }}"
RECOMMEND = f"mutation($id: UUID!, $input: MakeRecommendationInput!) {{ makeRecommendation(recordId: $id, input: $input) {{ {RESULT} }} }}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Debian's chromium is not installed: run `make browser` (make test does)")
    with sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where chromium's sandbox refuses to start.
        launched = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def server(test_database_url: str, fresh_schema: str, tmp_path: Path) -> Iterator[ApiServer]:
    api = ApiServer(test_database_url, fresh_schema, tmp_path).start()
    yield api
    api.stop()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()


def changed(result: dict[str, Any], name: str) -> None:
    assert result["data"][name]["__typename"] == "RecordChanged", result


def a_plan_made_by_a_junior_doctor_long_ago(server: ApiServer) -> str:
    """Margaret Hale: cared for by GP practice K81003; a DNACPR recommendation made by a doctor in training
    (so awaiting senior endorsement) in January 2025, due for review in June 2025 (so overdue now)."""
    gp, record_id = registered_with_gp(server)
    changed(
        server.graphql(
            gp,
            CONVERSATION,
            id=record_id,
            input={
                "participants": [
                    {"name": "Margaret Hale", "role": "the person"},
                    {"name": "Ann Hale", "role": "daughter"},
                ],
                "personTookPart": True,
                "occurredAt": "2025-01-09T10:00:00+00:00",
                "whatMatters": "being at home with her cat",
            },
        ),
        "recordConversation",
    )
    changed(
        server.graphql(
            gp,
            ADRT,
            id=record_id,
            input={
                "treatmentsRefused": "mechanical ventilation",
                "refusesCpr": False,
                "madeOn": "2024-11-02",
                "written": True,
                "signed": True,
                "witnessed": True,
                "statesAppliesEvenIfLifeAtRisk": True,
            },
        ),
        "recordAdvanceDecision",
    )
    changed(
        server.graphql(
            server.token(**DOCTOR),
            RECOMMEND,
            id=record_id,
            input={
                "formType": "RESPECT",
                "cpr": "DO_NOT_ATTEMPT_CPR",
                "reasonCategory": "WOULD_NOT_SUCCEED",
                "reasoning": PERSONAL_REASONING,
                "whatMatters": "staying at home; no hospital admission unless for comfort",
                "involvement": {
                    "route": "A_PERSON_WITH_CAPACITY",
                    "personInvolved": True,
                    "consulted": [{"name": "Ann Hale", "role": "daughter"}],
                },
                "responsibleClinician": {"name": "Dr Patel", "role": "DOCTOR", "registration": "7654321"},
                "setting": "GP_PRACTICE",
                "occurredAt": "2025-01-10T11:00:00+00:00",
                "reviewDue": "2025-06-01",
                "otherRecommendations": [
                    {"treatment": "antibiotics for infection", "decision": "RECOMMENDED"},
                    {
                        "treatment": "admission to intensive care",
                        "decision": "NOT_WANTED",
                        "reason": "she wants to stay at home",
                    },
                ],
            },
        ),
        "makeRecommendation",
    )
    return record_id


def sign_in(page: Page, server: ApiServer, claims: dict[str, Any]) -> None:
    page.goto(f"{server.url}/portal")
    assert page.url.endswith("/portal/sign-in")
    page.get_by_label("Access token").fill(server.token(**claims))
    page.get_by_role("button", name="Sign in").click()


def find(page: Page, nhs_number: str) -> None:
    page.get_by_role("link", name="Find a person").click()
    page.get_by_label("NHS number").fill(nhs_number)
    page.get_by_role("button", name="Show their plan").click()


def accessible(page: Page, name: str) -> None:
    """No serious or critical axe-core violation on the page as shown; a full-page screenshot kept."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    violations = Axe().run(page).response["violations"]
    serious = [
        (v["id"], v["impact"], [node["target"] for node in v["nodes"]])
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], serious


def history(server: ApiServer, record_id: str) -> list[dict[str, Any]]:
    answer = server.graphql(server.token(**ASSURANCE), HISTORY, id=record_id)
    result: list[dict[str, Any]] = nodes(answer["data"]["accessHistory"])
    return result


def test_a_gp_signs_in_reads_a_plan_in_plain_language_and_signs_out(server: ApiServer, page: Page) -> None:
    record_id = a_plan_made_by_a_junior_doctor_long_ago(server)
    page.goto(f"{server.url}/portal/sign-in")
    accessible(page, "sign-in")
    sign_in(page, server, GP)
    cookie = next(c for c in page.context.cookies() if c["name"] == "carerecord_portal")
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["secure"], cookie["path"]) == (
        True,
        "Strict",
        False,  # served over plain http here; Secure is set when the request came over https
        "/portal",
    )
    assert page.get_by_role("heading", level=1).inner_text() == "Find a person"
    accessible(page, "find-a-person")

    find(page, "943 476 5919")
    assert page.url.endswith(f"/portal/people/{record_id}")
    assert page.get_by_role("heading", level=1).inner_text() == "Margaret Hale"
    main = page.get_by_role("main")
    text = main.inner_text()
    assert "943 476 5919" in text and "2 April 1938" in text
    assert (
        "being at home with her cat"
        in page.locator("section", has=page.locator("#what-matters")).inner_text()
    )
    decision = main.locator(".decision").inner_text()
    assert decision.startswith("Do not attempt CPR (cardiopulmonary resuscitation).")
    assert "does not limit any other treatment or care" in decision
    limits = page.get_by_role("table", name="Other treatments discussed").inner_text()
    assert "antibiotics for infection\trecommended" in limits
    assert "admission to intensive care\tthe person does not want this\tshe wants to stay at home" in limits
    assert "Consulted: Ann Hale (daughter)" in text
    assert "The person took part in the decision." in text
    assert "Awaits senior endorsement." in text
    assert "The review was due on 1 June 2025" in text and "days overdue" in text
    assert "refuses mechanical ventilation" in text
    caring = page.get_by_role("table", name="Organisations caring for Margaret Hale").inner_text()
    assert "Meadow Lane Surgery (ODS code K81003)\tGP practice" in caring, (
        "the name from the register, the code after"
    )
    assert page.locator("html").get_attribute("lang") == "en-GB"
    assert page.get_by_role("link", name="Skip to main content").count() == 1
    accessible(page, "person-plan")

    reads = [entry for entry in history(server, record_id) if entry["operation"] == "portal person"]
    assert reads and reads[0]["userId"] == "dr-grey" and reads[0]["granted"]
    assert reads[0]["versionShown"] == 5

    page.get_by_role("button", name="Sign out").click()
    assert page.url.endswith("/portal/sign-in")
    page.goto(f"{server.url}/portal/people/{record_id}")
    assert page.url.endswith("/portal/sign-in"), "signed out, the plan is no longer shown"


def test_a_token_the_api_would_refuse_does_not_sign_in(server: ApiServer, page: Page) -> None:
    page.goto(f"{server.url}/portal/sign-in")
    page.get_by_label("Access token").fill(server.token(**GP)[:-6] + "AAAAAA")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text().startswith("There is a problem")
    assert "invalid, expired or not for this service" in page.get_by_role("alert").inner_text()
    assert page.get_by_role("navigation", name="Main").count() == 0
    accessible(page, "sign-in-refused")


def test_a_post_without_the_sessions_csrf_token_is_refused_and_recorded(
    server: ApiServer, page: Page, test_database_url: str, fresh_schema: str
) -> None:
    registered_with_gp(server)
    sign_in(page, server, GP)
    page.get_by_label("NHS number").fill(VALID_NHS_NUMBER)
    page.evaluate("document.querySelector('form[action=\"/portal/find\"] input[name=csrf_token]').remove()")
    with page.expect_response(f"{server.url}/portal/find") as answered:
        page.get_by_role("button", name="Show their plan").click()
    assert answered.value.status == 403
    assert page.get_by_role("heading", level=1).inner_text() == "This form could not be accepted"
    accessible(page, "csrf-refused")

    forged = page.request.post(f"{server.url}/portal/sign-out", form={"csrf_token": "not-the-sessions-token"})
    assert forged.status == 403
    page.goto(f"{server.url}/portal/find")
    assert page.url.endswith("/portal/find"), "a forged sign-out did not sign the user out"

    connection = psycopg2.connect(test_database_url, options=f"-c search_path={fresh_schema}")
    with connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT user_id, operation, granted, refusal_reason FROM access_log WHERE operation LIKE 'portal form%%' "
            "ORDER BY at"
        )
        refusals = cursor.fetchall()
    connection.close()
    reason = "the form did not carry this session's CSRF token"
    assert refusals == [
        ("dr-grey", "portal form /portal/find", False, reason),
        ("dr-grey", "portal form /portal/sign-out", False, reason),
    ]


def test_a_person_outside_the_users_organisation_is_refused_and_the_refusal_recorded(
    server: ApiServer, page: Page
) -> None:
    _, record_id = registered_with_gp(server)
    sign_in(page, server, PARAMEDIC)
    with page.expect_response(
        lambda response: response.url == f"{server.url}/portal/find" and response.request.method == "POST"
    ) as answered:
        find(page, VALID_NHS_NUMBER)
    assert answered.value.status == 404  # refused before the record's id is revealed in a redirect
    assert record_id not in page.content() and page.url.endswith("/portal/find")
    alert = page.get_by_role("alert").inner_text()
    assert "RX9 has no care relationship recorded" in alert
    assert "This attempt has been recorded" in alert
    accessible(page, "find-refused")

    answered_directly = page.goto(f"{server.url}/portal/people/{record_id}")
    assert answered_directly is not None and answered_directly.status == 403
    assert page.get_by_role("heading", level=1).inner_text() == "You may not see this record"
    assert "This attempt has been recorded" in page.get_by_role("main").inner_text()
    assert "Margaret" not in page.content()
    accessible(page, "person-refused")

    refusals = [entry for entry in history(server, record_id) if entry["userId"] == "p-khan"]
    assert sorted((e["operation"], e["granted"], e["versionShown"]) for e in refusals) == [
        ("portal find", False, None),
        ("portal person", False, None),
    ]
    assert all("no care relationship" in e["refusalReason"] for e in refusals)


def test_an_nhs_number_with_no_record_is_refused_without_saying_whether_it_exists(
    server: ApiServer, page: Page
) -> None:
    server.graphql(
        server.token(**GP),
        "mutation($input: RegisterPersonInput!) { registerPerson(input: $input) { __typename } }",
        input=person_input(),
    )
    sign_in(page, server, GP)
    find(page, "401 000 0007")
    assert "there is no such record, or you may not see it" in page.get_by_role("alert").inner_text().lower()
    find(page, "12345")
    assert "Enter a 10-digit NHS number" in page.get_by_role("alert").inner_text()
    accessible(page, "find-invalid")


def test_an_assurance_team_filters_the_dashboard_and_drills_down_to_a_plan(
    server: ApiServer, page: Page, test_database_url: str, fresh_schema: str
) -> None:
    record_id = a_plan_made_by_a_junior_doctor_long_ago(server)
    replace_organisations(
        dsn(test_database_url, fresh_schema), parse_organisations(ORGANISATIONS.read_text())
    )
    sign_in(page, server, ASSURANCE)
    assert page.url.endswith("/portal/dashboard"), page.content()[-3000:]
    page.get_by_label("Region", exact=True).fill("QWE")
    page.get_by_label("Setting", exact=True).select_option(label="GP practice")
    page.get_by_label("From", exact=True).fill("2025-01-01")
    page.get_by_role("button", name="Show").click()
    assert "region=QWE" in page.url and "setting=gp-practice" in page.url and "start=2025-01-01" in page.url
    assert page.get_by_role("heading", level=1).inner_text() == "Oversight of decisions"

    made = page.locator("ul.glance").get_by_role("link", name="recommendations made")
    assert made.inner_text().split() == ["1", "recommendations", "made"]  # the summary comes first
    page.get_by_text("Every figure, by section").click()  # folded under its heading until opened
    every = page.locator("details.all-figures").get_by_role("link", name="Recommendations made")
    assert every.inner_text().split() == ["1", "Recommendations", "made"]
    page.get_by_text("Counts by form, setting and initiator").click()
    charts = page.locator("section[aria-labelledby=charts-title] figure.chart")
    assert charts.count() == 5
    drawn = [charts.nth(index) for index in range(charts.count()) if charts.nth(index).locator("svg").count()]
    assert len(drawn) == 3, "form, setting and who started care relationships; the others have no data"
    for chart in drawn:
        assert chart.locator("svg[role=img] > title").count() == 1
        assert chart.locator("svg + table").count() == 1, "each chart is followed by its table"
    assert (
        page.get_by_role("figure", name="Concerns: who raised them")
        .inner_text()
        .endswith("Nothing to show for this period.")
    )
    by_form = page.get_by_role("table", name="Recommendations by form: the numbers")
    assert by_form.locator("tbody tr").all_inner_texts() == ["ReSPECT plan\t1"]
    assert charts.locator("svg rect.bar").first.get_attribute("width") == "344"
    accessible(page, "dashboard")

    page.locator("ul.glance").get_by_role("link", name="still awaiting senior endorsement").click()
    assert "/portal/dashboard/awaiting-endorsement?" in page.url and "region=QWE" in page.url
    assert page.get_by_role("heading", level=1).inner_text() == "Still awaiting senior endorsement"
    rows = page.get_by_role("table", name="The decisions behind this figure").locator("tbody tr")
    assert rows.count() == 1
    assert rows.first.inner_text().split("\t")[:4] == ["10 January 2025", "K81003", "GP practice", "in force"]
    accessible(page, "drill-down")

    rows.first.get_by_role("link", name="Open the plan").click()
    assert page.url.endswith(f"/portal/people/{record_id}")
    assert page.get_by_role("heading", level=1).inner_text() == "Margaret Hale"

    looks = [(e["userId"], e["operation"], e["granted"]) for e in history(server, record_id)]
    assert ("icb-ann", "oversight drill-down: awaiting-endorsement", True) in looks
    assert ("icb-ann", "portal person", True) in looks

    page.goto(f"{server.url}/portal/dashboard?region=QWE&start=2026-13-01")
    assert "The start date was not a date" in page.get_by_role("alert").inner_text()

    with page.expect_response(f"{server.url}/portal/dashboard?region=Y63") as answered:
        page.goto(f"{server.url}/portal/dashboard?region=Y63")
    assert answered.value.status == 403
    assert "Your token covers the integrated care board QWE only." in page.get_by_role("main").inner_text()


def test_only_assurance_teams_and_administrators_see_the_dashboard(
    server: ApiServer, page: Page, test_database_url: str, fresh_schema: str
) -> None:
    sign_in(page, server, GP)
    assert page.get_by_role("link", name="Oversight").count() == 0
    with page.expect_response(f"{server.url}/portal/dashboard") as answered:
        page.goto(f"{server.url}/portal/dashboard")
    assert answered.value.status == 403
    assert page.get_by_role("heading", level=1).inner_text() == "You may not see these figures"
    assert "Only assurance teams and administrators may see oversight views." in page.inner_text("main")
    with page.expect_response(f"{server.url}/portal/dashboard/decisions-made") as answered:
        page.goto(f"{server.url}/portal/dashboard/decisions-made")
    assert answered.value.status == 403

    connection = psycopg2.connect(test_database_url, options=f"-c search_path={fresh_schema}")
    with connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT user_id, operation, granted FROM access_log WHERE user_id = 'dr-grey' ORDER BY at"
        )
        refusals = cursor.fetchall()
    connection.close()
    assert refusals == [("dr-grey", "portal dashboard", False), ("dr-grey", "portal drill-down", False)]


def test_the_demo_region_dashboard_shows_the_care_home_alert_and_every_page_says_demo(
    test_database_url: str, fresh_schema: str, tmp_path: Path, page: Page
) -> None:
    """What a newcomer sees after `make run`: a living dashboard on the demo store, with the care-home alert."""
    import subprocess
    import sys

    demo = ApiServer(test_database_url, fresh_schema, tmp_path)
    loaded = subprocess.run(
        [sys.executable, "-m", "carerecord.cli", "demo", "--people", "120"],
        env=demo.env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    demo.start()
    try:
        sign_in(page, demo, ASSURANCE)
        assert page.url.endswith("/portal/dashboard")
        assert "Demonstration record." in page.get_by_role("main").inner_text()
        alerts = page.locator("section", has=page.locator("#alerts-title"))
        assert "20 do-not-attempt-CPR decisions" in alerts.inner_text()
        equality = page.locator("section", has=page.locator("#equality-title"))
        shown = equality.text_content() or ""  # folded away under its heading until opened
        assert "Age band" in shown and "[c]" in shown
        accessible(page, "demo-dashboard")
        # Summary first, then the trend and the comparison; the whole page short enough to scan at 1,280 px.
        page.set_viewport_size({"width": 1280, "height": 900})
        headings = page.get_by_role("heading", level=2).all_inner_texts()
        assert headings.index("At a glance") < headings.index("Possible blanket decisions")
        assert headings.index("Month by month") < headings.index("Every figure, by section")
        assert "Organisations compared" in headings
        height = page.evaluate("document.documentElement.scrollHeight")
        assert height < 4000, f"the dashboard is {height} px long at 1,280 px wide"
        compared = page.locator("section", has=page.locator("#compare-title"))
        assert "exact binomial limits" in compared.inner_text()
        first_bar = compared.locator("table tbody tr").first.locator("a")  # in the folded table of numbers
        assert "/portal/dashboard/person-involved?" in (first_bar.get_attribute("href") or "")
        accessible(page, "dashboard-summary-trend-comparison")
        # Every part of the dashboard downloads from the portal, with the session's own authority.
        download = page.get_by_role("link", name="the possible blanket decisions").get_attribute("href")
        alerts_file = page.request.get(f"{demo.url}{download}")
        assert alerts_file.status == 200 and alerts_file.headers["content-type"].startswith("text/csv")
        assert "for 20 residents of Seaview House (VLAXP)" in alerts_file.text()
        assert "care home's CQC location" in alerts_file.text().splitlines()[0]
        assert ",VLAXP,1-900000104," in alerts_file.text()
        equality_file = page.request.get(f"{demo.url}/portal/export/equality.csv")
        assert equality_file.text().startswith("characteristic,group,dnacpr")
        assert page.request.get(f"{demo.url}/portal/export/everything.csv").status == 404
        alerts.get_by_role("link").first.click()
        rows = page.get_by_role("table").locator("tbody tr")
        assert rows.count() == 20
        main = page.get_by_role("main").inner_text()
        assert "Demonstration record." in main
        # A short heading; who decided and for whom by name; each decision with the person and what to judge by.
        assert page.get_by_role("heading", level=1).inner_text() == "Possible blanket decision"
        assert "decided by Old Forge Health Centre (K81045) for 20 residents of Seaview House (VLAXP)" in main
        assert "The care home's CQC location ID: 1-900000104" in main
        headers = page.get_by_role("table").locator("thead th").all_inner_texts()
        assert headers == [
            "Person",
            "Decided by",
            "Made on",
            "Reasoning begins",
            "Involvement",
            "Board's finding",
        ]
        first = rows.first.locator("td").all_inner_texts()
        assert "NHS number 999" in first[0] and first[1].startswith("Old Forge Health Centre")
        assert first[4].startswith("the person was") and first[5] == "none yet"
        accessible(page, "demo-blanket-alert")

        # The board records its finding once for the group; it lands on each person's record, and a second
        # submission of the same form records nothing more.
        form = page.locator("form[action*='/finding']")
        fields = {
            name: form.locator(f"input[name='{name}']").get_attribute("value")
            for name in ("csrf_token", "alert_key", "form_id")
        }
        form.get_by_label("A blanket decision, raised with the provider").check()
        form.get_by_label("Notes (what was done, with whom)").fill("Raised with the practice on 3 May.")
        form.get_by_role("button", name="Record the finding").click()
        main = page.get_by_role("main").inner_text()
        assert "The finding was recorded on the record of each person below" in main, main[:2000]
        assert "a blanket decision, raised with the provider: 20 of 20 decisions" in main
        assert rows.first.locator("td").nth(5).inner_text() == "a blanket decision, raised with the provider"
        accessible(page, "demo-blanket-alert-finding-recorded")
        action = f"{demo.url}{form.get_attribute('action')}"
        again = page.request.post(
            action,
            form={
                **fields,
                "finding": "blanket-raised-with-provider",
                "notes": "Raised with the practice on 3 May.",
            },
            max_redirects=0,
        )
        assert again.status == 303
        forged = page.request.post(
            action,
            form={**fields, "csrf_token": "forged", "finding": "referred-to-safeguarding"},
            max_redirects=0,
        )
        assert forged.status == 403
        with (
            psycopg2.connect(dsn(test_database_url, fresh_schema)) as connection,
            connection.cursor() as cursor,
        ):
            cursor.execute(
                "SELECT finding, count(*), count(DISTINCT record_id) FROM board_findings GROUP BY 1"
            )
            assert cursor.fetchall() == [("blanket-raised-with-provider", 20, 20)]
        rows.first.get_by_role("link").click()
        assert "/portal/people/" in page.url
        assert "Demonstration record." in page.get_by_role("main").inner_text()
        assert "999 " in page.get_by_role("main").inner_text()  # an NHS number from the test range
        assert "Warning: This decision may be a blanket decision." in page.locator("#decision").inner_text()
        plan = page.locator("article.plan").first.inner_text()
        assert "Oversight flagged it with others: 20 do-not-attempt-CPR decisions" in plan, (
            "the warning in full"
        )
        accessible(page, "demo-person")
    finally:
        demo.stop()
