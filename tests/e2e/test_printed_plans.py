"""The form that travels with the person (issue 14 item 4): each kind of plan printed in its national form's
layout, as a page (print stylesheet, nothing fetched) and as a PDF the server makes with Debian's chromium, read
back as text; every print recorded as the person page's reads are; a 503 page where chromium is missing."""

from __future__ import annotations

import io
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, sync_playwright
from pypdf import PdfReader

from carerecord_graphql.portal.print_forms import DNACPR_HEADINGS, RESPECT_HEADINGS, TEP_HEADINGS
from tests.e2e.test_api_end_to_end import (
    ASSURANCE,
    GP,
    HISTORY,
    RECOMMEND,
    recommendation_input,
    registered_with_gp,
)
from tests.form_builders import DNACPR_INPUT, ESCALATION_INPUT, RESPECT_INPUT
from tests.support.api_server import ApiServer, errors, nodes

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
PLANS = "query($id: UUID!) { record(recordId: $id) { version currentPlans { planId } } }"


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


def a_plan(server: ApiServer, **fields: Any) -> tuple[str, str, str, int]:
    """A person registered with the GP, one plan made: the GP's token, the record, the plan and its version."""
    gp, record_id = registered_with_gp(server)
    made = server.graphql(gp, RECOMMEND, id=record_id, input=recommendation_input(**fields))
    assert made["data"]["makeRecommendation"]["__typename"] == "RecordChanged", made
    record = server.graphql(gp, PLANS, id=record_id)
    assert not errors(record), record
    plan_id = record["data"]["record"]["currentPlans"][0]["planId"]
    return gp, record_id, plan_id, record["data"]["record"]["version"]


def signed_in(page: Page, server: ApiServer) -> None:
    page.goto(f"{server.url}/portal/sign-in")
    page.get_by_label("Access token").fill(server.token(**GP))
    page.get_by_role("button", name="Sign in").click()


def pdf_text(page: Page, url: str, kept_as: str) -> str:
    """The PDF the server made, kept as a test artefact, as text."""
    response = page.request.get(url)
    assert response.status == 200, response.text()
    assert response.headers["content-type"] == "application/pdf"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / kept_as).write_bytes(response.body())
    reader = PdfReader(io.BytesIO(response.body()))
    return "\n".join(each.extract_text() for each in reader.pages)


def in_order(text: str, headings: tuple[str, ...]) -> list[int]:
    """Where each heading starts in the text (line breaks made by the PDF's layout read as spaces)."""
    flat = " ".join(text.replace("\u2019", "'").split())
    return [flat.find(" ".join(heading.split())) for heading in headings]


def serious_violations(page: Page) -> list[tuple[str, Any]]:
    violations = Axe().run(page).response["violations"]
    return [
        (v["id"], [n["target"] for n in v["nodes"]])
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


def test_a_respect_plan_prints_its_nine_sections_in_order_with_when_and_which_version(
    server: ApiServer, page: Page
) -> None:
    _, record_id, plan_id, version = a_plan(server, respect=RESPECT_INPUT)
    signed_in(page, server)
    page.goto(f"{server.url}/portal/people/{record_id}")
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    page.get_by_role("link", name="Print this plan").click()
    assert page.url == f"{server.url}/portal/people/{record_id}/plans/{plan_id}/print"
    page.wait_for_load_state("load")
    assert fetched == [page.url]  # the page alone: no stylesheet, image, font or script to fetch

    headings = page.get_by_role("heading", level=2).all_inner_texts()
    assert headings == list(RESPECT_HEADINGS), headings
    decision = page.locator(".decision")
    assert decision.inner_text() == "\u2715 DO NOT ATTEMPT CPR"
    # the inline stylesheet applied: its hash in the page's Content-Security-Policy matched it
    assert decision.evaluate("element => getComputedStyle(element).borderTopStyle") == "double"
    page.emulate_media(media="print")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "printed-respect-plan.png"), full_page=True)
    assert not page.get_by_role("link", name="Back to the record").is_visible()  # not on paper
    assert serious_violations(page) == []
    page.emulate_media(media="screen")
    assert serious_violations(page) == []

    text = pdf_text(
        page, f"{server.url}/portal/people/{record_id}/plans/{plan_id}/print.pdf", "printed-respect-plan.pdf"
    )
    found = in_order(text, RESPECT_HEADINGS)
    assert -1 not in found and found == sorted(found), (found, text)
    flat = " ".join(text.split())
    assert "Printed at " in flat and f"from version {version} of the record" in flat, flat
    assert "The record may have changed since this was printed" in flat, flat
    assert f"/portal/people/{record_id}" in flat.replace(" ", ""), flat  # where to check it
    assert (
        "DO NOT ATTEMPT CPR" in flat
        and "Page 1 of 2" in flat
        and "Margaret Hale" in flat
        and "943 476 5919" in flat
    )
    whose = "Margaret Hale, NHS number 943 476 5919"
    assert flat.count(whose) == 3, "at the head of both pages, and at the end"
    assert "being at home with her cat" in flat and "Ann Hale (daughter, attorney)" in flat

    looks = nodes(server.graphql(server.token(**ASSURANCE), HISTORY, id=record_id)["data"]["accessHistory"])
    printed = [(e["operation"], e["granted"], e["versionShown"]) for e in looks if "print" in e["operation"]]
    assert ("portal print", True, version) in printed and ("portal print pdf", True, version) in printed, (
        looks
    )


