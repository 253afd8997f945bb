"""Entry point: settings check, sign-in, the pages of the viewer's role, the shared sidebar.

Run with `streamlit run app.py` (or `make run`, which also prepares the database).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import streamlit as st

from accounts import users
from data_access.db import DatabaseUnavailable
from data_access.programme import programme_title
from data_access.settings import Settings, SettingsError, load_settings
from i18n import _

HERE = Path(__file__).resolve().parent


def _signed_out() -> None:
    """The page of a signed-out visitor: nothing beyond the sign-in form."""


def _only(page: st.Page) -> None:
    """Make ``page`` the only page of this run.

    Every run must call ``st.navigation`` before it ends: a session whose runs never do
    falls back to Streamlit's ``pages/`` folder discovery, where a URL such as
    ``/overview`` runs that page file directly, past this entry point and its checks.
    """
    st.navigation([page], position="hidden").run()


def _error(message: str, icon: str | None = None) -> Callable[[], None]:
    """A page that shows only ``message``."""
    def show() -> None:
        st.error(message, icon=icon)
    return show


def _check_users(settings: Settings) -> None:
    """Outside demo mode a database with no user would let nobody in: say how to add one."""
    from ui.viewer import known_users

    if settings.demo_mode or known_users(settings):
        return
    raise SettingsError("the database holds no user: create the first administrator with "
                        "`python manage.py users add USERNAME --role admin`, or import your "
                        "users file with `python manage.py users import users.yaml`")


def main() -> None:
    st.set_page_config(page_title="Reintegration dashboard", page_icon="🧭", layout="wide")
    from ui import schema

    try:
        settings = load_settings()
        settings.check_for_serving()
        schema.at_head(settings.database_url)  # the server never migrates by itself
        users.check_for_serving(settings)
        _check_users(settings)
    except schema.SchemaBehind as exc:
        # Nothing else is served until `manage.py db upgrade` has run; said in the
        # session's language, or DEFAULT_LANGUAGE (nobody can be signed in yet).
        from i18n import normalise, set_language

        set_language(normalise(st.session_state.get("ui_language"),
                               load_settings().default_language))
        _only(st.Page(_error(schema.schema_message(exc), icon="🛠️"),
                      title=_("Upgrade needed"), url_path="upgrade", default=True))
        return
    except DatabaseUnavailable as exc:
        heading = _("The database cannot be reached.")
        _only(st.Page(_error(f"**{heading}** {exc}", icon="🔌"), title=_("Unavailable"),
                      url_path="unavailable", default=True))
        return
    except SettingsError as exc:
        heading = _("The dashboard cannot start.")
        # One line: a YAML or TOML parser's message spans several.
        message = f"**{heading}** {' '.join(str(exc).split())}"
        _only(st.Page(_error(message), title=_("Cannot start"), url_path="error",
                      default=True))
        return
    from ui import auth, filters, language
    from ui.navigation import PAGES, pages_for

    language.start(settings)  # before anything is drawn, the sign-in form included
    filters.keep_link()  # a shared link's filters survive the sign-in (issue 16)

    # A page file that is missing (a registry entry ahead of its page) must not take the
    # whole app down; tests/test_roles.py fails on it.
    present = {spec.path for spec in PAGES if (HERE / spec.path).is_file()}
    try:
        user, authenticator = auth.gate(settings)
    except DatabaseUnavailable as exc:
        # Sign-in reads the audit log (lockout): without a database nobody can sign in.
        heading = _("The database cannot be reached.")
        message = f"**{heading}** {exc}"
        _only(st.Page(_error(message, icon="🔌"), title=_("Unavailable"),
                      url_path="unavailable", default=True))
        return
    if user is None:
        # Signed out: the sign-in form (drawn by gate) is the page that runs; every page
        # file is registered hidden so that a deep link survives the sign-in, but none runs.
        # After sign-in only the role's pages are registered.
        page = st.navigation([st.Page(_signed_out, title=_("Sign in"), url_path="sign-in",
                                      default=True)]
                             + [st.Page(spec.path, title=_(spec.title)) for spec in PAGES
                                if spec.path in present], position="hidden")
        language.selector()
        if page.url_path == "sign-in":
            page.run()
        return
    sections: dict[str, list[st.Page]] = {}
    for spec in [s for s in pages_for(user.role) if s.path in present]:
        sections.setdefault(_(spec.section), []).append(
            st.Page(spec.path, title=_(spec.title), icon=spec.icon))
    navigation = st.navigation(sections, expanded=True)
    auth.sidebar(user, authenticator, settings)
    st.sidebar.caption(programme_title())
    filters.sidebar()
    navigation.run()


def run() -> None:
    """One script run: every figure it shows is read from one snapshot of the database
    (ui.data.page_run), closed when the run ends, however it ends."""
    from ui import memory
    from ui.data import page_run

    with page_run():
        main()
    memory.after_run()  # the first runs only: see ui/memory.py


run()
