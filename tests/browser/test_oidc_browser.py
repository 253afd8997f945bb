"""Sign-in through an identity provider, end to end: a local OpenID Connect provider
(``oidc-provider-mock``, on loopback, started here) and the dashboard served by
``streamlit run`` against it, in Debian's chromium.

- a known user's verified e-mail signs in (the e-mail in another case than the users
  file's), with the role and countries of the users file: a Senegal focal point sees the
  focal point's pages and Senegal's figure only, whatever the provider's claims say;
  signing out forgets the provider's identity (a reload shows the sign-in page);
- an e-mail no user has is refused with a message and a ``sign_in_failed`` audit entry;
- a known user's e-mail the provider does not mark verified is refused and audited;
- signing out ends the provider's sign-in in another browser too, even on a reload
  (Streamlit's identity cookie would sign it in again): it must sign in afresh;
- with AUTH_PASSWORD off there is no password form; with both on, both are offered.
"""

from __future__ import annotations

import json
import secrets
import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from accounts import audit
from accounts.users import User, import_file, write_file
from tests.browser.conftest import Server, screenshot, serving, sign_in, wait_ready
from tests.browser.test_login import nav_titles, registered
from ui.navigation import pages_for

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]

FOCAL = User("awa", "Awa Ndiaye", "focal_point", ("SN",), email="Awa.Ndiaye@Example.org")
UNVERIFIED = User("moussa", "Moussa Fall", "manager", (), email="moussa@example.org")
PASSWORD_USER = User("fatou", "Fatou Sow", "admin", (), email="fatou@example.org",
                     password_hash="$2b$12$IOSKiBQP0d.poXyKSskkUuusESV/NJS7fJIc4RZJXPWvQ.GPnwih2")
STRANGER = "stranger@example.org"


