"""Entry point: settings check, navigation, the shared filter sidebar.

Run with `streamlit run app.py` (or `make run`, which also prepares the database).
"""

from __future__ import annotations

import streamlit as st

from data_access.settings import SettingsError, load_settings

def main() -> None:
    st.set_page_config(page_title="Reintegration dashboard", page_icon="🧭", layout="wide")
    try:
        settings = load_settings()
        settings.check_for_serving()
    except SettingsError as exc:
        st.error(f"**The dashboard cannot start.** {exc}")
        st.stop()
    from ui import filters
    from ui.navigation import pages_for
    from ui.viewer import current_role

    sections: dict[str, list[st.Page]] = {}
    for spec in pages_for(current_role()):
        sections.setdefault(spec.section, []).append(
            st.Page(spec.path, title=spec.title, icon=spec.icon))
    navigation = st.navigation(sections)
    st.sidebar.caption(settings.programme_name)
    filters.sidebar()
    navigation.run()


main()
