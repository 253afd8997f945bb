"""Each demo role signs in in a real browser, sees its pages and one known figure; sign-out
then reload shows the sign-in form (the re-login cookie is gone)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from data_access import db
from data_access.models import Beneficiary
from data_access.scope import Scope
from tests.browser.conftest import screenshot, sign_in, sign_out, wait_ready
from ui.navigation import PAGES, pages_for

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]

ROLES = [  # username, password, role, countries seen (None: all)
    ("demo-admin", "admin-demo", "admin", None),
    ("demo-manager", "manager-demo", "manager", None),
    ("demo-donor", "donor-demo", "donor", None),
    ("demo-focal-ma", "focal-ma-demo", "focal_point", ("MA",)),
    ("demo-focal-tn", "focal-tn-demo", "focal_point", ("TN",)),
    ("demo-focal-sn", "focal-sn-demo", "focal_point", ("SN",)),
]


def registered(url: str, countries: tuple[str, ...] | None) -> int:
    """BEN-1 over the whole programme for the viewer's countries (the Overview card)."""
    with db.session(url, Scope.everything()) as session:
        stmt = select(func.count(Beneficiary.id))
        if countries:
            stmt = stmt.where(Beneficiary.country.in_(countries))
        return int(session.execute(stmt).scalar_one())


def nav_titles(page) -> list[str]:
    links = page.locator('[data-testid="stSidebarNav"] a')
    return [t.strip().splitlines()[-1].strip() for t in links.all_inner_texts()]


@pytest.mark.parametrize(("username", "password", "role", "countries"), ROLES,
                         ids=[r[0] for r in ROLES])
def test_each_demo_role_signs_in_and_sees_its_pages(page, app_server: str,
                                                    demo_db_url: str, username: str,
                                                    password: str, role: str,
                                                    countries: tuple[str, ...] | None) -> None:
    page.goto(app_server)
    wait_ready(page)
    page.get_by_text(username, exact=True).first.wait_for()  # demo accounts on the form
    screenshot(page, "login_form")
    sign_in(page, username, password)
    titles = nav_titles(page)
    expected = [spec.title for spec in pages_for(role) if (ROOT / spec.path).is_file()]
    assert sorted(titles) == sorted(expected), titles
    hidden = [spec.title for spec in PAGES if spec.title not in expected]
    assert not [t for t in hidden if t in titles]
    card = page.locator('[data-testid="stMetric"]').filter(has_text="Returnees registered")
    card.first.wait_for()
    value = card.first.locator('[data-testid="stMetricValue"]').inner_text()
    assert value.strip() == f"{registered(demo_db_url, countries):,}"
    screenshot(page, f"overview_{username}")


def test_sign_out_then_reload_shows_the_sign_in_form(page, app_server: str) -> None:
    page.goto(app_server)
    wait_ready(page)
    sign_in(page, "demo-manager", "manager-demo")
    # A reload while signed in keeps the session (the cookie signs in again).
    page.reload()
    wait_ready(page)
    page.get_by_role("button", name="Sign out").wait_for()
    sign_out(page)
    screenshot(page, "signed_out")
    page.reload()
    wait_ready(page)
    page.get_by_role("button", name="Sign in").wait_for()
    assert page.get_by_role("button", name="Sign out").count() == 0
    screenshot(page, "signed_out_reloaded")


def test_a_page_outside_the_role_is_not_found(page, app_server: str) -> None:
    page.goto(app_server)
    wait_ready(page)
    sign_in(page, "demo-donor", "donor-demo")
    page.goto(f"{app_server}/caseload")
    wait_ready(page)
    assert page.get_by_text("Case number").count() == 0
    screenshot(page, "donor_deep_link_caseload")
