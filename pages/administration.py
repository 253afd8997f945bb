"""Administration (admins only): users and roles, import history, the audit log.

Users are changed with `python manage.py users …` (passwords are typed at a prompt there);
this page shows them, never their password hashes."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from accounts import audit
from i18n import _, bound, ngettext
from i18n import formats as F
from ui import data, filters, page
from ui.auth import countries_text, role_label
from ui.text import say
from ui.viewer import current_user, known_users

filters.current()  # sets the language of this run (the page uses no filter)
user = current_user()
if user is None or user.role != "admin":  # never registered for others; belt and braces
    st.stop()


def action_name(action: str) -> str:
    """An audit action code in words, in the current language."""
    names = {audit.SIGN_IN: _("Sign-in"), audit.SIGN_IN_FAILED: _("Failed sign-in"),
             audit.SIGN_IN_LOCKED: _("Sign-in refused (locked)"),
             audit.SIGN_OUT: _("Sign-out"), audit.EXPORT: _("Export"),
             audit.USER_CHANGE: _("User change")}
    return names.get(action, action)


def yes_no(value: object) -> str:
    return _("yes") if value else _("no")


page.header(_("Administration"), _("Who can sign in, what was imported, and who did what?"))
url = data.database_url()
users_tab, imports_tab, log_tab = st.tabs([_("Users"), _("Imports"), _("Audit log")])

with users_tab:
    people = pd.DataFrame([{
        _("Username"): u.username, _("Name"): u.name, _("Role"): role_label(u.role),
        _("Countries"): countries_text(u), _("Email"): u.email,
        _("Disabled"): yes_no(u.disabled), _("Demo account"): yes_no(u.demo),
    } for u in sorted(known_users().values(), key=lambda u: u.username)])
    st.dataframe(people, hide_index=True, width="stretch")
    st.caption(_("Add, change or remove users on the server: `python manage.py users add "
                 "USERNAME --role focal_point --country SN` (the password is asked at a "
                 "prompt), `users set-password`, `users set-role`, `users disable`, "
                 "`users remove`, `users import users.yaml`."))

with imports_tab:
    runs = audit.import_runs(url)
    if runs:
        headings = {"started": _("Started (UTC)"), "user": _("User"), "file": _("File"),
                    "dry run": _("Dry run"), "succeeded": _("Succeeded"),
                    "counts": _("Counts"), "sha256": "SHA-256"}
        frame = pd.DataFrame(runs)
        for column in ("dry run", "succeeded"):
            frame[column] = [yes_no(v) for v in frame[column]]
        st.dataframe(frame.rename(columns=headings), hide_index=True, width="stretch")
    else:
        st.info(_("No import yet."), icon="📥")

with log_tab:
    since = st.date_input(_("Since"), value=dt.date.today() - dt.timedelta(days=30),
                          key="adm_since", format=_("YYYY-MM-DD"))
    actions = st.multiselect(_("Actions"), audit.ACTIONS, key="adm_actions",
                             format_func=bound(action_name), placeholder=_("All actions"))
    events = audit.events(url, since, actions=actions, limit=2000)
    if events:
        st.dataframe(pd.DataFrame([{_("At (UTC)"): e.at, _("User"): e.username,
                                    _("Action"): action_name(e.action),
                                    _("Detail"): e.describe()} for e in events]),
                     hide_index=True, width="stretch")
        st.caption(say(ngettext("{n} event, newest first (at most {limit} shown; `python "
                                "manage.py audit --since DATE` prints them all).",
                                "{n} events, newest first (at most {limit} shown; `python "
                                "manage.py audit --since DATE` prints them all).",
                                len(events)), n=F.number(len(events)), limit=F.number(2000)))
    else:
        st.info(_("No event in this period."), icon="📜")
