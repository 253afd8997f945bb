"""Entry point: settings check, sign-in, the pages of the viewer's role, the shared sidebar.

Run with `streamlit run app.py` (or `make run`, which also prepares the database).
"""

from __future__ import annotations

import streamlit as st

from data_access import users
from data_access.settings import SettingsError, load_settings


def main() -> None:
    st.set_page_config(page_title="Reintegration dashboard", page_icon="🧭", layout="wide")
    try:
        settings = load_settings()
        settings.check_for_serving()
        users.check_for_serving(settings)
    except SettingsError as exc:
        st.error(f"**The dashboard cannot start.** {exc}")
        st.stop()
    from ui import auth, filters
    from ui.navigation import PAGES, pages_for

    user, authenticator = auth.gate(settings)
    if user is None:
        # Signed out: every page registered hidden (a deep link survives the sign-in) and
        # none is run; after sign-in only the role's pages are registered.
        st.navigation([st.Page(spec.path, title=spec.title) for spec in PAGES],
                      position="hidden")
        return
    sections: dict[str, list[st.Page]] = {}
    for spec in pages_for(user.role):
        sections.setdefault(spec.section, []).append(
            st.Page(spec.path, title=spec.title, icon=spec.icon))
    navigation = st.navigation(sections)
    auth.sidebar(user, authenticator, settings)
    st.sidebar.caption(settings.programme_name)
    filters.sidebar()
    navigation.run()


main()
