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

from accounts import users as users_module
from accounts.users import User, programme_countries
from data_access.scope import Scope
from data_access.settings import Settings, load_settings


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
