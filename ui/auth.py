"""The login flow: streamlit-authenticator's credential check and cookie, our own form.

``gate(settings)`` runs once per script run from ``app.py``. It returns the signed-in user,
or draws the sign-in form and returns None. The form is drawn here (not by
``Authenticate.login``) because the brute-force lockout has to see the typed username
before the password is checked, and say the same thing whether the username exists or not.
The password check, the session keys and the re-login cookie are the authenticator's
(``authentication_controller.login`` / ``logout``, ``cookie_controller``).

Cookie handling follows the pattern that works with this authenticator version (see
docs/stack-notes): ``st.rerun()`` right after login/logout would keep the cookie component
from reaching the browser, so a flag is set and the cookie is set (or deleted) in the next
run. A cookie issued before the user's last sign-out, password change or disabling is
refused (checked against the audit log), since the token itself stays valid upstream.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

import pandas as pd
import streamlit as st
import streamlit_authenticator as stauth
from streamlit_authenticator.utilities import LoginError

from data_access import audit
from data_access import users as users_module
from data_access.settings import Settings
from data_access.users import DEMO_ACCOUNTS, User
from i18n import N_, _, ngettext
from ui import data
from ui.text import say
from ui.viewer import current_user, known_users

COOKIE_NAME = "rrd_session"
_SET_COOKIE = "_auth_set_cookie"
_DELETE_COOKIE = "_auth_delete_cookie"
_MESSAGE = "_auth_message"
# A hash to check a password against when the username is unknown, so that a wrong
# username takes as long as a wrong password.
_DUMMY_HASH = DEMO_ACCOUNTS[0][0].password_hash

# The clock of the lockout (UTC); tests move it forward.
clock: Callable[[], dt.datetime] = audit.utcnow

# Role names in English; ``role_label`` says them in the viewer's language.
ROLE_LABELS = {"admin": N_("Administrator"), "manager": N_("Programme manager"),
               "focal_point": N_("Country focal point"), "donor": N_("Donor")}


def role_label(role: str) -> str:
    """A role in words, in the current language."""
    return _(ROLE_LABELS[role]) if role in ROLE_LABELS else role


def countries_text(user: User) -> str:
    """The user's countries (codes), or "all" in the current language."""
    return ", ".join(user.countries) if user.countries else _("all")


def _authenticator(settings: Settings) -> stauth.Authenticate:
    # Built from a fresh credentials dict every run: the authenticator mutates it.
    return stauth.Authenticate(users_module.credentials(known_users(settings)),
                               cookie_name=COOKIE_NAME, cookie_key=settings.cookie_key or "",
                               cookie_expiry_days=settings.cookie_expiry_days,
                               auto_hash=False, login_sleep_time=0)


def gate(settings: Settings) -> tuple[User | None, stauth.Authenticate]:
    """The signed-in user (or None after drawing the sign-in form), and the authenticator."""
    authenticator = _authenticator(settings)
    if st.session_state.pop(_DELETE_COOKIE, False):
        authenticator.cookie_controller.delete_cookie()
    user = current_user()
    if user is None and st.session_state.get("authentication_status"):
        # Signed in, but removed or disabled since: sign out now.
        _sign_out(authenticator, settings, reason="account no longer active")
        st.session_state.pop(_DELETE_COOKIE, None)
        authenticator.cookie_controller.delete_cookie()
    if user is None:
        user = _from_cookie(authenticator, settings)
    if user is not None:
        if st.session_state.pop(_SET_COOKIE, False):
            authenticator.cookie_controller.set_cookie()
        return user, authenticator
    _login_form(authenticator, settings)
    return None, authenticator


def _from_cookie(authenticator: stauth.Authenticate, settings: Settings) -> User | None:
    """Sign in from a valid, unrevoked re-login cookie (a new tab or a reload)."""
    token = authenticator.cookie_controller.get_cookie()
    if not token or not isinstance(token, dict):
        return None
    username = str(token.get("username", ""))
    issued = dt.datetime.fromtimestamp(float(token["exp_date"])) - \
        dt.timedelta(days=settings.cookie_expiry_days)
    issued_utc = issued.astimezone(dt.UTC).replace(tzinfo=None)
    if _revoked_since(data.database_url(), username, issued_utc):
        authenticator.cookie_controller.delete_cookie()
        return None
    try:
        authenticator.authentication_controller.login(None, None, token=token)
    except LoginError:  # the user no longer exists or is disabled
        authenticator.cookie_controller.delete_cookie()
        return None
    user = current_user()
    if user is not None:
        audit.record(data.database_url(), user.username, audit.SIGN_IN, method="cookie")
    return user


