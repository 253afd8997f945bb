"""Sign-in through an identity provider, the parts below the browser: the e-mail look-up,
the settings' refusals, Streamlit's [auth] secrets made from them, the sign-in page with
either sign-in switched off. The whole flow against a real provider is in
tests/browser/test_oidc_browser.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from accounts import users
from accounts.users import User
from data_access.settings import SettingsError, load_settings
from ui import identity

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
GOOD_KEY = "Zq3v8N0pQe_r1L7xYc2uKfWm5sHbTj9aGd4oVn6iEyXw"  # random, test only
OIDC = {"AUTH_OIDC": "true",
        "OIDC_SERVER_METADATA_URL": "http://127.0.0.1:9/.well-known/openid-configuration",
        "OIDC_CLIENT_ID": "dashboard", "OIDC_CLIENT_SECRET": "s3cret",
        "OIDC_REDIRECT_URI": "https://dashboard.example.org/oauth2callback"}


def _users_yaml(path: Path, *people: User) -> Path:
    users.write_file(path, {u.username: u for u in people})
    return path


AMINA = User("amina", "Amina Diallo", "focal_point", ("SN",), email="Amina@Example.org")


@pytest.fixture
def users_file(tmp_path: Path) -> Path:
    return _users_yaml(tmp_path / "users.yaml", AMINA,
                       User("omar", "Omar", "manager", (), email="omar@example.org",
                            disabled=True),
                       User("nomail", "No mail", "admin", ()))


@pytest.fixture
def users_db(users_file: Path, make_database: Callable[[str, str], str]) -> str:
    """A database holding the users of ``users_file`` (users live in the database)."""
    url = make_database("sqlite", "oidc_users")
    users.import_file(url, users_file)
    return url


def test_by_email_ignores_case_and_spaces_and_skips_disabled(users_db: str) -> None:
    found = users.by_email(users_db, "  aMINA@example.ORG ")
    assert found is not None and found.username == "amina"
    assert found.role == "focal_point" and found.countries == ("SN",)
    assert users.by_email(users_db, "omar@example.org") is None  # disabled
    assert users.by_email(users_db, "") is None  # the users (and demo accounts) without one
    assert users.by_email(users_db, "stranger@example.org") is None


def test_an_email_is_never_two_users_so_a_sign_in_is_never_ambiguous(
        users_db: str, tmp_path: Path) -> None:
    twins = _users_yaml(tmp_path / "twins.yaml",
                        User("twin1", "Twin one", "donor", (), email="shared@example.org"),
                        User("twin2", "Twin two", "donor", (), email="SHARED@example.org"))
    with pytest.raises(users.UserError):
        users.import_file(users_db, twins)
    assert "twin1" not in users.stored(users_db) and "twin2" not in users.stored(users_db)
    with pytest.raises(users.UserError):  # nor can an added user take amina's address
        users.add(users_db, "copycat", "a-long-password-1", "donor", email="amina@example.org")
    still = users.by_email(users_db, "amina@example.org")
    assert still is not None and still.username == "amina"


def test_verified_means_a_true_claim_only() -> None:
    assert identity.verified({"email_verified": True})
    assert identity.verified({"email_verified": "true"})  # some providers send a string
    assert identity.verified({"email_verified": " TRUE "})
    for value in (False, "false", None, 1, "yes", "", [True]):
        assert not identity.verified({"email_verified": value}), value
    assert not identity.verified({})


def test_both_sign_ins_off_is_refused() -> None:
    settings = load_settings({"AUTH_PASSWORD": "false", "COOKIE_KEY": GOOD_KEY})
    with pytest.raises(SettingsError, match="both false, so nobody could sign in"):
        settings.check_for_serving()
    load_settings({"AUTH_PASSWORD": "false", "COOKIE_KEY": GOOD_KEY, **OIDC}) \
        .check_for_serving()
    load_settings({"COOKIE_KEY": GOOD_KEY}).check_for_serving()  # the default: passwords


def test_oidc_settings_missing_or_malformed_are_named() -> None:
    partial = {k: v for k, v in OIDC.items() if k not in ("OIDC_CLIENT_ID",
                                                            "OIDC_CLIENT_SECRET")}
    with pytest.raises(SettingsError,
                       match="OIDC_CLIENT_ID, OIDC_CLIENT_SECRET are not set"):
        load_settings({"COOKIE_KEY": GOOD_KEY, **partial}).check_for_serving()
    for bad in ("https://dashboard.example.org/", "dashboard.example.org/oauth2callback"):
        with pytest.raises(SettingsError, match="followed by /oauth2callback"):
            load_settings({"COOKIE_KEY": GOOD_KEY, **OIDC, "OIDC_REDIRECT_URI": bad}) \
                .check_for_serving()


def test_streamlit_gets_our_settings_and_a_cookie_key_of_its_own() -> None:
    settings = load_settings({"COOKIE_KEY": GOOD_KEY, **OIDC})
    section = identity.auth_section(settings)
    assert section["client_id"] == "dashboard" and section["client_secret"] == "s3cret"
    assert section["redirect_uri"] == OIDC["OIDC_REDIRECT_URI"]
    assert section["server_metadata_url"] == OIDC["OIDC_SERVER_METADATA_URL"]
    # Derived from COOKIE_KEY: stable, long, and not the key itself.
    assert section["cookie_secret"] == settings.oidc_cookie_secret()
    assert section["cookie_secret"] != GOOD_KEY and len(section["cookie_secret"]) == 64
    other = load_settings({"COOKIE_KEY": GOOD_KEY[::-1], **OIDC})
    assert other.oidc_cookie_secret() != settings.oidc_cookie_secret()


@pytest.fixture
def forget_streamlit_secrets() -> Iterator[None]:
    """The [auth] secrets the app merges are process-wide: gone after the test."""
    from streamlit.runtime.secrets import secrets_singleton

    yield
    secrets_singleton._programmatic_secrets = None
    secrets_singleton._reset()


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch, users_file: Path, users_db: str,
          forget_streamlit_secrets: None) -> Callable[..., object]:
    from streamlit.testing.v1 import AppTest

    url = users_db

    def start(**settings: str) -> AppTest:
        for name, value in {"DATABASE_URL": url, "DEMO_MODE": "false",
                            "USERS_FILE": str(users_file), "COOKIE_KEY": GOOD_KEY,
                            **settings}.items():
            monkeypatch.setenv(name, value)
        return AppTest.from_file(APP, default_timeout=60).run()
    return start


def test_the_app_refuses_to_start_with_both_sign_ins_off(serve) -> None:
    at = serve(AUTH_PASSWORD="false", AUTH_OIDC="false")
    assert "cannot start" in at.error[0].value
    assert "AUTH_PASSWORD and AUTH_OIDC are both false" in at.error[0].value
    assert not at.text_input and not at.button


def test_provider_only_shows_its_button_and_no_password_form(serve) -> None:
    from streamlit.runtime.secrets import secrets_singleton

    at = serve(AUTH_PASSWORD="false", OIDC_PROVIDER_NAME="Entra", **OIDC)
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in with Entra"]
    assert not [t for t in at.text_input if t.label in ("Username", "Password")]
    auth = secrets_singleton.get("auth")
    assert auth is not None and auth["client_id"] == "dashboard"


def test_both_on_offer_the_button_and_the_form(serve) -> None:
    at = serve(**OIDC)
    assert not at.exception
    assert "Sign in with your organisation's account" in [b.label for b in at.button]
    assert [t.label for t in at.text_input if t.label in ("Username", "Password")] == \
        ["Username", "Password"]


def test_passwords_only_is_the_page_of_before(serve) -> None:
    at = serve()
    assert not at.exception
    assert not [b for b in at.button if b.label.startswith("Sign in with")]
    assert [t.label for t in at.text_input if t.label in ("Username", "Password")] == \
        ["Username", "Password"]


def test_an_identity_issued_before_the_users_last_sign_out_is_not_taken(
        make_database: Callable[[str, str], str]) -> None:
    import datetime as dt

    from accounts import login_sessions

    url = make_database("sqlite", "oidc_iat")
    amina = User("amina", "Amina Diallo", "focal_point", ("SN",), email="amina@example.org")
    t0 = dt.datetime(2026, 3, 1, 9, 0, 0)
    at = t0.replace(tzinfo=dt.UTC).timestamp()
    assert not identity._before_sign_out(url, amina, {"iat": at})  # never signed out
    assert identity._before_sign_out(url, amina, {})  # no iat: not taken
    assert identity._before_sign_out(url, amina, {"iat": "soon"})
    login_sessions.create(url, "amina", "", 1, now=t0)
    login_sessions.revoke_user(url, "amina", "button", now=t0 + dt.timedelta(minutes=5))
    assert identity._before_sign_out(url, amina, {"iat": at})  # issued before: refused
    assert identity._before_sign_out(url, amina, {"iat": at + 298})
    assert not identity._before_sign_out(url, amina, {"iat": at + 300})  # the same second
    assert not identity._before_sign_out(url, amina, {"iat": at + 600})  # signed in since
    other = User("omar", "Omar", "manager", (), email="omar@example.org")
    assert not identity._before_sign_out(url, other, {"iat": at})  # someone else's
