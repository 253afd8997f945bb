"""The login flow: streamlit-authenticator's credential check, our own form, cookie and
server-side sessions.

``gate(settings)`` runs once per script run from ``app.py``. It returns the signed-in user,
or draws the sign-in form and returns None. The form is drawn here (not by
``Authenticate.login``) because the brute-force lockout has to count the typed username
before the password is checked (``accounts.lockout``), and say the same thing whether
the username exists or not. The password check and the session keys are the
authenticator's (``authentication_controller.login`` / ``logout``).

Every sign-in with a password creates a server-side session (``accounts.login_sessions``);
its random id is kept in this Streamlit session and put in the re-login cookie, a JWT
signed with ``settings.cookie_secret()``. A cookie signs in only if its signature holds AND
its session id names a session that is not revoked, not expired and issued under the
user's current password hash: a cookie forged with a known key and no real session id
signs in nobody. Every run of an open tab checks its session too, so a sign-out elsewhere,
a password change, disabling or removal signs it out at the next click.

Cookie handling follows the pattern that works with this authenticator version (see
docs/stack-notes): ``st.rerun()`` right after login/logout would keep the cookie component
from reaching the browser, so the cookie is set (or deleted) in the next run.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable

import jwt
import pandas as pd
import streamlit as st
import streamlit_authenticator as stauth
from streamlit.delta_generator import DeltaGenerator
from streamlit_authenticator.utilities import LoginError

from accounts import audit, lockout, login_sessions
from accounts import users as users_module
from accounts.users import User, demo_accounts
from data_access.db import DatabaseUnavailable
from data_access.programme import programme_title
from data_access.settings import Settings
from i18n import N_, _, ngettext
from ui import data, identity
from ui.text import say
from ui.viewer import current_user, known_users

COOKIE_NAME = "rrd_session"
_SET_COOKIE = "_auth_set_cookie"
_DELETE_COOKIE = "_auth_delete_cookie"
_SESSION_ID = "_auth_session_id"
_MESSAGE = "_auth_message"
# A hash to check a password against when the username is unknown, so that a wrong
# username takes as long as a wrong password.
_DUMMY_HASH = demo_accounts()[0][0].password_hash

# The clock of the lockout (UTC); tests move it forward.
clock: Callable[[], dt.datetime] = audit.utcnow

# Role names in English; ``role_label`` says them in the viewer's language.
ROLE_LABELS = {"admin": N_("Administrator"), "manager": N_("Programme manager"),
               "focal_point": N_("Country focal point"), "donor": N_("Donor"),
               "partner": N_("Implementing partner")}


def role_label(role: str) -> str:
    """A role in words, in the current language."""
    return _(ROLE_LABELS[role]) if role in ROLE_LABELS else role


def countries_text(user: User) -> str:
    """The user's countries (codes), or "all" in the current language."""
    return ", ".join(user.countries) if user.countries else _("all")


def _authenticator(settings: Settings) -> stauth.Authenticate:
    # Built from a fresh credentials dict every run: the authenticator mutates it.
    return stauth.Authenticate(users_module.credentials(known_users(settings)),
                               cookie_name=COOKIE_NAME, cookie_key=settings.cookie_secret(),
                               cookie_expiry_days=settings.cookie_expiry_days,
                               auto_hash=False, login_sleep_time=0)