def _revoked_since(url: str, username: str, issued: dt.datetime) -> bool:
    # A minute of slack: the cookie is made a moment after the sign-in is recorded.
    for event in audit.events(url, issued - dt.timedelta(minutes=1),
                              actions=(audit.SIGN_OUT, audit.USER_CHANGE)):
        if event.action == audit.SIGN_OUT and event.username == username and \
                event.at >= issued:
            return True
        if event.action == audit.USER_CHANGE and event.detail.get("user") == username:
            return True
    return False


def _login_form(authenticator: stauth.Authenticate, settings: Settings) -> None:
    st.title(_("Reintegration dashboard"))
    st.caption(settings.programme_name)
    message = st.session_state.pop(_MESSAGE, None)
    left = st.columns([2, 3])[0]
    with left, st.form("sign_in", clear_on_submit=False):
        st.subheader(_("Sign in"))
        username = st.text_input(_("Username"), key="auth_username", autocomplete="username")
        password = st.text_input(_("Password"), type="password", key="auth_password",
                                 autocomplete="current-password")
        submitted = st.form_submit_button(_("Sign in"), type="primary")
    if submitted:
        message = _attempt(authenticator, settings, username, password)
        if message is None:
            st.session_state[_SET_COOKIE] = True
            st.session_state.pop("auth_password", None)
            st.rerun()
    if message:
        left.error(message, icon="🔒")
    if settings.demo_mode:
        demo_table()


def _attempt(authenticator: stauth.Authenticate, settings: Settings, username: str,
             password: str) -> str | None:
    """Check one sign-in; None on success, else the message to show."""
    url = data.database_url()
    name = (username or "").strip().lower()
    if not name or not password:
        return _("Enter your username and password.")
    now = clock()
    until = audit.locked_until(url, name, settings.lockout_attempts, settings.lockout_minutes,
                               now)
    if until is not None:
        audit.record(url, name, audit.SIGN_IN_LOCKED, at=now)
        return _locked_message(until, now)
    credentials = authenticator.authentication_controller.authentication_model.credentials
    if name not in credentials["usernames"]:
        users_module.check_password(password, _DUMMY_HASH)  # same time as a known user
        ok = False
    else:
        ok = bool(authenticator.authentication_controller.login(name, password))
    if ok and current_user() is not None:
        audit.record(url, name, audit.SIGN_IN, at=now, method="password")
        return None
    audit.record(url, name, audit.SIGN_IN_FAILED, at=now)
    until = audit.locked_until(url, name, settings.lockout_attempts, settings.lockout_minutes,
                               now)
    if until is not None:
        return _locked_message(until, now)
    return _("Username or password is incorrect.")


def _locked_message(until: dt.datetime, now: dt.datetime) -> str:
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    return ngettext("Too many failed sign-ins with this username: sign-in is locked for "
                    "{n} more minute. Ask an administrator if you have forgotten your "
                    "password.",
                    "Too many failed sign-ins with this username: sign-in is locked for "
                    "{n} more minutes. Ask an administrator if you have forgotten your "
                    "password.", minutes).format(n=minutes)


def demo_table() -> None:
    st.info(_("**Demo mode**: these accounts exist only in demo mode (synthetic data, no "
              "real person)."), icon="🧪")
    username = _("Username")
    rows = [{username: u.username, _("Password"): password, _("Role"): role_label(u.role),
             _("Countries"): countries_text(u)} for u, password in DEMO_ACCOUNTS]
    st.table(pd.DataFrame(rows).set_index(username))


def _sign_out(authenticator: stauth.Authenticate, settings: Settings, reason: str) -> None:
    username = st.session_state.get("username")
    if username:
        audit.record(data.database_url(), str(username), audit.SIGN_OUT, reason=reason)
    authenticator.authentication_controller.logout()
    st.session_state[_DELETE_COOKIE] = True
    for key in list(st.session_state):
        if str(key).startswith(("f_", "cl_", "adm_")) or key == "filters":
            del st.session_state[key]


def sidebar(user: User, authenticator: stauth.Authenticate, settings: Settings) -> None:
    """Who is signed in, and the sign-out button."""
    side = st.sidebar
    countries = f" · {countries_text(user)}" if user.role == "focal_point" else ""
    side.markdown(say("**{name}**  \n{role}{countries}", name=user.name,  # names are data
                      role=role_label(user.role), countries=countries))
    if side.button(_("Sign out"), key="auth_sign_out", icon=":material/logout:"):
        _sign_out(authenticator, settings, reason="button")
        st.rerun()
