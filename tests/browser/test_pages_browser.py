"""Every demo role, every page it has, in a real browser (issue 9).

For each role: sign in, open each page of ``pages_for(role)`` through the sidebar, wait
until the run has finished, then check: no exception element, every chart drew (a canvas
or SVG of non-zero size), one known figure computed here with ``metrics.compute`` (or the
page's own data function) on the same database and the same scope, a screenshot in
test-artifacts/screenshots/. Then a table's CSV download holds the figures of that table,
a changed Period changes the figure, and the role signs out.

One server for the session (conftest ``app_server``), one browser, one context per role;
pages are visited in sequence.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pandas as pd
import pytest

from tests.browser.conftest import PAGE_TIMEOUT_MS, screenshot, sign_in, sign_out, wait_ready
from tests.test_pages import PAGES

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]

ROLES = [  # username, password
    ("demo-admin", "admin-demo"),
    ("demo-manager", "manager-demo"),
    ("demo-donor", "donor-demo"),
    ("demo-focal-ma", "focal-ma-demo"),
    ("demo-focal-tn", "focal-tn-demo"),
    ("demo-focal-sn", "focal-sn-demo"),
]

# The first KPI card of each page that has indicator cards: page file -> indicator code
# (tests/test_pages.py's table, plus the donor report's headline cards).
CARD_OF_PAGE = {**{path: code for path, code in PAGES.items() if code},
                "pages/donor_report.py": "BEN-1", "pages/partners.py": "REF-1"}

CHARTS_DRAWN = """() => {
  const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')];
  return charts.every(c => [...c.querySelectorAll('canvas, svg.marks')].some(el => {
    const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; }));
}"""


# --- what the page should show, computed here ---------------------------------------------

class Viewer:
    """A demo user's scope and default filters, and figures computed on the same DB."""

    def __init__(self, url: str, username: str) -> None:
        from accounts.users import demo_users
        from data_access import db, lookups
        from metrics.filters import Filters
        from ui.filters import WHOLE, presets
        from ui.viewer import scope_for

        self.url = url
        self.user = demo_users()[username]
        self.scope = scope_for(self.user)
        with db.session(url, self.scope) as session:
            period = lookups.data_period(session)
        assert period is not None, "the demo database is empty"
        self.first, self.last = period
        countries = self.scope.narrow(()) if self.scope.countries is not None else ()
        # The sidebar's default: the whole programme, widened to whole months.
        start, end = presets(self.first, self.last)[WHOLE]
        self.filters = Filters(start, end, countries, "quarter")

    def session(self):
        from data_access import db

        return db.session(self.url, self.scope)

    def card(self, code: str, filters=None) -> tuple[str, str]:
        """(card title, card text) of an indicator's KPI card."""
        import metrics
        from metrics import catalogue
        from views.format import by_kind

        spec = catalogue.get(code)
        with self.session() as session:
            row = metrics.compute(code, session, filters or self.filters).iloc[0]
        return spec.title, by_kind(row["value"], spec.kind, row["value_note"])

    def last_12_months(self):
        from ui.filters import LAST_12, presets

        start, end = presets(self.first, self.last)[LAST_12]
        return self.filters.with_period(start, end)


def metric_value(page, title: str):
    label = page.locator('[data-testid="stMetricLabel"]').filter(
        has_text=re.compile(rf"^\s*{re.escape(title)}\s*$"))
    return page.locator('[data-testid="stMetric"]').filter(has=label).first.locator(
        '[data-testid="stMetricValue"]')


def expect_text(locator, text: str) -> None:
    from playwright.sync_api import expect

    expect(locator).to_have_text(text, timeout=PAGE_TIMEOUT_MS)


def expect_contains(locator, text: str) -> None:
    from playwright.sync_api import expect

    expect(locator).to_contain_text(text, timeout=PAGE_TIMEOUT_MS)


def check_known_figure(page, viewer: Viewer, path: str) -> None:
    """One figure of the page equals what the metrics compute for this viewer."""
    from views.format import number

    if path in CARD_OF_PAGE:
        title, text = viewer.card(CARD_OF_PAGE[path])
        expect_text(metric_value(page, title), text)
    elif path == "pages/targets.py":
        expect_text(metric_value(page, "Targets"), number(targets_in_force(viewer)))
    elif path == "pages/data_quality.py":
        from metrics import quality

        with viewer.session() as session:
            problems = quality.checks(session, viewer.filters)["value"].sum()
        expect_text(metric_value(page, "Records with a problem"), number(problems))
    elif path == "pages/caseload.py":
        from casework import caseload
        with viewer.session() as session:
            total = caseload.cases(session, today=min(dt.date.today(), viewer.filters.end),
                                   search="", countries=viewer.filters.countries,
                                   sort="case_number", descending=False, limit=1).total
        page.get_by_text(re.compile(rf"Cases 1–\d+ of {total:,}\b")).wait_for()
    elif path == "pages/administration.py":
        # The users table (its accessible copy in the DOM) lists every demo account.
        from accounts.users import demo_users

        grid = page.locator('[data-testid="stDataFrame"] table').first
        for name in demo_users():
            expect_contains(grid, name)
    elif path == "pages/import_data.py":
        page.locator('[data-testid="stFileUploader"]').first.wait_for()
    else:
        pytest.fail(f"no known figure for {path}: add one to check_known_figure")


