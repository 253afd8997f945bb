"""Caseload: the scoped list of cases, follow-ups due and overdue, one case in detail, and
the Excel export of what is on screen. Focal points, managers and administrators only
(``ui.navigation``); the country scope is applied by the data layer, not here."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from data_access import audit, caseload, db
from data_access.db import DatabaseUnavailable
from ui import data, filters, page
from ui.viewer import current_scope, current_user

ALL, DUE = "All cases", "Follow-ups due and overdue"
SORT_LABELS = {"case_number": "Case number", "name": "Name", "region": "Region",
               "status": "Status", "last_visit": "Last visit", "next_due": "Next follow-up due"}
HORIZON_DAYS = 30

user = current_user()
if user is None or user.role == "donor":  # never registered for them; belt and braces
    st.stop()
f = filters.current()
page.header("Caseload", "Who are our cases, and who is due a follow-up visit?")

top = st.columns([2, 3, 2])
view = top[0].radio("View", (ALL, DUE), key="cl_view", horizontal=False)
search = top[1].text_input("Search", key="cl_search", placeholder="Case number or name")
today = min(dt.date.today(), f.end)
as_of = top[2].date_input("Follow-ups as of", value=today, key="cl_as_of",
                          format="YYYY-MM-DD",
                          help="A visit is due 6 and 12 months after the first delivered "
                               "assistance; overdue when past due with no visit since.")
controls = st.columns([2, 1, 1, 1])
default_sort = "next_due" if view == DUE else "case_number"
sort = controls[0].selectbox("Sort by", list(SORT_LABELS), format_func=SORT_LABELS.get,
                             index=list(SORT_LABELS).index(default_sort),
                             key=f"cl_sort_{'due' if view == DUE else 'all'}")
descending = controls[1].toggle("Descending", key="cl_desc")
size = controls[2].selectbox("Rows per page", (25, 50, 100), index=1, key="cl_size")

scope = current_scope()
try:
    with db.session(data.database_url(), scope) as session:
        count = caseload.cases(session, today=as_of, search=search, countries=f.countries,
                               sort=sort, descending=descending, limit=1,
                               due_within=HORIZON_DAYS if view == DUE else None).total
        pages = max(1, -(-count // size))
        if not 1 <= int(st.session_state.get("cl_page", 1)) <= pages:
            st.session_state["cl_page"] = 1
        number = controls[3].number_input(f"Page (of {pages})", min_value=1, max_value=pages,
                                          step=1, key="cl_page")
        result = caseload.cases(session, today=as_of, search=search, countries=f.countries,
                                sort=sort, descending=descending, limit=size,
                                offset=(int(number) - 1) * size,
                                due_within=HORIZON_DAYS if view == DUE else None)
except DatabaseUnavailable as exc:
    data.unavailable(exc)
    raise

rows = result.rows
shown = rows.drop(columns=["id"]).rename(columns=caseload.COLUMNS)
if rows.empty:
    st.info("No case matches. Clear the search or widen the countries in the sidebar.",
            icon="🔍")
else:
    first, last = result.offset + 1, result.offset + len(rows)
    st.caption(f"Cases {first}–{last} of {result.total:,}"
               f"{' with a follow-up overdue or due within 30 days' if view == DUE else ''}"
               f", as of {as_of:%d %b %Y}. Countries: "
               f"{', '.join(f.countries) if f.countries else 'all you may see'}.")
    st.dataframe(shown, hide_index=True, width="stretch")

    def _exported() -> None:
        audit.record(data.database_url(), user.username, audit.EXPORT, page="caseload",
                     view=view, rows=len(rows), countries=list(f.countries) or "all",
                     searched=bool(search.strip()), sort=sort, page_number=int(number),
                     as_of=as_of)

    st.download_button("Export this page to Excel", caseload.to_xlsx(
        shown, note=f"Caseload, {view.lower()}, as of {as_of:%Y-%m-%d}; rows {first}–{last} "
                    f"of {result.total}"),
        file_name=f"caseload_{as_of:%Y%m%d}_p{int(number)}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        on_click=_exported, icon=":material/download:", key="cl_export")

    st.subheader("Case detail")
    labels = {int(r.id): f"{r.case_number} — {r.name}" for r in rows.itertuples()}
    chosen = st.selectbox("Open a case from this page", list(labels), format_func=labels.get,
                          index=None, key="cl_case", placeholder="Choose a case")
    if chosen is not None:
        with db.session(data.database_url(), scope) as session:
            detail = caseload.case_detail(session, int(chosen))
        if detail is None:
            st.warning("This case is not in your caseload.")
        else:
            record = detail["record"]
            st.markdown(" · ".join(f"**{k}**: {v}" for k, v in record.items()
                                   if v not in (None, "")))
            for title, key in (("Assistance", "assistance"), ("Training", "training"),
                               ("Follow-up visits", "visits")):
                st.markdown(f"**{title}**")
                if detail[key].empty:
                    st.caption(f"No {title.lower()} recorded.")
                else:
                    st.dataframe(detail[key], hide_index=True, width="stretch")
