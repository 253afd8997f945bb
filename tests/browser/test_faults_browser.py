"""When things break, in a real browser (issue 9).

- Signed out, a page URL opened directly shows only the sign-in form.
- A malformed setting: every URL says "The dashboard cannot start" with the reason, and
  nothing else.
- PostgreSQL down at start and mid-session: a plain message naming what to check, no stack
  trace; when the server is back, the next click works without restarting the dashboard.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import (
    PAGE_TIMEOUT_MS,
    screenshot,
    serving,
    sign_in,
    sign_out,
    wait_ready,
)
from tests.browser.test_pages_browser import Viewer, choose_period, expect_text, metric_value

pytestmark = pytest.mark.browser

PAGE_CONTENT = ['[data-testid="stMetric"]', '[data-testid="stVegaLiteChart"]',
                '[data-testid="stDataFrame"]', '[data-testid="stSidebarNav"]',
                '[data-testid="stFileUploader"]', '[data-testid="stException"]']


def assert_no_page_content(page) -> None:
    for selector in PAGE_CONTENT:
        assert page.locator(selector).count() == 0, selector
    text = page.inner_text("body")
    for words in ("How many returnees", "Who are our cases", "Who can sign in",
                  "Returnees registered", "Traceback", "Sign out"):
        assert words not in text, words


@pytest.fixture
def tab(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def warm_server(app_server: str, browser) -> str:
    """The session server once some session has run app.py (see the next test)."""
    context = browser.new_context()
    tab = context.new_page()
    tab.goto(app_server)
    wait_ready(tab)
    tab.get_by_role("button", name="Sign in").wait_for()
    context.close()
    return app_server


@pytest.mark.parametrize("path", ["overview", "caseload", "administration"])
def test_signed_out_a_page_url_shows_only_the_sign_in_form(tab, warm_server: str,
                                                           path: str) -> None:
    tab.goto(f"{warm_server}/{path}")
    wait_ready(tab)
    tab.get_by_role("button", name="Sign in").wait_for()
    tab.wait_for_timeout(500)  # a late page script would have drawn by now
    wait_ready(tab)
    assert_no_page_content(tab)
    screenshot(tab, f"signed_out_deep_link_{path}")


def test_first_visitor_of_a_fresh_server_on_a_page_url(tab, demo_db_url: str,
                                                       tmp_path) -> None:
    """Until some session has called st.navigation, Streamlit (1.67) serves a fresh
    process the old way: ``PagesManager.uses_pages_directory`` is True because pages/
    exists, so the very first session opened on /caseload runs pages/caseload.py itself,
    past app.py. Every page starts with ui.viewer.current_user() or ui.filters.current(),
    which send such a run back to app.py: the visitor gets the sign-in form only."""
    with serving(tmp_path, DATABASE_URL=demo_db_url, DEMO_MODE="true",
                 USERS_FILE=str(tmp_path / "users.yaml")) as server:
        tab.goto(f"{server.base}/caseload")
        wait_ready(tab)
        tab.wait_for_timeout(500)
        wait_ready(tab)
        screenshot(tab, "fresh_server_deep_link_caseload")
        for selector in PAGE_CONTENT[:3] + PAGE_CONTENT[4:]:  # no figure, table or chart
            assert tab.locator(selector).count() == 0, selector
        body = tab.inner_text("body")
        assert "Case number" not in body and "Returnees registered" not in body
        # ui.viewer.entered_through_app sends the page file back to app.py.
        assert tab.get_by_role("button", name="Sign in").count() == 1
        assert_no_page_content(tab)


def test_a_malformed_setting_stops_every_url_with_the_reason(tab, demo_db_url: str,
                                                             tmp_path) -> None:
    with serving(tmp_path, DATABASE_URL=demo_db_url, DEMO_MODE="true",
                 USERS_FILE=str(tmp_path / "users.yaml"), SUPPRESSION_THRESHOLD="abc") as server:
        for path in ("", "overview", "caseload", "administration", "sign-in", "error"):
            tab.goto(f"{server.base}/{path}")
            wait_ready(tab)
            alert = tab.get_by_text("The dashboard cannot start.")
            alert.wait_for()
            body = tab.inner_text("body")
            assert "SUPPRESSION_THRESHOLD='abc' is invalid" in body, body
            assert "Fix it in the environment or the settings file" in body
            assert tab.get_by_role("button", name="Sign in").count() == 0
            assert_no_page_content(tab)
        screenshot(tab, "malformed_setting")


@pytest.fixture(scope="module")
def pg_demo_url(pg_server) -> str:
    import demo
    from data_access import db
    url = pg_server.create_database("browser_faults")
    db.upgrade(url)
    demo.load(url, demo.generate(), progress=lambda _line: None)
    db.dispose_engine(url)
    return url


UNREACHABLE = "The database cannot be reached."
WHAT_TO_CHECK = "Check that the database server is running and that DATABASE_URL is right"


def assert_plain_outage(page) -> None:
    page.get_by_text(UNREACHABLE).first.wait_for()
    wait_ready(page)
    body = page.inner_text("body")
    assert WHAT_TO_CHECK in body, body
    assert "Traceback" not in body and 'File "' not in body
    assert page.locator('[data-testid="stException"]').count() == 0


def test_postgresql_down_at_start_and_mid_session(tab, pg_server, pg_demo_url: str,
                                                  tmp_path) -> None:
    viewer = Viewer(pg_demo_url, "demo-manager")
    pg_server.stop()
    try:
        with serving(tmp_path, DATABASE_URL=pg_demo_url, DEMO_MODE="true",
                     USERS_FILE=str(tmp_path / "users.yaml")) as server:
            # Down at start: the users are in the database, so nothing can be served but
            # a plain message that it cannot be reached (no sign-in form, no trace).
            tab.goto(server.base)
            wait_ready(tab)
            tab.goto(server.base)
            assert_plain_outage(tab)
            assert tab.get_by_label("Password").count() == 0
            screenshot(tab, "database_down_at_sign_in")

            # Back: the next try signs in, without restarting the dashboard.
            pg_server.start()
            tab.goto(server.base)
            sign_in(tab, "demo-manager", "manager-demo")
            title, text = viewer.card("BEN-1")
            expect_text(metric_value(tab, title), text)

            # Goes away mid-session: a click that needs the database says so plainly.
            pg_server.stop()
            choose_period(tab, re.compile(r"^2015$"))
            assert_plain_outage(tab)
            screenshot(tab, "database_down_mid_session")

            # Back: the next click works — here the sidebar link to another page (the
            # outage stopped the run before the filters were drawn; the links stay) — and
            # so do the filters after it.
            pg_server.start()
            tab.locator(f'[data-testid="stSidebarNav"] a[href="{server.base}/beneficiaries"]'
                        ).first.click()
            tab.wait_for_url(re.compile("^" + re.escape(f"{server.base}/beneficiaries")
                                        + r"(\?.*)?$"), timeout=PAGE_TIMEOUT_MS)
            wait_ready(tab)
            choose_period(tab, re.compile(r"^2016$"))
            from ui.filters import presets

            year = viewer.filters.with_period(*presets(viewer.first, viewer.last)["2016"])
            title, text = viewer.card("BEN-1", year)
            expect_text(metric_value(tab, title), text)
            wait_ready(tab)
            assert tab.get_by_text(UNREACHABLE).count() == 0
            assert tab.locator('[data-testid="stException"]').count() == 0
            screenshot(tab, "database_back")
            sign_out(tab)
    finally:
        pg_server.start()
