"""Sign-in through an OpenID Connect identity provider (``st.login``), when AUTH_OIDC is on.

Streamlit runs the protocol itself (its ``/auth/login`` and ``/oauth2callback`` routes,
with Authlib) and leaves the provider's ID-token claims in ``st.user``; it reads its
configuration from the ``[auth]`` section of its secrets. ``configure(settings)`` puts our
OIDC_* settings there (``secrets_singleton.merge_programmatic_secrets``, the call
``st.App(secrets=…)`` makes), on every run, before anything reads them: the routes are
only reached from a page this process has drawn, so they always find them. Its cookie is
signed with a key derived from COOKIE_KEY (``Settings.oidc_cookie_secret``).

Who signs in is ours to say, never the provider's: ``st.user.email`` must be marked
verified (``email_verified`` true) and be the e-mail of exactly one enabled user
(``accounts.users.by_email``); the role and countries are that user's. Anything else is
refused with a message and one ``sign_in_failed`` audit entry per browser session and
e-mail (method ``oidc``, the reason), and the provider's identity is left unused: the
visitor may sign out of it (``st.logout``) and try another account.

A signed-in user gets a server-side session like a password sign-in
(``accounts.login_sessions``), so signing out everywhere, disabling or removing the user
ends their open tabs at the next click; every run also checks that ``st.user`` still
carries the user's e-mail. Streamlit's own identity cookie (30 days, its choice) signs the
browser in again on a reload as long as the user is still known and enabled, and the
identity was issued (``iat``) after the user's sessions were last ended
(``login_sessions.last_revoked``): signing out everywhere ends it too.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from accounts import audit, login_sessions
from accounts import users as users_module
from accounts.users import User
from data_access.settings import Settings
from i18n import _
from ui import data

PROVIDER = "default"  # the [auth] section's own client settings: Streamlit's "default"
METHOD = "_auth_method"  # "password" or "oidc": how this Streamlit session signed in
_REFUSED = "_auth_oidc_refused"  # the e-mail (and reason) refused and audited already


def auth_section(settings: Settings) -> dict[str, Any]:
    """Streamlit's ``[auth]`` secrets made from our settings."""
    return {"redirect_uri": str(settings.oidc_redirect_uri),
            "cookie_secret": settings.oidc_cookie_secret(),
            "client_id": str(settings.oidc_client_id),
            "client_secret": str(settings.oidc_client_secret),
            "server_metadata_url": str(settings.oidc_server_metadata_url)}


def configure(settings: Settings) -> None:
    """Give Streamlit its ``[auth]`` secrets (once per process; again if they changed)."""
    from streamlit.runtime.secrets import secrets_singleton

    wanted = auth_section(settings)
    try:
        current = secrets_singleton.get("auth")
    except Exception:  # no secrets file and nothing merged yet
        current = None
    if current is None or dict(current) != wanted:
        secrets_singleton.merge_programmatic_secrets({"auth": wanted})


def _claims() -> dict[str, Any]:
    try:
        return dict(st.user.to_dict()) if st.user.get("is_logged_in") else {}
    except Exception:  # no [auth] section: nobody is signed in through it
        return {}


def verified(claims: dict[str, Any]) -> bool:
    """Whether the provider says it checked the e-mail (a boolean true; some providers
    send the string "true")."""
    value = claims.get("email_verified")
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def provider_email() -> str:
    """The e-mail the identity provider signed in, lower-case ("" if none)."""
    return str(_claims().get("email") or "").strip().lower()


def still_signed_in(user: User) -> bool:
    """For a session signed in through the provider: ``st.user`` still carries the user's
    e-mail (an e-mail changed in the users file, or a sign-out, ends it)."""
    email = provider_email()
    return bool(email) and email == user.email.strip().lower()


def sign_in(settings: Settings) -> tuple[User, str] | None:
    """The user the provider's identity signs in and their new login session's id, or
    None (nobody there, or refused: the refusal is audited once and kept for
    ``refusal()`` to show)."""
    claims = _claims()
    if not claims:
        st.session_state.pop(_REFUSED, None)
        return None
    email = str(claims.get("email") or "").strip().lower()
    user = users_module.by_email(settings.database_url, email) if email else None
    if not email:
        reason = "no e-mail"
    elif not verified(claims):
        reason = "e-mail not verified"
    elif user is None or user.role not in users_module.ROLES:
        reason = "unknown e-mail"
    else:
        reason = ""
    url = data.database_url()
    if not reason and user is not None and _before_sign_out(url, user, claims):
        reason = "signed out since"
    if reason:
        if st.session_state.get(_REFUSED) != (email, reason):
            st.session_state[_REFUSED] = (email, reason)
            audit.record(url, email or None, audit.SIGN_IN_FAILED, method="oidc",
                         reason=reason)
        return None
    assert user is not None
    st.session_state.pop(_REFUSED, None)
    issued = login_sessions.create(url, user.username, user.password_hash,
                                   settings.cookie_expiry_days)
    # The keys streamlit-authenticator leaves after a sign-in (ui.viewer reads them).
    st.session_state.update({"authentication_status": True, "username": user.username,
                             "name": user.name, "email": user.email, "roles": [user.role],
                             "logout": None, METHOD: "oidc"})
    audit.record(url, user.username, audit.SIGN_IN, method="oidc")
    return user, issued.session_id


def _before_sign_out(url: str, user: User, claims: dict[str, Any]) -> bool:
    """The provider's identity was issued (its ``iat``) before the user's sessions were
    last ended (signed out everywhere, disabled, password changed): Streamlit's identity
    cookie outlives our sessions, so it must not sign in again by itself. No ``iat``: not
    taken either."""
    issued = claims.get("iat")
    if isinstance(issued, bool) or not isinstance(issued, (int, float)):
        return True
    ended = login_sessions.last_revoked(url, user.username)
    # ``iat`` is in whole seconds: an identity of the very second of the sign-out is taken.
    return ended is not None and \
        dt.datetime.fromtimestamp(issued + 1, dt.UTC).replace(tzinfo=None) < ended


def signed_out_since() -> bool:
    """The identity was refused only because the user signed out after it was issued:
    signing in at the provider again is the way on."""
    refused = st.session_state.get(_REFUSED)
    return isinstance(refused, tuple) and refused[1] == "signed out since"


def refusal() -> str | None:
    """Why the provider's identity was refused, in the viewer's language (or None)."""
    refused = st.session_state.get(_REFUSED)
    if not refused:
        return None
    email, reason = refused
    if reason == "e-mail not verified":
        return _("The identity provider signed you in as {email} but does not say this "
                 "e-mail address is verified, so it cannot sign you in here. Verify it at "
                 "the provider, or ask an administrator.").format(email=email)
    if reason == "signed out since":
        return _("You have signed out since the identity provider last signed you in "
                 "(or your account was changed): sign in again.")
    if reason == "no e-mail":
        return _("The identity provider did not give an e-mail address, so it cannot sign "
                 "you in here. Ask an administrator.")
    return _("{email} is not the e-mail address of a user of this dashboard (or that user "
             "is disabled). Ask an administrator to add it, or sign out of the identity "
             "provider and use another account.").format(email=email)


def button_label(settings: Settings) -> str:
    if settings.oidc_provider_name:
        return _("Sign in with {provider}").format(provider=settings.oidc_provider_name)
    return _("Sign in with your organisation's account")


def login() -> None:
    st.login(PROVIDER)


def logout() -> None:
    """Forget the provider's identity in this browser (Streamlit's cookie; the browser is
    sent to the provider's sign-out page when it has one)."""
    st.logout()
