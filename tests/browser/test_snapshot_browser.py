"""An import from another process shows on the next click (issue 9), in a real browser.

The served dashboard caches figures per process; an import run with ``manage.py import``
(another process) cannot clear that cache. The data version in the cache key makes the
next run with the same filters read the new figures, not the ones cached before.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot, serving, sign_in, sign_out, wait_ready
from tests.browser.test_pages_browser import expect_text, metric_value
from tests.test_import import CLEAN, do_import, workbook_bytes
from tests.test_snapshot import BATCH, SIZE

pytestmark = pytest.mark.browser


def test_an_import_by_another_process_shows_on_the_next_click(
        page, make_database, tmp_path) -> None:
    url = make_database("sqlite", "browser_snapshot")
    assert do_import(url, workbook_bytes(CLEAN)).ok
    with serving(tmp_path, DATABASE_URL=url, DEMO_MODE="true",
                 USERS_FILE=str(tmp_path / "users.yaml")) as server:
        page.goto(server.base)
        wait_ready(page)
        page.goto(server.base)  # a fresh server's first session draws the form twice
        sign_in(page, "demo-manager", "manager-demo")
        registered = metric_value(page, "Returnees registered")
        expect_text(registered, "3")

        report = do_import(url, BATCH, "batch.xlsx")  # this process, not the server's
        assert report.ok, report.problems[:3]
        # Rerun with the same filters (Streamlit's "r" key): the figures cached for them
        # are of an older data version, so the run reads the database again.
        page.get_by_role("heading", name="Overview").first.click()
        page.keyboard.press("r")
        expect_text(metric_value(page, "Returnees registered"), str(3 + SIZE))
        expect_text(metric_value(page, "Returnees assisted"), str(2 + SIZE))
        screenshot(page, "overview_after_an_import_elsewhere")
        sign_out(page)
