"""The interface language of this run: chosen in the sidebar, remembered per user.

``start(settings)`` runs at the top of every script run (``app.py``), before anything is
drawn: it sets ``i18n``'s current language from, in order, the language stored with the
user at sign-in (the ``app_user`` table; it wins over the sign-in page's choice), the choice made in
this session, and the DEFAULT_LANGUAGE setting. ``selector()`` draws the choice in the
sidebar; a change is kept in the session and, for a stored user, written there
(``accounts.users.set_language``: one column of the user's row, in one statement).
Demo accounts are not stored: their choice lives in the session only.

Widgets show their value in the current language (issue 16). A selectbox, multiselect or
radio keeps in the browser the LABEL it last showed; when only the language changes, the
value (a stable code) is still valid, so Streamlit sends nothing and the box goes on
reading "Whole programme" in French. A widget whose options are labels registers its key
with ``relabelled(key)``; when the language changes, its value is set again through
session state, which makes Streamlit send the label of the new language.
"""

from __future__ import annotations

import contextlib

import streamlit as st

from accounts import users
from data_access.db import DatabaseUnavailable
from data_access.settings import Settings, load_settings
from i18n import LANGUAGES, NAMES, _, normalise, set_language

KEY = "ui_language"  # the session's choice (plain session state)
WIDGET = "ui_language_pick"  # the selectbox's own key
_LOADED_FOR = "_ui_language_user"  # whose stored language was applied to this session
_RELABEL = "_ui_relabel"  # keys of widgets whose options are labels (``relabelled``)


def relabelled(key: str) -> str:
    """Register ``key``, the key of a widget whose options are shown as labels of the
    current language, to be re-sent when the language changes; returns ``key``."""
    keys = st.session_state.setdefault(_RELABEL, set())
    keys.add(key)
    return key


def _relabel() -> None:
    """Set every registered widget's value again (called before the widgets are drawn,
    while the previous run's labels still decode the browser's values)."""
    for key in sorted(st.session_state.get(_RELABEL, ())):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def start(settings: Settings | None = None) -> str:
    """Set and return the language of this run."""
    settings = settings or load_settings()
    from ui.viewer import current_user

    user = current_user()
    if user is None:
        st.session_state.pop(_LOADED_FOR, None)  # signed out: the next sign-in reads it again
    elif st.session_state.get(_LOADED_FOR) != user.username:
        # First run after sign-in: the user's stored choice wins over the sign-in page's.
        st.session_state[_LOADED_FOR] = user.username
        stored = user.language if user.language in LANGUAGES else None
        if stored and stored != st.session_state.get(KEY):
            st.session_state[KEY] = stored
            _relabel()
    chosen = normalise(st.session_state.get(KEY), settings.default_language)
    st.session_state[KEY] = chosen
    set_language(chosen)
    return chosen


def _remember() -> None:
    """on_change of the selector: store the choice with the signed-in user."""
    from ui.viewer import current_user

    user = current_user()
    chosen = normalise(st.session_state.get(WIDGET))
    if chosen != st.session_state.get(KEY):
        _relabel()
    st.session_state[KEY] = chosen
    set_language(chosen)
    if user is None or user.demo:
        return
    with contextlib.suppress(users.UserError, DatabaseUnavailable):  # the session keeps it
        users.set_language(load_settings().database_url, user.username, chosen)


def selector() -> None:
    """The language choice at the top of the sidebar. Its value is set through session
    state whenever it differs from the run's language (the user's stored language at
    sign-in): Streamlit then sends it to the browser. Dropping the widget's state instead
    left the browser showing, and sending back at the next click, the old choice, which
    ``_remember`` then wrote over the stored one."""
    current = normalise(st.session_state.get(KEY))
    if st.session_state.get(WIDGET) != current:
        st.session_state[WIDGET] = current
    st.sidebar.selectbox(_("Language"), LANGUAGES, key=WIDGET, format_func=NAMES.__getitem__,
                         on_change=_remember)
