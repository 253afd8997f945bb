"""Sign-in, lockout, sign-out, the audit log and the demo-mode refusals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from accounts import audit, lockout, login_sessions, users
from data_access.settings import DEMO_COOKIE_KEY, SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
T0 = dt.datetime(2026, 3, 1, 9, 0, 0)
GOOD_KEY = "Zq3v8N0pQe_r1L7xYc2uKfWm5sHbTj9aGd4oVn6iEyXw"  # random, test only


# --- demo accounts and refusals --------------------------------------------------------

def test_demo_passwords_match_their_hashes() -> None:
    for user, password in users.demo_accounts():
        assert users.check_password(password, user.password_hash), user.username
        assert user.demo and user.username.startswith(users.DEMO_PREFIX)
    roles = sorted(u.role for u, _ in users.demo_accounts())
    assert roles == ["admin", "donor", "focal_point", "focal_point", "focal_point", "manager"]
    assert sorted(c for u, _ in users.demo_accounts() for c in u.countries) == ["MA", "SN", "TN"]


def test_demo_accounts_exist_only_in_demo_mode(empty_db_url: str) -> None:
    demo = load_settings({"DEMO_MODE": "true", "DATABASE_URL": empty_db_url})
    real = load_settings({"DEMO_MODE": "false", "DATABASE_URL": empty_db_url,
                          "COOKIE_KEY": "k" * 40})
    assert "demo-admin" in users.load(demo)
    assert users.load(real) == {}
    users.check_for_serving(real)  # nothing to refuse


def _import_demo_accounts(tmp_path: Path, url: str, names: list[str]) -> None:
    """Demo accounts stored in the database, as an imported old users file could do."""
    path = tmp_path / "demo-users.yaml"
    users.write_file(path, {n: users.demo_users()[n] for n in names})
    users.import_file(url, path)


def test_outside_demo_mode_demo_accounts_are_refused(tmp_path: Path,
                                                     empty_db_url: str) -> None:
    _import_demo_accounts(tmp_path, empty_db_url, sorted(users.demo_users()))
    settings = load_settings({"DEMO_MODE": "false", "DATABASE_URL": empty_db_url,
                              "COOKIE_KEY": "k" * 40})
    with pytest.raises(SettingsError, match="manage.py users remove demo-admin"):
        users.check_for_serving(settings)
    users.check_for_serving(load_settings({"DEMO_MODE": "true",
                                           "DATABASE_URL": empty_db_url}))


def test_outside_demo_mode_the_demo_cookie_key_is_refused() -> None:
    settings = load_settings({"DEMO_MODE": "false", "COOKIE_KEY": DEMO_COOKIE_KEY,
                              "DATABASE_URL": "sqlite:////tmp/x.db"})
    with pytest.raises(SettingsError, match="demo key"):
        settings.check_for_serving()


def test_the_app_refuses_to_start_and_says_how_to_fix_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, empty_db_url: str) -> None:
    from streamlit.testing.v1 import AppTest

    _import_demo_accounts(tmp_path, empty_db_url, ["demo-donor"])
    monkeypatch.setenv("DATABASE_URL", empty_db_url)
    monkeypatch.setenv("DEMO_MODE", "false")
    monkeypatch.setenv("COOKIE_KEY", GOOD_KEY)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert "cannot start" in at.error[0].value and "users remove demo-donor" in at.error[0].value
    assert not at.text_input  # no sign-in form
    monkeypatch.setenv("COOKIE_KEY", DEMO_COOKIE_KEY)
    users.remove(empty_db_url, "demo-donor")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert "demo key" in at.error[0].value and not at.text_input


# --- lockout (data layer, both backends) -----------------------------------------------

def attempts(url: str, name: str, times: list[dt.datetime], limit: int = 5,
             minutes: int = 15) -> list[lockout.Attempt]:
    return [lockout.begin(url, name, limit, minutes, at) for at in times]


def test_lockout_after_five_attempts_and_unlock_after_the_window(empty_db_url: str) -> None:
    url = empty_db_url
    first = attempts(url, "amina", [T0 + dt.timedelta(minutes=i) for i in range(4)])
    assert [a.number for a in first] == [1, 2, 3, 4] and all(a.allowed for a in first)
    assert all(a.locked_until is None for a in first)
    fifth_at = T0 + dt.timedelta(minutes=5)
    [fifth] = attempts(url, "amina", [fifth_at])
    # The fifth is still checked, and locks the username from now on (unless it is right).
    assert fifth.allowed and fifth.locked_until == fifth_at + dt.timedelta(minutes=15)
    assert lockout.locked_until(url, "amina", fifth_at + dt.timedelta(minutes=14)) == \
        fifth.locked_until
    # Attempts while locked are refused (no password check) and do not extend the lock.
    [refused] = attempts(url, "amina", [fifth_at + dt.timedelta(minutes=10)])
    assert not refused.allowed and refused.locked_until == fifth.locked_until
    # Other usernames are not affected.
    assert attempts(url, "other", [fifth_at])[0].number == 1
    # Once the lock is over the count starts afresh.
    [later] = attempts(url, "amina", [fifth_at + dt.timedelta(minutes=15)])
    assert later.allowed and later.number == 1 and later.locked_until is None
    assert lockout.locked_until(url, "amina", fifth_at + dt.timedelta(minutes=15)) is None


def test_a_success_forgives_the_attempts_before_it(empty_db_url: str) -> None:
    url = empty_db_url
    tries = attempts(url, "amina", [T0 + dt.timedelta(minutes=i) for i in range(5)])
    assert tries[-1].locked_until is not None
    lockout.succeeded(url, tries[-1])  # the fifth was the right password
    assert lockout.locked_until(url, "amina", T0 + dt.timedelta(minutes=6)) is None
    again = attempts(url, "amina", [T0 + dt.timedelta(minutes=6)])
    assert again[0].number == 1 and again[0].allowed


def test_a_success_in_a_burst_does_not_forgive_the_attempts_after_it(
        empty_db_url: str) -> None:
    url = empty_db_url
    burst = attempts(url, "amina", [T0] * 12)
    lockout.succeeded(url, burst[2])  # the third was right; nine more were counted after it
    [next_one] = attempts(url, "amina", [T0 + dt.timedelta(seconds=1)])
    assert next_one.number == 10 and not next_one.allowed


def test_attempts_spread_beyond_the_window_do_not_lock(empty_db_url: str) -> None:
    tries = attempts(empty_db_url, "amina", [T0 + dt.timedelta(minutes=4 * i)
                                             for i in range(5)])
    assert [a.number for a in tries] == [1, 2, 3, 4, 1]
    assert all(a.locked_until is None for a in tries)


def test_parallel_attempts_are_counted_one_by_one(empty_db_url: str) -> None:
    """The atomic count itself, on SQLite and PostgreSQL: 30 threads at once get 30
    different numbers, so exactly five may check a password."""
    import concurrent.futures
    import threading

    barrier = threading.Barrier(30)

    def one(_i: int) -> lockout.Attempt:
        barrier.wait()
        return lockout.begin(empty_db_url, "amina", 5, 15, T0)

    with concurrent.futures.ThreadPoolExecutor(30) as pool:
        results = list(pool.map(one, range(30)))
    assert sorted(a.number for a in results) == list(range(1, 31))
    assert sum(a.allowed for a in results) == 5


def test_long_usernames_are_normalised_once_and_counted(empty_db_url: str) -> None:
    long = "a" * 150
    assert lockout.key(long) == lockout.key(f"  {long.upper()} ") != lockout.key(long + "b")
    assert len(lockout.key(long)) == lockout.MAX_USERNAME
    assert not users.USERNAME.match(lockout.key(long))  # never a real user's name
    assert lockout.key("Amina ") == "amina"
    tries = attempts(empty_db_url, lockout.key(long), [T0] * 6)
    assert [a.allowed for a in tries] == [True] * 5 + [False]


# --- login sessions (data layer, both backends) ----------------------------------------

def test_a_session_signs_in_until_revoked_or_expired(empty_db_url: str) -> None:
    url = empty_db_url
    issued = login_sessions.create(url, "amina", "$2b$hash-1", days=30, now=T0)
    assert login_sessions.active(url, issued.session_id, "amina", "$2b$hash-1")
    assert login_sessions.active(url, issued.session_id, "amina", "$2b$hash-1",
                                 cookie_days=30, now=T0 + dt.timedelta(days=29))
    # Its own expiry, whatever the setting says now.
    assert not login_sessions.active(url, issued.session_id, "amina", "$2b$hash-1",
                                     cookie_days=365, now=T0 + dt.timedelta(days=31))
    # Lowering the setting shortens it.
    assert not login_sessions.active(url, issued.session_id, "amina", "$2b$hash-1",
                                     cookie_days=1, now=T0 + dt.timedelta(days=2))
    # Someone else's name, another password hash, an unknown id: nobody.
    assert not login_sessions.active(url, issued.session_id, "boss", "$2b$hash-1")
    assert not login_sessions.active(url, issued.session_id, "amina", "$2b$hash-2")
    assert not login_sessions.active(url, "x" + issued.session_id, "amina", "$2b$hash-1")
    other = login_sessions.create(url, "amina", "$2b$hash-1", days=30, now=T0)
    assert login_sessions.revoke_user(url, "amina", "password changed") == 2
    for session in (issued, other):
        for days in (None, 0.5, 1, 30, 10_000):  # no setting makes it valid again
            assert not login_sessions.active(url, session.session_id, "amina",
                                             "$2b$hash-1", cookie_days=days, now=T0)
    assert login_sessions.revoke_user(url, "amina", "again") == 0


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

    def start() -> AppTest:
        return AppTest.from_file(APP, default_timeout=60).run()

    return start


def sign_in(at, username: str, password: str):
    at.text_input(key="auth_username").input(username)
    at.text_input(key="auth_password").input(password)
    return at.button[0].click().run()


def test_sign_in_and_the_audit_trail(app, empty_db_url: str) -> None:
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


def test_wrong_password_and_unknown_user_get_the_same_answer(app) -> None:
    known = sign_in(app(), "demo-manager", "wrong-password")
    unknown = sign_in(app(), "nobody-here", "wrong-password")
    assert known.session_state["authentication_status"] is not True
    assert [e.value for e in known.error] == [e.value for e in unknown.error] == [
        "Username or password is incorrect."]


def test_lockout_through_the_form(app, monkeypatch: pytest.MonkeyPatch) -> None:
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


def test_a_username_longer_than_any_is_locked_like_any_other(
        app, empty_db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Finding 8: a username over 100 characters was never locked (its audit rows were cut
    to 100 characters, the lock looked for the whole name)."""
    from ui import auth

    monkeypatch.setattr(auth, "clock", lambda: T0)
    checked: list[str] = []
    real_check = users.check_password
    def check(password: str, hashed: str) -> bool:
        checked.append(hashed)
        return real_check(password, hashed)

    monkeypatch.setattr(users, "check_password", check)
    name = "x" * 101 + "@example.org"
    at = app()
    for _ in range(5):
        at = sign_in(at, name, "wrong-password")
    assert "locked for 15 more minutes" in at.error[0].value
    at = sign_in(at, name.upper(), "wrong-password")  # the same name, however typed
    assert "locked" in at.error[0].value
    assert checked == []  # refused before any look-up: no password was checked
    rows = [(e.username, e.action) for e in audit.events(empty_db_url, T0.date())]
    key = lockout.key(name)
    assert rows.count((key, audit.SIGN_IN_FAILED)) == 5
    assert rows.count((key, audit.SIGN_IN_LOCKED)) == 1


