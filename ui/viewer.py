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

import threading
from pathlib import Path

import streamlit as st

from accounts import users as users_module
from accounts.users import User, programme_countries
from data_access.db import DatabaseUnavailable
from data_access.scope import Scope
from data_access.settings import Settings, load_settings

_memo = threading.local()  # .users: (run marker, url, demo mode, users) of this thread
_last_read: dict[tuple[str, bool], dict[str, User]] = {}  # per (url, demo mode), any thread


def known_users(settings: Settings | None = None) -> dict[str, User]:
    """Every user who exists (the ``app_user`` table, plus the demo accounts in demo
    mode), read once per script run: a change made with `manage.py users`, from another
    process or replica, is seen at the next click without a restart."""
    settings = settings or load_settings()
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    # Made anew by ScriptRunContext.reset() at the start of every script run.
    marker = (getattr(ctx, "parallel_coordinator", None) or ctx) if ctx is not None else None
    key = (settings.database_url, settings.demo_mode)
    held = getattr(_memo, "users", None)
    if marker is not None and held is not None and held[0] is marker and held[1] == key:
        return held[2]
    from ui import schema

    # A schema behind head: the run says so and stops (there may be no users table yet).
    schema.require(settings.database_url)
    try:
        users = users_module.load_from(settings.database_url, settings.demo_mode)
    except DatabaseUnavailable:
        # Down mid-session: the users as last read by this process, so an open tab stays
        # signed in with its pages and links (every figure says the database cannot be
        # reached, and the next click after it is back works). Never read: raise.
        if key not in _last_read:
            raise
        users = _last_read[key]
    _last_read[key] = users
    if marker is not None:
        _memo.users = (marker, key, users)
    return users


def entered_through_app() -> None:
    """Send a page file that runs without app.py back to the entry point.

    Until some session of a fresh server process has called ``st.navigation``, Streamlit
    serves the ``pages/`` folder itself: the first visitor of ``/caseload`` would run
    ``pages/caseload.py`` directly, past the sign-in. ``st.navigation`` clears this
    process-wide flag, so a page that sees it set was not reached through ``app.py``.
    Called by ``current_user()`` and ``ui.filters.current()``, one of which every page
    calls before drawing anything.
    """
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    # AppTest runs page files directly by design (its session id says so); only a served
    # app can be reached by URL.
    if not PagesManager.uses_pages_directory or ctx is None \
            or ctx.session_id == "test session id":
        return
    page = ctx.pages_manager.get_pages().get(ctx.page_script_hash)
    running = Path(page["script_path"]) if page else ctx.pages_manager.main_script_path
    if Path(running).name != Path(ctx.pages_manager.main_script_path).name:
        st.switch_page("app.py")


def current_user() -> User | None:
    """The signed-in, enabled user, or None."""
    entered_through_app()
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
    if user.role == "partner" and user.partner is not None:
        return Scope.for_partner(user.partner)
    if user.role == "donor":
        settings = settings or load_settings()
        return Scope(countries=None, aggregates_only=True,
                     suppression_threshold=settings.suppression_threshold,
                     rounding_base=settings.disclosure_rounding_base)
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
        return tuple(sorted(programme_countries()))
    return tuple(sorted(scope.countries))
