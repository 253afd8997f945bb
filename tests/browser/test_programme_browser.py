"""Issue 18 in a real browser: a second programme file drives the whole dashboard.

A server with ``PROGRAMME_FILE=programmes/example_five.toml`` (Guinea, Nigeria, Ethiopia,
Iraq, Afghanistan; 2017–2021; donor quarters from February) on demo data drawn for that
programme. An administrator and Guinea's focal point each open every page they have (no
exception, every chart drawn, the page's known figure as computed here), the sidebar
offers the programme's countries and its own quarters, and picking one of those quarters
changes the figure to the one computed for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import (
    PAGE_TIMEOUT_MS,
    screenshot,
    serving,
    sign_in,
    sign_out,
    wait_ready,
)
from tests.browser.test_pages_browser import (
    Viewer,
    check_page,
    expect_text,
    metric_value,
    open_page,
)

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
FIVE = ROOT / "programmes" / "example_five.toml"
FIVE_NAMES = ("Guinea", "Nigeria", "Ethiopia", "Iraq", "Afghanistan")


@pytest.fixture(scope="module")
def five_programme() -> Iterator[None]:
    """This process reads the same programme file as the server (the figures computed
    here, the sidebar's presets)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("PROGRAMME_FILE", str(FIVE))
    yield
    mp.undo()


@pytest.fixture(scope="module")
def five_db_url(five_programme: None, make_database: Callable[[str, str], str]) -> str:
    import demo

    url = make_database("sqlite", "browser_five")
    demo.load(url, demo.generate(), progress=lambda _line: None)
    return url


@pytest.fixture(scope="module")
def five_server(five_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("five_server")
    with serving(folder, DATABASE_URL=five_db_url, DEMO_MODE="true",
                 USERS_FILE=str(folder / "users.yaml"), PROGRAMME_FILE=str(FIVE)) as server:
        yield server.base


@pytest.fixture(autouse=True)
def _keep_programme(five_programme: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # The settings are forgotten around every test; the module's environment stays.
    monkeypatch.setenv("PROGRAMME_FILE", str(FIVE))


def sidebar_options(page, label: str, typed: str = "") -> list[str]:
    """The options of a sidebar select box or multiselect (opened, ``typed`` typed to
    filter them — the list only renders the options in view —, read, closed)."""
    box = page.locator('[data-testid="stSidebar"]').locator(
        '[data-testid="stSelectbox"], [data-testid="stMultiSelect"]').filter(
        has_text=label).first
    combo = box.get_by_role("combobox")
    for _attempt in range(3):
        combo.click()
        if combo.get_attribute("aria-expanded") == "true":
            break
        page.wait_for_timeout(300)
    if typed:
        page.keyboard.type(typed)
        page.wait_for_timeout(800)
    else:
        page.locator('[role="option"]').first.wait_for()
    options = [t.strip() for t in page.locator('[role="option"]').all_inner_texts()]
    page.keyboard.press("Escape")
    return options


@pytest.mark.parametrize(("username", "password"), [
    ("demo-admin", "admin-demo"), ("demo-focal-gn", "focal-gn-demo")])
def test_every_page_under_the_second_programme(browser, five_server: str, five_db_url: str,
                                               username: str, password: str) -> None:
    from ui.filters import presets
    from ui.navigation import pages_for

    viewer = Viewer(five_db_url, username)
    specs = [s for s in pages_for(viewer.user.role) if (ROOT / s.path).is_file()]
    context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                  accept_downloads=True)
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto(five_server)
        wait_ready(page)
        page.get_by_text("Example – Sustainable reintegration in five countries").first \
            .wait_for()
        sign_in(page, username, password)
        for number, spec in enumerate(specs):
            open_page(page, five_server, spec, default=number == 0)
            check_page(page, viewer, spec, f"five_{username}")

        countries = [c for c in sidebar_options(page, "Countries") if c != "Select all"]
        if viewer.user.role == "focal_point":
            assert countries == ["Guinea"], countries
        else:
            assert sorted(countries) == sorted(FIVE_NAMES), countries
        assert sidebar_options(page, "Period", "Y5 Q")[:3] == ["Y5 Q3", "Y5 Q2", "Y5 Q1"]
        assert sidebar_options(page, "Period", "Y1 Q1") == ["Y1 Q1"]
        assert sidebar_options(page, "Period", "Q3 20") == ["No results"]  # no calendar Q

        # One of the programme's own quarters: the figure follows.
        projects = next(s for s in specs if s.path == "pages/projects.py")
        open_page(page, five_server, projects)
        start, end = presets(viewer.first, viewer.last)["Y4 Q4"]
        quarter = viewer.filters.with_period(start, end)
        title, text = viewer.card("ASS-1", quarter)
        assert (title, text) != viewer.card("ASS-1")
        combo = page.locator('[data-testid="stSelectbox"]').filter(
            has_text="Period").first.get_by_role("combobox")
        combo.click()
        page.keyboard.type("Y4 Q4")
        page.locator('[role="option"]').get_by_text(re.compile(r"^Y4 Q4$")).first.click()
        expect_text(metric_value(page, title), text)
        wait_ready(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert "period=Y4-Q4" in page.url
        screenshot(page, f"five_{username}_projects_Y4_Q4")

        sign_out(page)
    finally:
        context.close()
