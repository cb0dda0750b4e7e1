"""With its database down, the portal says so in its own style and asks the user to try again (it showed a bare
"Internal Server Error"); signed in, the user is still signed in when the database is back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from playwright.sync_api import Browser

from tests.e2e.own_postgres import OwnPostgres, own_postgres
from tests.e2e.test_api_end_to_end import GP
from tests.e2e.test_portal_pages import accessible, browser, sign_in  # noqa: F401 (a fixture)
from tests.support.api_server import ApiServer

SCHEMA = "portaldown"


@pytest.fixture
def database() -> Iterator[OwnPostgres]:
    with own_postgres() as started:
        connection = psycopg2.connect(started.database_url)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA {SCHEMA}")
        connection.close()
        yield started


def test_the_portal_with_its_database_down_asks_to_try_again_in_its_own_style(
    database: OwnPostgres,
    browser: Browser,  # noqa: F811
    tmp_path: Path,
) -> None:
    server = ApiServer(database.database_url, SCHEMA, tmp_path).start()
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        sign_in(page, server, GP)
        assert page.url.endswith("/portal/find")
        database.kill()
        answered = page.goto(f"{server.url}/portal/find")
        assert answered is not None and answered.status == 503
        assert (
            page.get_by_role("heading", level=1).inner_text() == "The care record cannot be reached just now"
        )
        main = page.get_by_role("main").inner_text()
        assert "Wait a minute, then try again." in main and "Internal Server Error" not in page.content()
        assert page.locator('link[href="/portal/portal.css"]').count() == 1, "the portal's own style"
        assert page.get_by_role("link", name="Try again").get_attribute("href") == "/portal/find"
        accessible(page, "database-down")

        database.start()
        page.get_by_role("link", name="Try again").click()
        assert page.get_by_role("heading", level=1).inner_text() == "Find a person", "still signed in"
    finally:
        context.close()
        server.stop()
