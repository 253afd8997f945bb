"""The Targets page's IATI download in a real browser (issue 20): a manager clicks it and
gets an IATI 2.03 file that validates and carries donor figures only; a donor's Targets
page has no such button."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from tests.browser.conftest import PAGE_TIMEOUT_MS, screenshot, sign_in, wait_ready

pytestmark = pytest.mark.browser


def _targets(page, base: str) -> None:
    page.locator(f'[data-testid="stSidebarNav"] a[href="{base}/targets"]').first.click()
    page.wait_for_url(re.compile("^" + re.escape(f"{base}/targets") + r"/?(\?.*)?$"),
                      timeout=PAGE_TIMEOUT_MS)
    wait_ready(page)


def test_a_manager_downloads_the_iati_file_a_donor_has_no_button(
        browser, app_server: str, demo_db_url: str) -> None:
    from data_access import db
    from data_access.scope import Scope
    from reports import iati

    button_name = "IATI results file (XML)"
    for username, password, sees in (("demo-manager", "manager-demo", True),
                                     ("demo-donor", "donor-demo", False)):
        context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                      accept_downloads=True)
        context.set_default_timeout(PAGE_TIMEOUT_MS)
        try:
            page = context.new_page()
            page.goto(app_server)
            wait_ready(page)
            sign_in(page, username, password)
            _targets(page, app_server)
            page.get_by_text("The logframe", exact=True).first.wait_for()
            button = page.get_by_role("button", name=re.compile(re.escape(button_name)))
            if not sees:
                assert button.count() == 0
                continue
            button.scroll_into_view_if_needed()
            with page.expect_download(timeout=PAGE_TIMEOUT_MS) as info:
                button.click()
            assert info.value.suggested_filename.startswith("iati_results_")
            content = Path(info.value.path()).read_bytes()
            screenshot(page, f"{username}_targets_iati")
        finally:
            context.close()
        assert iati.validate(content) == []
        # The manager's file holds the donor's figures: the same as built in a donor
        # session here (generated-datetime aside), not the manager's exact ones.
        donor = Scope(aggregates_only=True)
        with db.session(demo_db_url, donor) as session:
            expected = iati.build(session, iati.load_activity(iati.SCHEMA_DIR.parent.parent
                                                              / "exports"
                                                              / "iati_activity.yaml"),
                                  programme="x")
        actual_values = [a.get("value") for a in etree.fromstring(content).iter("actual")]
        expected_values = [a.get("value")
                           for a in etree.fromstring(expected.content).iter("actual")]
        assert actual_values == expected_values
        with db.session(demo_db_url, Scope.everything()) as session:
            exact = iati.build(session, iati.load_activity(iati.SCHEMA_DIR.parent.parent
                                                           / "exports"
                                                           / "iati_activity.yaml"),
                               programme="x")
        assert [a.get("value") for a in etree.fromstring(exact.content).iter("actual")] \
            != actual_values  # rounding and hiding made a difference somewhere