def targets_in_force(viewer: Viewer) -> int:
    """The Targets card: indicator x country targets in force at the end of the period."""
    from metrics import targets

    with viewer.session() as session:
        rows = targets.progress(session, viewer.filters)
    if rows.empty:
        return 0
    # One target per indicator and country (the first ending on or after the period's end).
    return int(rows.groupby(["indicator", "country"], dropna=False).ngroups)


def open_page(page, base: str, spec, default: bool = False) -> None:
    """Open a page through its sidebar link (same session) and wait for the run to end.
    The default page (the role's first) lives at the base URL."""
    slug = "" if default else Path(spec.path).stem
    # The filters ride along in the query string (?by=month&period=…): compare the path.
    here = page.url.split("?")[0].rstrip("/")
    if here != f"{base}/{slug}".rstrip("/"):
        page.locator(f'[data-testid="stSidebarNav"] a[href="{base}/{slug}"]').first.click()
        page.wait_for_url(re.compile("^" + re.escape(f"{base}/{slug}") + r"/?(\?.*)?$"),
                          timeout=PAGE_TIMEOUT_MS)
    wait_ready(page)


def check_page(page, viewer: Viewer, spec, username: str) -> None:
    check_known_figure(page, viewer, spec.path)
    wait_ready(page)
    page.wait_for_function(CHARTS_DRAWN, timeout=PAGE_TIMEOUT_MS)
    assert page.locator('[data-testid="stException"]').count() == 0, spec.path
    assert page.get_by_text("Traceback").count() == 0, spec.path
    screenshot(page, f"{username}_{Path(spec.path).stem}")


def download_csv(page, stem_prefix: str) -> pd.DataFrame:
    """Open the Download popover of the table whose export stem starts with
    ``stem_prefix`` and download its CSV; the parsed table. The header is the file's first
    line (issue 16) and the file name says what, where and when."""
    popover = page.locator(f'[class*="st-key-dlp-{stem_prefix}"]').first
    popover.scroll_into_view_if_needed()
    popover.get_by_role("button", name=re.compile("Download")).click()
    button = page.locator('[data-testid="stPopoverBody"]').get_by_role("button", name="CSV",
                                                                      exact=True)
    button.wait_for()
    with page.expect_download(timeout=PAGE_TIMEOUT_MS) as info:
        button.click()
    content = Path(info.value.path()).read_bytes().decode("utf-8-sig")
    assert info.value.suggested_filename.startswith(stem_prefix)
    page.keyboard.press("Escape")
    assert not content.startswith("#"), content[:500]
    return pd.read_csv(io.StringIO(content), dtype=str, keep_default_na=False)


def expected_grants_table(viewer: Viewer) -> pd.DataFrame:
    """The Projects page's "grants by sector" table, as pages/projects.py formats it."""
    import metrics
    from ui import page as page_module

    with viewer.session() as session:
        by_sector = metrics.compute("ASS-2", session, viewer.filters, ("sector",))
    return page_module.formatted(by_sector, ["sector"], {
        "records": ("Records with an amount", "count"), "value": ("Total (EUR)", "money"),
        "mean": ("Mean (EUR)", "money")})


def choose_period(page, name: re.Pattern[str]) -> None:
    """Pick a Period in the sidebar (a react-aria combobox: open it, click the item)."""
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Period").first
    combo = box.get_by_role("combobox")
    for _attempt in range(3):  # a click may first close a popover left open
        combo.click()
        if combo.get_attribute("aria-expanded") == "true":
            break
        page.wait_for_timeout(300)
    page.locator('[role="option"]').get_by_text(name).first.click()


@pytest.mark.parametrize(("username", "password"), ROLES, ids=[r[0] for r in ROLES])
def test_every_page_of_every_role(browser, app_server: str, demo_db_url: str,
                                  username: str, password: str) -> None:
    from ui.navigation import pages_for

    viewer = Viewer(demo_db_url, username)
    specs = [s for s in pages_for(viewer.user.role) if (ROOT / s.path).is_file()]
    context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                  accept_downloads=True)
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto(app_server)
        wait_ready(page)
        sign_in(page, username, password)
        for number, spec in enumerate(specs):
            open_page(page, app_server, spec, default=number == 0)
            check_page(page, viewer, spec, username)

        # A table's CSV holds exactly the figures the table shows.
        projects = next(s for s in specs if s.path == "pages/projects.py")
        open_page(page, app_server, projects)
        table = download_csv(page, "grants_by_sector_")
        expected = expected_grants_table(viewer)
        assert list(table.columns) == list(expected.columns)
        assert sorted(map(tuple, table.astype(str).values.tolist())) == \
            sorted(map(tuple, expected.astype(str).values.tolist()))

        # Another period: the figure follows.
        before = viewer.card("ASS-1")
        after = viewer.card("ASS-1", viewer.last_12_months())
        assert before != after, "the demo data should differ between the two periods"
        choose_period(page, re.compile(r"^Last 12 months"))
        expect_text(metric_value(page, after[0]), after[1])
        wait_ready(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        screenshot(page, f"{username}_projects_last_12_months")

        sign_out(page)
        assert page.get_by_role("button", name="Sign out").count() == 0
    finally:
        context.close()