def test_a_weak_cookie_key_is_refused_in_one_line() -> None:
    for weak in ("k" * 48, "ab" * 30, "0123456789abcdef" * 3):
        settings = load_settings({"DEMO_MODE": "false", "COOKIE_KEY": weak,
                                  "DATABASE_URL": "sqlite:////tmp/x.db"})
        with pytest.raises(SettingsError, match="too little randomness") as info:
            settings.check_for_serving()
        assert "\n" not in str(info.value)
    load_settings({"DEMO_MODE": "false", "COOKIE_KEY": GOOD_KEY,
                   "DATABASE_URL": "sqlite:////tmp/x.db"}).check_for_serving()


def test_demo_mode_signs_cookies_with_a_key_of_its_own(tmp_path: Path) -> None:
    import stat

    url = f"sqlite:///{tmp_path / 'reintegration.db'}"
    settings = load_settings({"DATABASE_URL": url, "DEMO_MODE": "true"})
    assert settings.cookie_key is None
    settings.check_for_serving()
    path = tmp_path / "reintegration.db.cookie-key"
    key = settings.cookie_secret()
    assert path.read_text().strip() == key != DEMO_COOKIE_KEY
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_settings({"DATABASE_URL": url, "DEMO_MODE": "true"}).cookie_secret() == key
    other = load_settings({"DATABASE_URL": f"sqlite:///{tmp_path / 'other.db'}",
                           "DEMO_MODE": "true"})
    assert other.cookie_secret() != key  # one per installation
    with pytest.raises(SettingsError, match="public demo key"):
        load_settings({"DATABASE_URL": url, "DEMO_MODE": "true",
                       "COOKIE_KEY": DEMO_COOKIE_KEY}).check_for_serving()


def test_a_disabled_user_is_signed_out_at_the_next_click(app, tmp_path: Path,
                                                        empty_db_url: str) -> None:
    users.add(empty_db_url, "amina", "a-long-password", "focal_point", countries=("SN",))
    at = sign_in(app(), "amina", "a-long-password")
    assert at.session_state["authentication_status"] is True
    users.set_disabled(empty_db_url, "amina")
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
