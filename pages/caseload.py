"""Caseload: the scoped list of cases, follow-ups due and overdue, one case in detail, and
the Excel export of what is on screen. Focal points, managers and administrators only
(``ui.navigation``); the country scope is applied by the data layer, not here."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from accounts import audit
from casework import caseload
from data_access import db, followups
from i18n import N_, _, bound
from i18n import formats as F
from ui import caseload as caseload_rows
from ui import data, filters, language, page
from ui.text import say
from ui.viewer import current_scope, current_user
from views.format import country_label

# The view's values are stable keys (session state, the audit log); shown through ``_``.
ALL, DUE = N_("All cases"), N_("Follow-ups due and overdue")
SORT_LABELS = {"case_number": N_("Case number"), "name": N_("Name"), "region": N_("Region"),
               "status": N_("Status"), "last_visit": N_("Last visit"),
               "next_due": N_("Next follow-up due")}
HORIZON_DAYS = 30


def _translated(value: str) -> str:
    return _(value)


user = current_user()
if user is None or user.role == "donor":  # never registered for them; belt and braces
    st.stop()
username = user.username
f = filters.current()
page.header(_("Caseload"), _("Who are our cases, and who is due a follow-up visit?"))

top = st.columns([2, 3, 2])
view = top[0].radio(_("View"), (ALL, DUE), key=language.relabelled("cl_view"), horizontal=False,
                    format_func=bound(_translated))
search = top[1].text_input(_("Search"), key="cl_search",
                           placeholder=_("Case number or name"),
                           max_chars=caseload.SEARCH_MAX_CHARS)
if len(search) >= caseload.SEARCH_MAX_CHARS:  # Streamlit cuts the value at max_chars
    top[1].warning(say(_("A search is a case number or a name: only its first {n} "
                         "characters are searched."), n=caseload.SEARCH_MAX_CHARS), icon="✂️")
today = min(dt.date.today(), f.end)
as_of = top[2].date_input(_("Follow-ups as of"), value=today, key="cl_as_of",
                          format=_("YYYY-MM-DD"),
                          help=say(_("A visit is due {days} days after the first delivered "
                                     "assistance, and overdue from then until a visit at "
                                     "least that late; closed cases are not due."),
                                   days=followups.DUE_DAYS))
controls = st.columns([2, 1, 1, 1])
default_sort = "next_due" if view == DUE else "case_number"
sort = controls[0].selectbox(_("Sort by"), list(SORT_LABELS),
                             format_func=bound(lambda key: _(SORT_LABELS[key])),
                             index=list(SORT_LABELS).index(default_sort),
                             key=language.relabelled(f"cl_sort_{'due' if view == DUE else 'all'}"))
descending = controls[1].toggle(_("Descending"), key="cl_desc")
size = controls[2].selectbox(_("Rows per page"), (25, 50, 100), index=1, key="cl_size")

scope = current_scope()
requested = int(st.session_state.get("cl_page", 1) or 1)
result = caseload_rows.cases(today=as_of, search=search, countries=f.countries, sort=sort,
                             descending=descending, limit=size, page=requested,
                             due_within=HORIZON_DAYS if view == DUE else None)
if not 1 <= requested <= result.pages or result.offset != (requested - 1) * size:
    st.session_state["cl_page"] = 1  # the filters changed under the page: back to the first
number = controls[3].number_input(_("Page (of {pages})").format(pages=result.pages),
                                  min_value=1, max_value=result.pages, step=1, key="cl_page")

rows = result.rows
shown = caseload_rows.screen_rows(rows, as_of)  # follow-up first, in words (issue 16)
if rows.empty:
    st.info(_("No case matches. Clear the search or widen the countries in the sidebar."),
            icon="🔍")
else:
    first, last = result.offset + 1, result.offset + len(rows)
    countries = ", ".join(country_label(c) for c in f.countries) if f.countries \
        else _("all you may see")
    if view == DUE:
        heading = _("Cases {first}–{last} of {total} with a follow-up overdue or due within "
                    "30 days, as of {date}. Countries: {countries}.")
    else:
        heading = _("Cases {first}–{last} of {total}, as of {date}. Countries: {countries}.")
    st.caption(say(heading, first=F.number(first), last=F.number(last),
                   total=F.number(result.total), date=F.date(as_of), countries=countries))
    st.dataframe(shown, hide_index=True, width="stretch")

    def _exported() -> None:
        audit.record(data.database_url(), username, audit.EXPORT, page="caseload",
                     view=view, rows=len(rows), countries=list(f.countries) or "all",
                     searched=bool(search.strip()), sort=sort, page_number=int(number),
                     as_of=as_of)

    # Built when the button is clicked, not on every rerun (openpyxl costs tens of ms);
    # the texts are translated now, in this run's language.
    sheet = _("Caseload")
    note = _("Caseload, {view}, as of {date}; rows {first}–{last} of {total}").format(
        view=_(view).lower(), date=F.date(as_of), first=first, last=last, total=result.total)
    st.download_button(
        _("Export this page to Excel"), bound(lambda: caseload.to_xlsx(
            caseload_rows.screen_rows(rows, as_of, typed=True), sheet=sheet, note=note)),
        file_name=f"caseload_{as_of:%Y%m%d}_p{int(number)}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        on_click=_exported, icon=":material/download:", key="cl_export")

    st.subheader(_("Case detail"))
    labels = {int(r.id): f"{r.case_number} — {r.name}" for r in rows.itertuples()}
    chosen = st.selectbox(_("Open a case from this page"), list(labels),
                          format_func=labels.__getitem__, index=None, key="cl_case",
                          placeholder=_("Choose a case"))
    if chosen is not None:
        with db.session(data.database_url(), scope) as session:
            detail = caseload.case_detail(session, int(chosen))
        if detail is None:
            st.warning(_("This case is not in your caseload."))
        else:
            # Names and every other recorded value are data: shown as text (issue 15).
            st.markdown(" · ".join(say("**{heading}**: {value}", heading=heading, value=value)
                                   for heading, value in
                                   caseload_rows.record_items(detail["record"])))
            for title, key, none in (
                    (_("Assistance"), "assistance", _("No assistance recorded.")),
                    (_("Training"), "training", _("No training recorded.")),
                    (_("Follow-up visits"), "visits", _("No follow-up visits recorded.")),
                    (_("Referrals"), "referrals", _("No referrals recorded."))):
                st.markdown(say("**{title}**", title=title))
                if detail[key].empty:
                    st.caption(none)
                else:
                    st.dataframe(caseload_rows.detail_table(detail[key]),
                                 hide_index=True, width="stretch")
