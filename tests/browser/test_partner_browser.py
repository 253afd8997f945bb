"""A partner user in a real browser (issue 21, "Done when": the partner scope passes the same
leak tests as the country scope, browser and AppTest).

A copy of the demo database gets a partner user (``accounts.users.add``, role ``partner``)
for the demo partner that delivered the most assistance; a second copy is made
partner-only (``tests.test_partner_scope.partner_only_copy``: everything the partner may not
see deleted). The partner signs in to a server on the first copy and walks every page of
``pages_for("partner")``: each page's known figure must equal the figure an unrestricted
session computes on the partner-only copy, and at least one must differ from the whole
programme's (else the test would prove nothing). Then the pages a partner has no right to
(data quality, import, administration) are opened by URL: Streamlit says "Page not found"
(they are never registered for the role) and none of their content shows.

The shared session demo database is never written: both copies are SQLite backups of it.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from tests.browser.conftest import (
    PAGE_TIMEOUT_MS,
    screenshot,
    serving,
    sign_in,
    sign_out,
    wait_ready,
)
from tests.browser.test_pages_browser import (
    CARD_OF_PAGE,
    CHARTS_DRAWN,
    expect_text,
    metric_value,
    open_page,
)

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
USERNAME, PASSWORD = "partner-user", "partner-browser-pass-1"
# The partner page's first card; the other pages' cards are those of the other roles' walk.
CARDS = {**CARD_OF_PAGE, "pages/partners.py": "REF-1"}
FORBIDDEN = {  # slug -> a text only that page shows
    "data_quality": "Records with a problem",
    "import_data": "Drag and drop",
    "administration": "Users",
}


def _backup(url: str, to: Path) -> str:
    """A consistent copy of the SQLite database at ``url`` (the backup API: the server of
    the session may be reading it)."""
    path = make_url(url).database
    assert path, url
    source = sqlite3.connect(path)
    target = sqlite3.connect(to)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    return f"sqlite:///{to}"


def _busiest_partner(url: str) -> int:
    from data_access import db
    from data_access.models import Assistance
    from data_access.scope import Scope

    with db.session(url, Scope.everything()) as s:
        row = s.execute(select(Assistance.partner_id, func.count()).where(
            Assistance.partner_id.is_not(None)).group_by(Assistance.partner_id)
            .order_by(func.count().desc(), Assistance.partner_id)).first()
    assert row is not None and row[0] is not None, "no assistance delivered by a partner"
    return int(row[0])


class Expected:
    """The figures a partner's pages must show: computed with no scope at all on the
    partner-only copy, over that copy's whole period (the sidebar's default)."""

    def __init__(self, alone_url: str, full_url: str) -> None:
        from data_access import db, lookups
        from data_access.scope import Scope
        from metrics.filters import Filters
        from ui.filters import WHOLE, presets

        self.alone_url, self.full_url = alone_url, full_url
        with db.session(alone_url, Scope.everything()) as session:
            period = lookups.data_period(session)
        assert period is not None, "the partner delivered nothing in the demo"
        start, end = presets(*period)[WHOLE]
        self.filters = Filters(start, end, (), "quarter")

    def session(self, url: str | None = None):
        from data_access import db
        from data_access.scope import Scope

        s = db.session(url or self.alone_url, Scope.everything())
        return s

    def card(self, code: str, url: str | None = None) -> tuple[str, str]:
        import metrics
        from metrics import catalogue
        from views.format import by_kind

        spec = catalogue.get(code)
        with self.session(url) as session:
            session.info["analytics"] = False  # the copy's cubes are those of the whole demo
            row = metrics.compute(code, session, self.filters).iloc[0]
        return spec.title, by_kind(row["value"], spec.kind, row["value_note"])


@pytest.fixture(scope="module")
def partner_server(demo_db_url: str, tmp_path_factory: pytest.TempPathFactory
                   ) -> Iterator[tuple[str, int, Expected]]:
    from accounts import users
    from tests.test_partner_scope import partner_only_copy

    folder = tmp_path_factory.mktemp("partner_browser")
    full = _backup(demo_db_url, folder / "full.sqlite")
    alone = _backup(demo_db_url, folder / "alone.sqlite")
    partner = _busiest_partner(full)
    users.add(full, USERNAME, PASSWORD, "partner", partner=partner)
    partner_only_copy(alone, partner)
    expected = Expected(alone, full)
    with serving(folder, DATABASE_URL=full, DEMO_MODE="true",
                 USERS_FILE=str(folder / "users.yaml")) as server:
        yield server.base, partner, expected


def test_a_partner_sees_only_its_partners_figures_on_every_page(
        browser, partner_server: tuple[str, int, Expected]) -> None:
    from metrics import targets
    from ui.navigation import pages_for
    from views.format import number

    base, partner, expected = partner_server
    specs = [s for s in pages_for("partner") if (ROOT / s.path).is_file()]
    assert {Path(s.path).stem for s in specs}.isdisjoint(FORBIDDEN)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    differs = []
    try:
        page = context.new_page()
        page.goto(base)
        wait_ready(page)
        sign_in(page, USERNAME, PASSWORD)
        for n, spec in enumerate(specs):
            open_page(page, base, spec, default=n == 0)
            if spec.path in CARDS:
                code = CARDS[spec.path]
                title, text = expected.card(code)
                expect_text(metric_value(page, title), text)
                differs.append(expected.card(code, expected.full_url)[1] != text)
            elif spec.path == "pages/targets.py":
                with expected.session() as session:
                    rows = targets.progress(session, expected.filters)
                assert rows.empty  # the partner-only copy holds no target
                expect_text(metric_value(page, "Targets"), number(0))
            elif spec.path == "pages/caseload.py":
                from casework import caseload

                with expected.session() as session:
                    total = caseload.cases(
                        session, today=min(dt.date.today(), expected.filters.end), search="",
                        countries=(), sort="case_number", descending=False, limit=1).total
                page.get_by_text(re.compile(rf"Cases 1–\d+ of {total:,}\b")).wait_for()
                with expected.session(expected.full_url) as session:
                    everyone = caseload.cases(
                        session, today=min(dt.date.today(), expected.filters.end), search="",
                        countries=(), sort="case_number", descending=False, limit=1).total
                differs.append(everyone != total)
            else:
                pytest.fail(f"no known figure for {spec.path}: add one to this test")
            wait_ready(page)
            page.wait_for_function(CHARTS_DRAWN, timeout=PAGE_TIMEOUT_MS)
            assert page.locator('[data-testid="stException"]').count() == 0, spec.path
            assert page.get_by_text("Traceback").count() == 0, spec.path
            screenshot(page, f"partner_{Path(spec.path).stem}")
        assert any(differs), "every figure equals the whole programme's: nothing was scoped"

        # Pages a partner has no right to: a deep link shows none of their content.
        for slug, text in FORBIDDEN.items():
            page.goto(f"{base}/{slug}")
            wait_ready(page)
            page.get_by_text("Page not found").wait_for()  # Streamlit's dialog: not registered
            page.get_by_role("button", name="Sign out").wait_for()  # still signed in
            assert page.get_by_text(text, exact=True).count() == 0, slug
            assert page.locator('[data-testid="stFileUploader"]').count() == 0, slug
            assert page.locator(f'[data-testid="stSidebarNav"] a[href="{base}/{slug}"]'
                                ).count() == 0, slug
            screenshot(page, f"partner_deep_link_{slug}")
            page.keyboard.press("Escape")
            page.get_by_text("Page not found").wait_for(state="detached")
        sign_out(page)
    finally:
        context.close()