def put_user(base: str, sub: str, claims: dict[str, object]) -> None:
    """Set the claims the provider gives for ``sub`` (the mock's own API)."""
    request = urllib.request.Request(f"{base}/users/{quote(sub)}", method="PUT",
                                     data=json.dumps(claims).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 204


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    import oidc_provider_mock

    with oidc_provider_mock.run_server_in_thread() as server:
        base = f"http://localhost:{server.server_port}"
        # The provider claims a role and countries too: the dashboard must ignore them.
        put_user(base, "awa", {"email": "awa.ndiaye@example.org", "email_verified": True,
                               "name": "Awa", "roles": ["admin"], "countries": []})
        put_user(base, "moussa", {"email": "moussa@example.org", "email_verified": False})
        put_user(base, "stranger", {"email": STRANGER, "email_verified": True})
        yield base


def _settings(provider: str, users_file: Path, db_url: str, *, password: bool) -> dict[str, str]:
    return {"DATABASE_URL": db_url, "DEMO_MODE": "false",
            "COOKIE_KEY": secrets.token_urlsafe(48), "USERS_FILE": str(users_file),
            "AUTH_PASSWORD": "true" if password else "false", "AUTH_OIDC": "true",
            "OIDC_SERVER_METADATA_URL": f"{provider}/.well-known/openid-configuration",
            "OIDC_CLIENT_ID": "dashboard", "OIDC_CLIENT_SECRET": "dashboard-secret",
            "OIDC_REDIRECT_URI": "http://127.0.0.1:{port}/oauth2callback",
            "OIDC_PROVIDER_NAME": "Mock ID"}


@pytest.fixture(scope="module")
def users_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("oidc_users") / "users.yaml"
    write_file(path, {u.username: u for u in (FOCAL, UNVERIFIED, PASSWORD_USER)})
    return path


@pytest.fixture(scope="module")
def oidc_db_url(demo_db_url: str, users_file: Path,
                tmp_path_factory: pytest.TempPathFactory) -> str:
    """A copy of the demo database holding these users (users live in the database; the
    session's demo database stays as the other browser tests expect it)."""
    from data_access import db

    db.dispose_engine(demo_db_url)
    copy = tmp_path_factory.mktemp("oidc_db") / "oidc.db"
    shutil.copyfile(demo_db_url.removeprefix("sqlite:///"), copy)
    url = f"sqlite:///{copy}"
    import_file(url, users_file)
    return url


@pytest.fixture(scope="module")
def oidc_only(provider: str, users_file: Path, oidc_db_url: str,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("oidc_server")
    with serving(folder, **_settings(provider, users_file, oidc_db_url,
                                     password=False)) as server:
        yield server


def provider_sign_in(page, base: str, sub: str) -> None:
    """From the dashboard's sign-in page, through the provider's form, back again."""
    page.goto(base)
    wait_ready(page)
    for attempt in range(3):
        # A click that lands while a rerun replaces the button is lost (as conftest's
        # sign_in says of the form): click again, at most three times.
        page.get_by_role("button", name="Sign in with Mock ID").click()
        try:
            page.wait_for_url("**/oauth2/authorize**", timeout=10_000)
            break
        except Exception:
            if attempt == 2:
                screenshot(page, f"oidc_sign_in_failed_{sub}")
                raise
            wait_ready(page)
    page.locator('input[name="sub"]').fill(sub)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{base}/**")
    wait_ready(page)


def failures(url: str, email: str) -> list[audit.Event]:
    return [e for e in audit.events(url) if e.action == audit.SIGN_IN_FAILED
            and e.username == email and e.detail.get("method") == "oidc"]


def test_password_form_is_hidden_when_password_sign_in_is_off(page, oidc_only: Server
                                                              ) -> None:
    page.goto(oidc_only.base)
    wait_ready(page)
    page.get_by_role("button", name="Sign in with Mock ID").wait_for()
    assert page.locator("input[type=password]").count() == 0
    assert page.get_by_label("Username").count() == 0
    screenshot(page, "oidc_sign_in_only")


def test_a_known_verified_email_signs_in_with_the_users_role_and_country(
        page, oidc_only: Server, oidc_db_url: str) -> None:
    provider_sign_in(page, oidc_only.base, "awa")
    page.get_by_role("button", name="Sign out").wait_for()
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert "Awa Ndiaye" in sidebar.inner_text()  # the users file's name, not the provider's
    titles = nav_titles(page)
    expected = [s.title for s in pages_for("focal_point") if (ROOT / s.path).is_file()]
    assert sorted(titles) == sorted(expected), titles  # not the admin's pages it claimed
    card = page.locator('[data-testid="stMetric"]').filter(has_text="Returnees registered")
    card.first.wait_for()
    value = card.first.locator('[data-testid="stMetricValue"]').inner_text()
    assert value.strip() == f"{registered(oidc_db_url, ('SN',)):,}"
    assert registered(oidc_db_url, ("SN",)) < registered(oidc_db_url, None)
    screenshot(page, "oidc_focal_point_sn")
    signed_in = [e for e in audit.events(oidc_db_url)
                 if e.action == audit.SIGN_IN and e.username == "awa"]
    assert signed_in and signed_in[-1].detail.get("method") == "oidc"

    # A reload keeps the identity (Streamlit's cookie), and so the sign-in.
    page.reload()
    wait_ready(page)
    page.get_by_role("button", name="Sign out").wait_for()

    # Signing out forgets the identity: through the provider's end-of-session page, back
    # to the sign-in page, which a reload keeps.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/oauth2/end_session**")
    page.get_by_role("button", name="End session").click()
    page.goto(oidc_only.base)
    wait_ready(page)
    page.get_by_role("button", name="Sign in with Mock ID").wait_for()
    assert page.get_by_role("button", name="Sign out").count() == 0
    page.reload()
    wait_ready(page)
    page.get_by_role("button", name="Sign in with Mock ID").wait_for()
    assert page.get_by_role("button", name="Sign out").count() == 0
    assert [e for e in audit.events(oidc_db_url)
            if e.action == audit.SIGN_OUT and e.username == "awa"]


def test_an_unknown_email_is_refused_and_audited(page, oidc_only: Server,
                                                 oidc_db_url: str) -> None:
    before = len(failures(oidc_db_url, STRANGER))
    provider_sign_in(page, oidc_only.base, "stranger")
    page.get_by_text("is not the e-mail address of a user").wait_for()
    assert STRANGER in page.locator('[data-testid="stAlert"]').first.inner_text()
    assert page.get_by_role("button", name="Sign out", exact=True).count() == 0
    assert page.locator('[data-testid="stSidebarNav"] a').count() == 0
    screenshot(page, "oidc_unknown_refused")
    refused = failures(oidc_db_url, STRANGER)
    assert len(refused) == before + 1
    assert refused[-1].detail.get("reason") == "unknown e-mail"
    # Another click in the same session is not audited again.
    page.reload()
    wait_ready(page)
    page.get_by_text("is not the e-mail address of a user").wait_for()


def test_an_unverified_email_is_refused_and_audited(page, oidc_only: Server,
                                                    oidc_db_url: str) -> None:
    before = len(failures(oidc_db_url, "moussa@example.org"))
    provider_sign_in(page, oidc_only.base, "moussa")
    page.get_by_text("does not say this e-mail address is verified").wait_for()
    assert page.get_by_role("button", name="Sign out", exact=True).count() == 0
    refused = failures(oidc_db_url, "moussa@example.org")
    assert len(refused) == before + 1
    assert refused[-1].detail.get("reason") == "e-mail not verified"
    screenshot(page, "oidc_unverified_refused")


def test_with_both_on_both_are_offered_and_a_password_still_signs_in(
        page, provider: str, users_file: Path, oidc_db_url: str,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("oidc_both")
    with serving(folder, **_settings(provider, users_file, oidc_db_url,
                                     password=True)) as server:
        page.goto(server.base)
        wait_ready(page)
        page.get_by_role("button", name="Sign in with Mock ID").wait_for()
        # The form is drawn after the button (and for a moment twice after a load).
        page.wait_for_function(
            "() => document.querySelectorAll('input[type=password]').length === 1")
        sign_in(page, "fatou", "admin-demo")
        assert "Fatou Sow" in page.locator('[data-testid="stSidebar"]').inner_text()


def test_signing_out_ends_the_sign_in_of_another_browser(browser, oidc_only: Server,
                                                          oidc_db_url: str) -> None:
    first, second = (browser.new_context(viewport={"width": 1400, "height": 1000})
                     for _ in range(2))
    try:
        one, two = first.new_page(), second.new_page()
        for tab in (one, two):
            tab.set_default_timeout(30_000)
            provider_sign_in(tab, oidc_only.base, "awa")
            tab.get_by_role("button", name="Sign out").wait_for()
        one.get_by_role("button", name="Sign out").click()
        one.wait_for_url("**/oauth2/end_session**")
        # The other browser still holds Streamlit's identity cookie; a reload (a new
        # session, no login session of ours) must not sign it in with it.
        two.reload()
        wait_ready(two)
        two.get_by_text("You have signed out since").wait_for()
        assert two.get_by_role("button", name="Sign out", exact=True).count() == 0
        screenshot(two, "oidc_signed_out_elsewhere")
        refused = failures(oidc_db_url, "awa.ndiaye@example.org")
        assert refused and refused[-1].detail.get("reason") == "signed out since"
        # Signing in at the provider again works.
        for attempt in range(3):
            two.get_by_role("button", name="Sign in with Mock ID").click()
            try:
                two.wait_for_url("**/oauth2/authorize**", timeout=10_000)
                break
            except Exception:
                if attempt == 2:
                    raise
                wait_ready(two)
        two.locator('input[name="sub"]').fill("awa")
        two.get_by_role("button", name="Authorize").click()
        two.get_by_role("button", name="Sign out").wait_for()
    finally:
        first.close()
        second.close()
