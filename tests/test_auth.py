"""Sign-in, lockout, sign-out, the audit log and the demo-mode refusals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from data_access import audit, users
from data_access.settings import DEMO_COOKIE_KEY, SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
T0 = dt.datetime(2026, 3, 1, 9, 0, 0)


# --- demo accounts and refusals --------------------------------------------------------

def test_demo_passwords_match_their_hashes() -> None:
    for user, password in users.DEMO_ACCOUNTS:
        assert users.check_password(password, user.password_hash), user.username
        assert user.demo and user.username.startswith(users.DEMO_PREFIX)
    roles = sorted(u.role for u, _ in users.DEMO_ACCOUNTS)
    assert roles == ["admin", "donor", "focal_point", "focal_point", "focal_point", "manager"]
    assert sorted(c for u, _ in users.DEMO_ACCOUNTS for c in u.countries) == ["MA", "SN", "TN"]


def test_demo_accounts_exist_only_in_demo_mode(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    demo = load_settings({"DEMO_MODE": "true", "USERS_FILE": str(path)})
    real = load_settings({"DEMO_MODE": "false", "USERS_FILE": str(path),
                          "DATABASE_URL": "sqlite:////tmp/x.db", "COOKIE_KEY": "k" * 40})
    assert "demo-admin" in users.load(demo)
    assert users.load(real) == {}
    users.check_for_serving(real)  # nothing to refuse


def test_outside_demo_mode_demo_accounts_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    users.write_file(path, users.demo_users())
    settings = load_settings({"DEMO_MODE": "false", "USERS_FILE": str(path),
                              "COOKIE_KEY": "k" * 40})
    with pytest.raises(SettingsError, match="manage.py users remove demo-admin"):
        users.check_for_serving(settings)
    users.check_for_serving(load_settings({"DEMO_MODE": "true", "USERS_FILE": str(path)}))


def test_outside_demo_mode_the_demo_cookie_key_is_refused() -> None:
    settings = load_settings({"DEMO_MODE": "false", "COOKIE_KEY": DEMO_COOKIE_KEY,
                              "DATABASE_URL": "sqlite:////tmp/x.db"})
    with pytest.raises(SettingsError, match="demo key"):
        settings.check_for_serving()


def test_the_app_refuses_to_start_and_says_how_to_fix_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, empty_db_url: str) -> None:
    from streamlit.testing.v1 import AppTest

    path = tmp_path / "users.yaml"
    users.write_file(path, {"demo-donor": users.demo_users()["demo-donor"]})
    monkeypatch.setenv("DATABASE_URL", empty_db_url)
    monkeypatch.setenv("DEMO_MODE", "false")
    monkeypatch.setenv("USERS_FILE", str(path))
    monkeypatch.setenv("COOKIE_KEY", "x" * 48)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert "cannot start" in at.error[0].value and "users remove demo-donor" in at.error[0].value
    assert not at.text_input  # no sign-in form
    monkeypatch.setenv("COOKIE_KEY", DEMO_COOKIE_KEY)
    users.write_file(path, {})
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert "demo key" in at.error[0].value and not at.text_input


# --- lockout (data layer, both backends) -----------------------------------------------

def test_lockout_after_five_failures_and_unlock_after_the_window(empty_db_url: str) -> None:
    url = empty_db_url
    for i in range(4):
        audit.record(url, "amina", audit.SIGN_IN_FAILED, at=T0 + dt.timedelta(minutes=i))
    assert audit.locked_until(url, "amina", 5, 15, T0 + dt.timedelta(minutes=4)) is None
    fifth = T0 + dt.timedelta(minutes=5)
    audit.record(url, "amina", audit.SIGN_IN_FAILED, at=fifth)
    until = audit.locked_until(url, "amina", 5, 15, fifth + dt.timedelta(seconds=1))
    assert until == fifth + dt.timedelta(minutes=15)
    assert audit.locked_until(url, "amina", 5, 15, fifth + dt.timedelta(minutes=14)) == until
    # Refused attempts while locked do not extend the lock.
    audit.record(url, "amina", audit.SIGN_IN_LOCKED, at=fifth + dt.timedelta(minutes=10))
    assert audit.locked_until(url, "amina", 5, 15, fifth + dt.timedelta(minutes=15)) is None
    # Other usernames are not affected.
    assert audit.locked_until(url, "other", 5, 15, fifth + dt.timedelta(minutes=1)) is None
    # After the window one more failure does not lock again: the count starts afresh.
    later = fifth + dt.timedelta(minutes=16)
    audit.record(url, "amina", audit.SIGN_IN_FAILED, at=later)
    assert audit.locked_until(url, "amina", 5, 15, later) is None


def test_a_success_resets_the_count(empty_db_url: str) -> None:
    url = empty_db_url
    for i in range(4):
        audit.record(url, "amina", audit.SIGN_IN_FAILED, at=T0 + dt.timedelta(minutes=i))
    audit.record(url, "amina", audit.SIGN_IN, at=T0 + dt.timedelta(minutes=4))
    audit.record(url, "amina", audit.SIGN_IN_FAILED, at=T0 + dt.timedelta(minutes=5))
    assert audit.locked_until(url, "amina", 5, 15, T0 + dt.timedelta(minutes=6)) is None


def test_failures_spread_beyond_the_window_do_not_lock(empty_db_url: str) -> None:
    for i in range(5):
        audit.record(empty_db_url, "amina", audit.SIGN_IN_FAILED,
                     at=T0 + dt.timedelta(minutes=4 * i))
    assert audit.locked_until(empty_db_url, "amina", 5, 15,
                              T0 + dt.timedelta(minutes=17)) is None


def test_the_audit_log_refuses_personal_data(empty_db_url: str) -> None:
    with pytest.raises(ValueError, match="personal data"):
        audit.record(empty_db_url, "amina", audit.EXPORT, case_number="MA-1")
    with pytest.raises(ValueError, match="unknown audit action"):
        audit.record(empty_db_url, "amina", "coffee")
    audit.record(empty_db_url, "amina", audit.EXPORT, rows=3, countries=["SN"],
                 as_of=dt.date(2016, 1, 1))
    [event] = audit.events(empty_db_url, dt.date(2000, 1, 1))
    assert event.detail == {"rows": 3, "countries": ["SN"], "as_of": "2016-01-01"}


# --- the sign-in form, through the app -------------------------------------------------

@pytest.fixture
def app(empty_db_url: str, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> Callable[[], object]:
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DATABASE_URL", empty_db_url)
    monkeypatch.setenv("DEMO_MODE", "true")
    monkeypatch.setenv("USERS_FILE", str(tmp_path / "users.yaml"))

    def start() -> AppTest:
        return AppTest.from_file(APP, default_timeout=60).run()

    return start


def sign_in(at, username: str, password: str):  # type: ignore[no-untyped-def]
    at.text_input(key="auth_username").input(username)
    at.text_input(key="auth_password").input(password)
    return at.button[0].click().run()


def test_sign_in_and_the_audit_trail(app, empty_db_url: str) -> None:  # type: ignore[no-untyped-def]
    at = app()
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert "demo-focal-sn" in at.table[0].value.to_csv()  # demo accounts listed
    at = sign_in(at, "Demo-Focal-SN ", "focal-sn-demo")
    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state["authentication_status"] is True
    assert at.session_state["username"] == "demo-focal-sn"
    assert "Demo focal point Senegal" in " ".join(m.value for m in at.sidebar.markdown)
    actions = [(e.username, e.action) for e in audit.events(empty_db_url, T0.date())]
    assert actions == [("demo-focal-sn", audit.SIGN_IN)]
    # Sign-out (button, cookie, reload) is driven in the real browser:
    # tests/browser/test_login.py.


def test_wrong_password_and_unknown_user_get_the_same_answer(app) -> None:  # type: ignore[no-untyped-def]
    known = sign_in(app(), "demo-manager", "wrong-password")
    unknown = sign_in(app(), "nobody-here", "wrong-password")
    assert known.session_state["authentication_status"] is not True
    assert [e.value for e in known.error] == [e.value for e in unknown.error] == [
        "Username or password is incorrect."]


def test_lockout_through_the_form(app, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from ui import auth

    now = [T0]
    monkeypatch.setattr(auth, "clock", lambda: now[0])
    for name in ("demo-manager", "no-such-user"):
        at = app()
        for _ in range(5):
            at = sign_in(at, name, "wrong-password")
        locked = at.error[0].value
        assert "locked for 15 more minutes" in locked
        at = sign_in(at, name, "manager-demo")  # even the right password is refused
        assert at.session_state["authentication_status"] is not True
        assert "locked" in at.error[0].value
    # Same words whether the username exists or not: nothing to learn from the lock.
    now[0] = T0 + dt.timedelta(minutes=16)
    at = sign_in(app(), "demo-manager", "manager-demo")
    assert at.session_state["authentication_status"] is True


def test_a_disabled_user_is_signed_out_at_the_next_click(app, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                        empty_db_url: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "users.yaml"
    users.add(path, "amina", "a-long-password", "focal_point", countries=("SN",))
    at = sign_in(app(), "amina", "a-long-password")
    assert at.session_state["authentication_status"] is True
    users.set_disabled(path, "amina")
    from streamlit.testing.v1 import AppTest

    # The next run of a session that signed in as amina (a fresh run through app.py).
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "amina"
    at.run()
    assert at.session_state["authentication_status"] is None
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    at = sign_in(at, "amina", "a-long-password")
    assert at.session_state["authentication_status"] is not True
    assert ("amina", audit.SIGN_OUT) in [(e.username, e.action)
                                          for e in audit.events(empty_db_url, T0.date())]
