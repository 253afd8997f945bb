"""Administration (admins only): users and roles, import history, the audit log.

Users are changed with `python manage.py users …` (passwords are typed at a prompt there);
this page shows them, never their password hashes."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from data_access import audit
from ui import data, page
from ui.viewer import current_user, known_users

user = current_user()
if user is None or user.role != "admin":  # never registered for others; belt and braces
    st.stop()
page.header("Administration", "Who can sign in, what was imported, and who did what?")
url = data.database_url()
users_tab, imports_tab, log_tab = st.tabs(["Users", "Imports", "Audit log"])

with users_tab:
    people = pd.DataFrame([u.public() for u in sorted(known_users().values(),
                                                      key=lambda u: u.username)])
    st.dataframe(people, hide_index=True, width="stretch")
    st.caption("Add, change or remove users on the server: `python manage.py users add "
               "USERNAME --role focal_point --country SN` (the password is asked at a "
               "prompt), `users set-password`, `users disable`, `users remove`.")

with imports_tab:
    runs = audit.import_runs(url)
    if runs:
        st.dataframe(pd.DataFrame(runs), hide_index=True, width="stretch")
    else:
        st.info("No import yet.", icon="📥")

with log_tab:
    since = st.date_input("Since", value=dt.date.today() - dt.timedelta(days=30),
                          key="adm_since", format="YYYY-MM-DD")
    actions = st.multiselect("Actions", audit.ACTIONS, key="adm_actions",
                             placeholder="All actions")
    events = audit.events(url, since, actions=actions, limit=2000)
    if events:
        st.dataframe(pd.DataFrame([{"at (UTC)": e.at, "user": e.username, "action": e.action,
                                    "detail": e.describe()} for e in events]),
                     hide_index=True, width="stretch")
        st.caption(f"{len(events)} event(s), newest first (at most 2,000 shown; "
                   "`python manage.py audit --since DATE` prints them all).")
    else:
        st.info("No event in this period.", icon="📜")
