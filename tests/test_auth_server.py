"""Sign-in under attack, against a real ``streamlit run`` server (issue 15).

The sessions speak Streamlit's websocket protocol (benchmarks/streamlit_ws.py), as a
browser's tab does; cookies go with the websocket handshake, which is where Streamlit
reads ``st.context.cookies`` from, so the re-login cookie takes the very path a browser's
does. The server runs in demo mode (the default of ``make run``) with real users in its
users file, and reads its settings file on every run (the expiry change).

- a burst of 30 wrong passwords and the right one, in parallel: at most LOCKOUT_ATTEMPTS
  passwords are checked, and the right one does not sign in once the lock is on;
- a cookie forged with the public demo key (or any key) for a real administrator does not
  sign in, while the cookie the server itself set does;
- a cookie revoked by sign-out stays revoked when COOKIE_EXPIRY_DAYS is lowered;
- a password change signs out every open tab and revokes every cookie of the user.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import io
import secrets
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import jwt
import pytest

from accounts import audit, users
from benchmarks.streamlit_ws import Run, Session
from data_access.settings import DEMO_COOKIE_KEY, load_settings
from tests.browser.conftest import serving

COOKIE = "rrd_session"
PASSWORDS = {"amina-admin": "amina-admin-password", "farid": "farid-password-1",
             "nadia": "nadia-password-1", "omar": "omar-password-1"}


def run_async(coroutine):
    """``asyncio.run`` on a thread of its own (Playwright may hold the main thread's loop)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


class Served:
    def __init__(self, base: str, url: str, users_file: Path, settings_file: Path) -> None:
        self.base, self.url = base, url
        self.users_file, self.settings_file = users_file, settings_file

    def expiry(self, days: float) -> None:
        self.settings_file.write_text(f"cookie_expiry_days = {days}\n")

    def settings(self):
        return load_settings({"DATABASE_URL": self.url, "DEMO_MODE": "true",
                              "USERS_FILE": str(self.users_file)})


@pytest.fixture(scope="module")
def served(make_database: Callable[[str, str], str],
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("auth_server")
    url = make_database("sqlite", "auth_server")
    users_file = folder / "users.yaml"
    for name, role, countries in (("amina-admin", "admin", ()),
                                  ("farid", "focal_point", ("SN",)),
                                  ("nadia", "manager", ()), ("omar", "manager", ())):
        users.add(url, name, PASSWORDS[name], role, countries=countries)
    settings_file = folder / "settings.toml"
    settings_file.write_text("cookie_expiry_days = 30\n")
    with serving(folder, DATABASE_URL=url, DEMO_MODE="true", USERS_FILE=str(users_file),
                 RRD_SETTINGS_FILE=str(settings_file)) as server:
        yield Served(server.base, url, users_file, settings_file)


# --- helpers ---------------------------------------------------------------------------

def signed_in(run: Run) -> bool:
    return run.widget("button", "Sign out") is not None


def sign_in_form(run: Run) -> bool:
    return run.widget("text_input", "Username") is not None and not signed_in(run)


def alerts(run: Run) -> list[str]:
    return [a.alert.body for a in run.of_type("alert")]


def set_cookie_of(run: Run) -> str | None:
    """The re-login cookie the server asked the browser to store in this run."""
    for args in run.components():
        if args.get("method") == "set" and args.get("cookie") == COOKIE:
            return str(args["value"])
    return None


async def _form(session: Session) -> Run:
    await session.run()
    return await session.run()


async def _submit(session: Session, form: Run, username: str, password: str) -> Run:
    session.set_text(form.widget("text_input", "Username"), username)
    session.set_text(form.widget("text_input", "Password"), password)
    return await session.run(click=form.widget("button", "Sign in"))


async def _visit(base: str, cookie: str) -> Run:
    """A new tab that brings ``cookie``: what its first runs show."""
    async with Session(base, timeout=60, cookies={COOKIE: cookie}) as session:
        await session.run()
        return await session.run()


async def _sign_in_and_keep(base: str, username: str) -> tuple[Session, Run]:
    session = Session(base, timeout=60)
    await session.__aenter__()
    run = await _submit(session, await _form(session), username, PASSWORDS[username])
    assert signed_in(run), alerts(run)
    return session, run


# --- finding 1: the burst ----------------------------------------------------------------

async def _burst(base: str, username: str, right: str, wrong: int) -> list[Run]:
    sessions = [Session(base, timeout=180) for _ in range(wrong + 1)]
    try:
        for session in sessions:
            await session.__aenter__()
        forms = await asyncio.gather(*(_form(s) for s in sessions))
        passwords = [f"wrong-password-{i}" for i in range(wrong)]
        passwords.insert(wrong // 2, right)
        # Every submit is sent before any answer is read: all in flight together.
        return list(await asyncio.gather(*(_submit(s, f, username, p) for s, f, p
                                           in zip(sessions, forms, passwords, strict=True))))
    finally:
        for session in sessions:
            await session.__aexit__(None, None, None)


def test_a_burst_checks_at_most_lockout_attempts_passwords(served: Served) -> None:
    limit = served.settings().lockout_attempts
    runs = run_async(_burst(served.base, "farid", PASSWORDS["farid"], 30))
    rows = [e.action for e in audit.events(served.url, username="farid")]
    checked = rows.count(audit.SIGN_IN_FAILED) + rows.count(audit.SIGN_IN)
    # Every attempt is accounted for; before the fix all 30 wrong ones were checked.
    assert len(rows) == 31, rows
    assert checked <= limit, f"{checked} passwords checked in one burst: {rows}"
    assert rows.count(audit.SIGN_IN_LOCKED) == 31 - checked
    # The right password signed in only if it was among the checked attempts...
    assert sum(signed_in(r) for r in runs) == rows.count(audit.SIGN_IN) <= 1
    # ...and once the lock is on it does not sign in.
    async def right_again() -> Run:
        async with Session(served.base, timeout=60) as session:
            return await _submit(session, await _form(session), "farid", PASSWORDS["farid"])

    after = run_async(right_again())
    assert not signed_in(after)
    assert any("locked" in text for text in alerts(after)), alerts(after)


# --- finding 2: forged cookies ----------------------------------------------------------

def test_a_forged_cookie_does_not_sign_in(served: Served) -> None:
    async def scenario() -> dict[str, Run]:
        session, run = await _sign_in_and_keep(served.base, "amina-admin")
        await session.__aexit__(None, None, None)
        genuine = set_cookie_of(run)
        assert genuine, "the server set no re-login cookie"
        ten_years = time.time() + 10 * 365 * 86400
        key = served.settings().cookie_secret()
        real_sid = jwt.decode(genuine, key, algorithms=["HS256"])["sid"]
        forged = {
            # The public demo key of earlier versions, no session: the finding.
            "demo key": jwt.encode({"username": "amina-admin", "exp_date": ten_years},
                                   DEMO_COOKIE_KEY, algorithm="HS256"),
            "demo key, made-up session": jwt.encode(
                {"username": "amina-admin", "sid": secrets.token_urlsafe(32),
                 "exp_date": ten_years}, DEMO_COOKIE_KEY, algorithm="HS256"),
            # Even with the installation's key: no real session id, no sign-in.
            "right key, made-up session": jwt.encode(
                {"username": "amina-admin", "sid": secrets.token_urlsafe(32),
                 "exp_date": ten_years}, key, algorithm="HS256"),
            "right key, no session": jwt.encode(
                {"username": "amina-admin", "exp_date": ten_years}, key, algorithm="HS256"),
            # A real session id under another user's name.
            "someone else's session": jwt.encode(
                {"username": "nadia", "sid": real_sid, "exp_date": ten_years}, key,
                algorithm="HS256"),
            "not a token": "garbage.garbage.garbage",
        }
        visits = {name: await _visit(served.base, token) for name, token in forged.items()}
        visits["genuine"] = await _visit(served.base, genuine)
        return visits

    visits = run_async(scenario())
    # The control: the cookie the server set signs in (so this path does read cookies).
    assert signed_in(visits.pop("genuine"))
    for name, run in visits.items():
        assert sign_in_form(run), f"{name}: signed in"
        assert run.problems() == [], (name, run.problems())


# --- finding 3: revocation independent of the expiry setting -----------------------------

def test_a_revoked_cookie_stays_revoked_when_the_expiry_is_lowered(served: Served) -> None:
    async def scenario() -> tuple[Run, Run, Run, Run]:
        session, run = await _sign_in_and_keep(served.base, "nadia")
        cookie = set_cookie_of(run)
        assert cookie
        before = await _visit(served.base, cookie)
        out = await session.run(click=run.widget("button", "Sign out"))
        await session.__aexit__(None, None, None)
        revoked = await _visit(served.base, cookie)
        served.expiry(1)  # read by the server at its next run
        try:
            lowered = await _visit(served.base, cookie)
        finally:
            served.expiry(30)
        return before, out, revoked, lowered

    before, out, revoked, lowered = run_async(scenario())
    assert signed_in(before)
    assert sign_in_form(out)
    assert sign_in_form(revoked)
    # Before the fix the issue time was the cookie's expiry minus the current setting:
    # 29 days ahead, after the sign-out, so the cookie was valid again.
    assert sign_in_form(lowered)


def test_a_password_change_signs_out_every_tab_and_cookie(
        served: Served, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from cli import main

    async def before() -> tuple[Session, Run, Session, Run, str]:
        first, run = await _sign_in_and_keep(served.base, "omar")
        cookie = set_cookie_of(run)
        assert cookie
        second = Session(served.base, timeout=60, cookies={COOKIE: cookie})
        await second.__aenter__()
        await second.run()
        return first, run, second, await second.run(), cookie

    loop = asyncio.new_event_loop()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        def on_loop(coroutine):
            return pool.submit(loop.run_until_complete, coroutine).result()

        first, run, second, second_run, cookie = on_loop(before())
        assert signed_in(second_run)
        for name, value in (("DATABASE_URL", served.url), ("DEMO_MODE", "true"),
                            ("USERS_FILE", str(served.users_file))):
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(sys, "stdin", io.StringIO("omar-new-password\n"))
        assert main(["users", "set-password", "omar", "--password-stdin"]) == 0
        said = capsys.readouterr().out

        async def after() -> tuple[Run, Run, Run]:
            clicked = await first.run(page=next(p for p in run.pages if p.name == "Overview"))
            other = await second.run()
            await first.__aexit__(None, None, None)
            await second.__aexit__(None, None, None)
            return clicked, other, await _visit(served.base, cookie)

        clicked, other, revisit = on_loop(after())
        loop.close()
    # Both open tabs are signed out at their next click; the old cookie signs in nobody.
    assert sign_in_form(clicked) and sign_in_form(other) and sign_in_form(revisit)
    # One session: the second tab signed in with the first one's cookie.
    assert "(1 open session signed out)" in said
