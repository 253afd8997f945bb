"""Who is looking: the signed-in user's role and scope, built in this one place.

The login flow (``ui.auth``) leaves ``authentication_status`` and ``username`` in session
state (streamlit-authenticator's keys; no widget uses them, so a browser cannot set them).
Everything else is looked up here, on every run, from the users the server knows: a user
removed or disabled since signing in is nobody at the next click.

Scopes by role (domain.md, "Privacy rules"):

- admin, manager: every country, personal data allowed (caseload);
- focal_point: their countries only, everywhere (the data layer applies it);
- donor: every country, aggregates only, counts below SUPPRESSION_THRESHOLD hidden;
- nobody signed in: a scope that sees no country at all (fails closed).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from data_access import users as users_module
from data_access.scope import Scope
from data_access.settings import Settings, load_settings
from data_access.users import COUNTRIES, User


@st.cache_resource(show_spinner=False, max_entries=8)
def _users(path: str, mtime_ns: int, demo_mode: bool) -> dict[str, User]:
    # Keyed on the file's modification time: a change made with `manage.py users` is seen
    # at the next click without a restart.
    return users_module.load_from(Path(path), demo_mode)


def known_users(settings: Settings | None = None) -> dict[str, User]:
    settings = settings or load_settings()
    try:
        mtime = settings.users_file.stat().st_mtime_ns
    except FileNotFoundError:
        mtime = 0
    return _users(str(settings.users_file), mtime, settings.demo_mode)


def current_user() -> User | None:
    """The signed-in, enabled user, or None."""
    if st.session_state.get("authentication_status") is not True:
        return None
    user = known_users().get(str(st.session_state.get("username") or ""))
    if user is None or user.disabled or user.role not in users_module.ROLES:
        return None
    return user


def current_role() -> str | None:
    user = current_user()
    return user.role if user else None


def scope_for(user: User | None, settings: Settings | None = None) -> Scope:
    if user is None:
        return Scope(countries=frozenset())
    if user.role in ("admin", "manager"):
        return Scope.everything()
    if user.role == "focal_point":
        return Scope.for_countries(user.countries)
    if user.role == "donor":
        settings = settings or load_settings()
        return Scope(countries=None, aggregates_only=True,
                     suppression_threshold=settings.suppression_threshold)
    return Scope(countries=frozenset())


def current_scope() -> Scope:
    """The signed-in viewer's scope. Nobody signed in: the run stops here.

    A page script can be run without app.py's sign-in gate (Streamlit runs a ``pages/``
    file directly when a new session opens on its URL), so every read stops here first.
    """
    user = current_user()
    if user is None:
        st.info("Please sign in first: open the dashboard's home page.", icon="🔒")
        st.stop()
    return scope_for(user)



def allowed_countries() -> tuple[str, ...]:
    """The countries the viewer may see (none when nobody is signed in)."""
    scope = current_scope()
    if scope.countries is None:
        return COUNTRIES
    return tuple(sorted(scope.countries))