def test_a_treatment_escalation_plan_prints_in_its_own_layout(server: ApiServer, page: Page) -> None:
    _, tep_record, tep_plan, _ = a_plan(
        server, formType="TREATMENT_ESCALATION_PLAN", escalation=ESCALATION_INPUT
    )
    signed_in(page, server)
    page.goto(f"{server.url}/portal/people/{tep_record}/plans/{tep_plan}/print")
    assert page.get_by_role("heading", level=1).inner_text() == "Treatment escalation plan"
    assert page.get_by_role("heading", level=2).all_inner_texts() == ["Patient details", *TEP_HEADINGS]
    assert serious_violations(page) == []
    text = pdf_text(
        page, f"{server.url}/portal/people/{tep_record}/plans/{tep_plan}/print.pdf", "printed-tep.pdf"
    )
    found = in_order(text, TEP_HEADINGS)
    assert -1 not in found and found == sorted(found), (found, text)
    assert "Non-invasive ventilation (NIV): she found the mask distressing last time" in " ".join(
        text.split()
    )


def test_a_dnacpr_form_prints_in_the_national_adult_forms_boxes(server: ApiServer, page: Page) -> None:
    _, record_id, plan_id, _ = a_plan(
        server, formType="DNACPR", reasonCategory="PERSONS_INFORMED_REFUSAL", dnacpr=DNACPR_INPUT
    )
    signed_in(page, server)
    page.goto(f"{server.url}/portal/people/{record_id}/plans/{plan_id}/print")
    assert (
        "Adult Do Not Attempt Cardiopulmonary Resuscitation"
        in page.get_by_role("heading", level=1).inner_text()
    )
    assert page.get_by_role("heading", level=2).all_inner_texts() == ["Patient details", *DNACPR_HEADINGS]
    page.screenshot(path=str(SCREENSHOTS / "printed-dnacpr-form.png"), full_page=True)
    assert serious_violations(page) == []
    text = " ".join(
        pdf_text(
            page,
            f"{server.url}/portal/people/{record_id}/plans/{plan_id}/print.pdf",
            "printed-dnacpr-form.pdf",
        ).split()
    )
    found = in_order(text, DNACPR_HEADINGS)
    assert -1 not in found and found == sorted(found), (found, text)
    assert "no attempts at cardiopulmonary resuscitation (CPR) will be made" in text, text
    assert "Nurse Jones (district nurse)" in text and "Printed at " in text


def test_without_chromium_the_pdf_is_a_clear_503_page_and_the_form_still_prints_from_the_browser(
    test_database_url: str, fresh_schema: str, tmp_path: Path
) -> None:
    # the server's PATH holds its own virtual environment only: no chromium
    api = ApiServer(test_database_url, fresh_schema, tmp_path, PATH=str(Path(sys.executable).parent)).start()
    try:
        assert shutil.which("chromium", path=api.env["PATH"]) is None
        _, record_id, plan_id, _ = a_plan(api, respect=RESPECT_INPUT)
        with httpx.Client(base_url=api.url, timeout=30) as browser:
            csrf = browser.get("/portal/sign-in").text.split('name="csrf_token" value="')[1].split('"')[0]
            browser.post("/portal/sign-in", data={"token": api.token(**GP), "csrf_token": csrf})
            pdf = browser.get(f"/portal/people/{record_id}/plans/{plan_id}/print.pdf")
            form = browser.get(f"/portal/people/{record_id}/plans/{plan_id}/print")
        assert pdf.status_code == 503 and pdf.headers["content-type"].startswith("text/html")
        assert (
            "The PDF cannot be made just now" in pdf.text
            and "Chromium is not installed on this server" in pdf.text
        )
        assert f'href="/portal/people/{record_id}/plans/{plan_id}/print"' in pdf.text
        assert form.status_code == 200 and "1. This plan belongs to" in form.text
    finally:
        api.stop()
