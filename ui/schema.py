"""The server never migrates (issue 18): it serves only a database whose schema is at this
code's head revision, and otherwise says to run `python manage.py db upgrade`.

Used by ``app.py`` (before anything else is drawn), ``ui.data.database_url`` and
``ui.viewer.known_users`` (a page file run directly stops here too).
"""

from __future__ import annotations

import streamlit as st

from data_access import db
from i18n import _


@st.cache_resource(show_spinner=False)
def at_head(url: str) -> bool:
    """True once the database's schema is at this code's head (kept for the process);
    raises SchemaBehind otherwise (not kept: the next run checks again, so the app serves
    as soon as `manage.py db upgrade` has run). The server never migrates by itself."""
    current = db.current_revision(url)
    if current != db.head_revision():
        raise SchemaBehind(current)
    return True


class SchemaBehind(RuntimeError):
    """The database's schema is not the one this code needs (``db upgrade`` not run)."""

    def __init__(self, current: str | None) -> None:
        super().__init__(current)
        self.current = current


def schema_message(exc: SchemaBehind) -> str:
    return _("The database is not ready for this version of the dashboard (its schema is "
             "at revision {current}, this version needs {head}). Run `python manage.py db "
             "upgrade` on the server, then reload this page.").format(
                 current=exc.current or _("none"), head=db.head_revision())


def require(url: str) -> None:
    """Stop the run with the message unless ``url``'s schema is at head."""
    try:
        at_head(url)
    except SchemaBehind as exc:
        st.error(schema_message(exc), icon="🛠️")
        st.stop()