def _served() -> bool:
    """A run of a real server's session (AppTest's runs carry their own session id: tests
    set ``authentication_status`` in session state directly, without a login session)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx is not None and ctx.session_id != "test session id"


def gate(settings: Settings) -> tuple[User | None, stauth.Authenticate]:
    """The signed-in user (or None after drawing the sign-in form), and the authenticator.

    AUTH_PASSWORD switches the password form and its re-login cookie; AUTH_OIDC the
    identity provider's sign-in (``ui.identity``); either may be off, not both."""
    if settings.auth_oidc:
        identity.configure(settings)
    authenticator = _authenticator(settings)
    if st.session_state.pop(_DELETE_COOKIE, False):
        authenticator.cookie_controller.delete_cookie()
    user = current_user()
    if user is not None and not (_session_holds(user) and _method_holds(user, settings)):
        # Signed out elsewhere, password changed, the provider's identity gone: this tab's
        # session is over.
        oidc = st.session_state.get(identity.METHOD) == "oidc"
        _sign_out(authenticator, settings, reason="session revoked", everywhere=False)
        st.session_state.pop(_DELETE_COOKIE, None)
        authenticator.cookie_controller.delete_cookie()
        if oidc and identity.provider_email():
            # The provider's identity would sign this tab straight in again.
            identity.logout()
        user = None
    if user is None and st.session_state.get("authentication_status"):
        # Signed in, but removed or disabled since: sign out now.
        _sign_out(authenticator, settings, reason="account no longer active", everywhere=True)
        st.session_state.pop(_DELETE_COOKIE, None)
        authenticator.cookie_controller.delete_cookie()
    if user is None and settings.auth_password:
        user = _from_cookie(authenticator, settings)
    if user is None and settings.auth_oidc and not st.session_state.get("logout"):
        signed = identity.sign_in(settings)
        if signed is not None:
            st.session_state[_SESSION_ID] = signed[1]
            user = current_user()
    if user is not None:
        pending = st.session_state.pop(_SET_COOKIE, None)
        if pending:
            token, expires = pending
            authenticator.cookie_controller.cookie_model.cookie_manager.set(
                COOKIE_NAME, token, expires_at=expires)
        return user, authenticator
    _login_form(authenticator, settings)
    return None, authenticator


def _method_holds(user: User, settings: Settings) -> bool:
    """A session signed in through the identity provider still has its identity."""
    if st.session_state.get(identity.METHOD) != "oidc":
        return True
    return settings.auth_oidc and identity.still_signed_in(user)


def _session_holds(user: User) -> bool:
    session_id = st.session_state.get(_SESSION_ID)
    if session_id is None:
        return not _served()
    try:
        return login_sessions.active(data.database_url(), str(session_id), user.username,
                                     user.password_hash)
    except DatabaseUnavailable:
        # The database is down mid-session: this tab stays signed in (nothing can be read
        # anyway; every figure says the database cannot be reached) and the check runs
        # again on the next click. Signing the tab out would lose its filters for an outage.
        return True


def _cookie_token(settings: Settings, issued: login_sessions.Issued) -> str:
    return jwt.encode({"username": issued.username, "sid": issued.session_id,
                       "exp_date": issued.expires_at.replace(tzinfo=dt.UTC).timestamp()},
                      settings.cookie_secret(), algorithm="HS256")


def _cookie_claims(settings: Settings) -> tuple[str, str] | None:
    """(username, session id) of a well-signed, unexpired cookie of this request."""
    cookies = st.context.cookies
    if COOKIE_NAME not in cookies:
        return None
    try:
        claims = jwt.decode(str(cookies[COOKIE_NAME]), settings.cookie_secret(),
                            algorithms=["HS256"])
    except jwt.PyJWTError:
        return None
    username, session_id, expires = (claims.get("username"), claims.get("sid"),
                                     claims.get("exp_date"))
    if not isinstance(username, str) or not isinstance(session_id, str) or \
            not isinstance(expires, (int, float)) or expires <= time.time():
        return None
    return username, session_id


def _from_cookie(authenticator: stauth.Authenticate, settings: Settings) -> User | None:
    """Sign in from a valid re-login cookie of a live session (a new tab or a reload)."""
    if st.session_state.get("logout") or COOKIE_NAME not in st.context.cookies:
        return None
    claims = _cookie_claims(settings)
    known = known_users(settings).get(claims[0]) if claims else None
    url = data.database_url()
    if claims is None or known is None or known.disabled or not login_sessions.active(
            url, claims[1], known.username, known.password_hash,
            cookie_days=settings.cookie_expiry_days):
        authenticator.cookie_controller.delete_cookie()
        return None
    try:
        authenticator.authentication_controller.login(None, None,
                                                      token={"username": known.username})
    except LoginError:  # no password hash
        authenticator.cookie_controller.delete_cookie()
        return None
    st.session_state[_SESSION_ID] = claims[1]
    st.session_state[identity.METHOD] = "password"
    user = current_user()
    if user is not None:
        audit.record(url, user.username, audit.SIGN_IN, method="cookie")
    return user


