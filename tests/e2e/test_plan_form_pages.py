"""The portal's person page for a ReSPECT plan with every section, in headless Chromium: the sections below the
plan's decision, in plain words, with no serious or critical axe-core violation."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, sync_playwright

from tests.e2e.test_api_end_to_end import GP, RECOMMEND, recommendation_input, registered_with_gp
from tests.form_builders import RESPECT_INPUT
from tests.support.api_server import ApiServer

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture
def server(test_database_url: str, fresh_schema: str, tmp_path: Path) -> Iterator[ApiServer]:
    api = ApiServer(test_database_url, fresh_schema, tmp_path).start()
    yield api
    api.stop()


@pytest.fixture
def page() -> Iterator[Page]:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Debian's chromium is not installed: run `make browser` (make test does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
        browser.close()


def test_a_respect_plan_shows_each_of_its_sections_accessibly(server: ApiServer, page: Page) -> None:
    gp, record_id = registered_with_gp(server)
    made = server.graphql(gp, RECOMMEND, id=record_id, input=recommendation_input(respect=RESPECT_INPUT))
    assert made["data"]["makeRecommendation"]["__typename"] == "RecordChanged", made
    page.goto(f"{server.url}/portal/sign-in")
    page.get_by_label("Access token").fill(server.token(**GP))
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{server.url}/portal/people/{record_id}")

    headings = page.get_by_role("heading", level=4).all_inner_texts()
    for heading in (
        "2. Shared understanding of their health and current condition",
        "3. What matters to them",
        "4. Clinical recommendations",
        "5. Capacity for involvement in making this plan",
        "7. Clinicians' signatures",
        "8. Emergency contacts and those involved",
    ):
        assert heading in headings, headings
    contacts = page.locator(
        "section.plan-section", has=page.get_by_role("heading", name="8. Emergency contacts")
    )
    assert "Ann Hale (daughter, attorney): 0115 496 0000. Primary contact" in contacts.inner_text()

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "respect-plan-sections.png"), full_page=True)
    violations = Axe().run(page).response["violations"]
    serious = [
        (v["id"], [n["target"] for n in v["nodes"]])
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], serious
