"""The interface language of this run: chosen in the sidebar, remembered per user.

``start(settings)`` runs at the top of every script run (``app.py``), before anything is
drawn: it sets ``i18n``'s current language from, in order, the choice made in this
session, the language stored with the signed-in user (users file), and the
DEFAULT_LANGUAGE setting. ``selector()`` draws the choice in the sidebar; a change is
kept in the session and, for a user of the users file, written there
(``data_access.users.set_language``). Demo accounts are not in the file: their choice
lives in the session only.
"""

from __future__ import annotations

import contextlib

import streamlit as st

from data_access import users
from data_access.settings import Settings, load_settings
from i18n import LANGUAGES, NAMES, _, normalise, set_language

KEY = "ui_language"  # the session's choice (plain session state)
WIDGET = "ui_language_pick"  # the selectbox's own key
_LOADED_FOR = "_ui_language_user"  # whose stored language was applied to this session


def start(settings: Settings | None = None) -> str:
    """Set and return the language of this run."""
    settings = settings or load_settings()
    from ui.viewer import current_user

    user = current_user()
    if user is not None and st.session_state.get(_LOADED_FOR) != user.username:
        # First run after sign-in: the user's stored choice wins over the sign-in page's.
        st.session_state[_LOADED_FOR] = user.username
        stored = user.language if user.language in LANGUAGES else None
        if stored:
            st.session_state[KEY] = stored
    chosen = normalise(st.session_state.get(KEY), settings.default_language)
    st.session_state[KEY] = chosen
    if WIDGET in st.session_state and st.session_state[WIDGET] != chosen:
        # Chosen elsewhere (the user's stored language): drop the selector's state so that
        # it is drawn anew from ``index`` (start() runs before it is drawn).
        del st.session_state[WIDGET]
    set_language(chosen)
    return chosen


def _remember() -> None:
    """on_change of the selector: store the choice with the signed-in user."""
    from ui.viewer import current_user

    user = current_user()
    chosen = normalise(st.session_state.get(WIDGET))
    st.session_state[KEY] = chosen
    set_language(chosen)
    if user is None or user.demo:
        return
    with contextlib.suppress(users.UserError, OSError):  # the session keeps the choice
        users.set_language(load_settings().users_file, user.username, chosen)


def selector() -> None:
    """The language choice at the top of the sidebar. Its first value comes from
    ``index`` (a value planted in session state before a selectbox first exists does not
    reach the browser)."""
    current = normalise(st.session_state.get(KEY))
    st.sidebar.selectbox(_("Language"), LANGUAGES, index=LANGUAGES.index(current), key=WIDGET,
                         format_func=NAMES.get, on_change=_remember)