def _login_form(authenticator: stauth.Authenticate, settings: Settings) -> None:
    st.title(_("Reintegration dashboard"))
    st.caption(programme_title())
    message = st.session_state.pop(_MESSAGE, None)
    left = st.columns([2, 3])[0]
    if settings.auth_oidc:
        _provider_sign_in(left, settings)
    if not settings.auth_password:
        return
    with left, st.form("sign_in", clear_on_submit=False):
        st.subheader(_("Sign in") if not settings.auth_oidc else _("Sign in with a password"))
        username = st.text_input(_("Username"), key="auth_username", autocomplete="username")
        password = st.text_input(_("Password"), type="password", key="auth_password",
                                 autocomplete="current-password")
        submitted = st.form_submit_button(_("Sign in"), type="primary")
    if submitted:
        message = _attempt(authenticator, settings, username, password)
        if message is None:
            st.session_state.pop("auth_password", None)
            st.rerun()
    if message:
        left.error(message, icon="🔒")
    if settings.demo_mode:
        demo_table()


def _provider_sign_in(container: DeltaGenerator,
                      settings: Settings) -> None:
    """The identity provider's button, or why its identity was refused."""
    refused = identity.refusal()
    if refused:
        container.error(refused, icon="🔒")
    if refused and not identity.signed_out_since():
        if container.button(_("Sign out of the identity provider"), key="auth_oidc_out",
                            icon=":material/logout:"):
            identity.logout()
        return
    if container.button(identity.button_label(settings), key="auth_oidc_in",
                        type="primary", icon=":material/badge:"):
        # The flag of a sign-out in this session would keep the identity from counting.
        st.session_state.pop("logout", None)
        identity.login()


def _attempt(authenticator: stauth.Authenticate, settings: Settings, username: str,
             password: str) -> str | None:
    """Check one sign-in; None on success, else the message to show.

    The attempt is counted first (one atomic statement); only an attempt within
    LOCKOUT_ATTEMPTS of its window has its password checked.
    """
    url = data.database_url()
    name = lockout.key(username)
    if not name or not password:
        return _("Enter your username and password.")
    now = clock()
    attempt = lockout.begin(url, name, settings.lockout_attempts, settings.lockout_minutes,
                            now)
    if not attempt.allowed:
        audit.record(url, name, audit.SIGN_IN_LOCKED, at=now)
        return _locked_message(attempt.locked_until or attempt.window_start + dt.timedelta(
            minutes=settings.lockout_minutes), now)
    credentials = authenticator.authentication_controller.authentication_model.credentials
    if lockout.too_long(username):
        ok = False  # cannot be a username: no look-up, no password check
    elif name not in credentials["usernames"]:
        users_module.check_password(password, _DUMMY_HASH)  # same time as a known user
        ok = False
    else:
        ok = bool(authenticator.authentication_controller.login(name, password))
    user = current_user() if ok else None
    if user is not None:
        lockout.succeeded(url, attempt)
        issued = login_sessions.create(url, user.username, user.password_hash,
                                       settings.cookie_expiry_days)
        st.session_state[_SESSION_ID] = issued.session_id
        st.session_state[identity.METHOD] = "password"
        if settings.cookie_expiry_days > 0:
            expires = dt.datetime.now() + (issued.expires_at - login_sessions.utcnow())
            st.session_state[_SET_COOKIE] = (_cookie_token(settings, issued), expires)
        audit.record(url, name, audit.SIGN_IN, at=now, method="password")
        return None
    audit.record(url, name, audit.SIGN_IN_FAILED, at=now)
    if attempt.locked_until is not None and now < attempt.locked_until:
        return _locked_message(attempt.locked_until, now)
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
             _("Countries"): countries_text(u)} for u, password in demo_accounts()]
    st.table(pd.DataFrame(rows).set_index(username))


def _sign_out(authenticator: stauth.Authenticate, settings: Settings, reason: str, *,
              everywhere: bool) -> None:
    """Sign this session out; ``everywhere``: end every session of the user too (their
    cookies stop working, their other tabs are signed out at their next click)."""
    username = st.session_state.get("username")
    session_id = st.session_state.pop(_SESSION_ID, None)
    url = data.database_url()
    if username and everywhere:
        login_sessions.revoke_user(url, str(username), reason)
    elif session_id:
        login_sessions.revoke(url, str(session_id), reason)
    if username:
        audit.record(url, str(username), audit.SIGN_OUT, reason=reason)
    authenticator.authentication_controller.logout()
    st.session_state.pop(identity.METHOD, None)
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
        oidc = st.session_state.get(identity.METHOD) == "oidc"
        _sign_out(authenticator, settings, reason="button", everywhere=True)
        if oidc:
            identity.logout()  # the browser leaves for Streamlit's sign-out route
            return
        st.rerun()
