"""Data quality: what in the records needs fixing, and where."""

from __future__ import annotations

import streamlit as st

from data_access import followups
from i18n import _, ngettext
from ui import data, filters, kpi, page
from ui.text import say
from ui.viewer import current_role
from views import charts
from views.format import country_label, number, percent

f = filters.current()
page.header(_("Data quality"), _("Which records are incomplete, duplicated or impossible, and "
                                 "which returnees are overdue a follow-up visit?"))
st.caption(_("Checked: the records of returnees registered in the period (and their "
             "assistance and visits)."))
checks = data.derived("quality_checks", f)
# The check titles and descriptions are English constants of metrics.quality (N_); {days}
# in a description is the follow-up rule's due delay.
checks = checks.assign(title=[_(t) for t in checks["title"]],
                       description=[_(d).format(days=followups.DUE_DAYS)
                                    for d in checks["description"]])
long = data.derived("completeness", f)
long = long.assign(label=[_(label) for label in long["label"]])
filled, expected = int(long["filled"].sum()), int(long["expected"].sum())
failing = checks[checks["value"].fillna(1) > 0]
kpi.plain([
    kpi.Card(_("Completeness"), percent(filled / expected) if expected else "–",
             help=_("Required fields filled, over every field checked below")),
    kpi.Card(_("Checks with problems"),
             _("{failing} of {checks}").format(failing=len(failing), checks=len(checks))),
    kpi.Card(_("Records with a problem"), number(checks["value"].sum()),
             help=_("A record failing two checks counts twice")),
    kpi.Card(_("Fields checked"), number(expected)),
])

RECORDS = _("records")
st.subheader(_("Checks"))
bars = checks.assign(label=checks["title"])
page.chart(charts.bars(bars, "label", colour=False, unit=RECORDS,
                       title=_("Records failing each check")),
           bars, _("record failing a check"), f, "data_quality_checks")
page.table(checks.assign(records=[number(v, n) for v, n in zip(
    checks["value"], checks["value_note"], strict=True)])[["title", "description", "records"]]
           .rename(columns={"title": _("Check"), "description": _("What it finds"),
                            "records": _("Records")}),
           _("data-quality check"), f, "data_quality_checks_table")

if current_role() != "donor":
    for _index, check in failing.iterrows():
        count = int(check["value"])
        with st.expander(say(ngettext("{check}: {n} record", "{check}: {n} records", count),
                             check=check["title"], n=number(count))):
            # Listed on demand: finding the cases behind a check reads the case tables
            # (seconds at a million returnees), so a page load does not. Once asked, the
            # list stays shown for this session (read through the cache on the data version).
            shown = f"dq_cases_{check['check']}"
            if not st.session_state.get(shown):
                st.session_state[shown] = st.button(_("List the case numbers"),
                                                    key=f"{shown}_ask")
            if st.session_state[shown]:
                with st.spinner(_("Finding the cases…")):
                    cases = data.derived("quality_cases", f, check["check"])
                st.caption(_("Case numbers only (at most 500); open them in the caseload "
                             "to fix."))
                page.table(cases.rename(columns={"case_number": _("Case number")}),
                           _("case failing this check"), f, f"cases_{check['check']}")

st.subheader(_("Completeness by country"))
scores = long.groupby("country", as_index=False)[["filled", "expected"]].sum()
scores["value"] = scores["filled"] / scores["expected"]
scores["value_note"] = ""
left, right = st.columns(2)
with left:
    page.chart(charts.bars(scores, "country", value_format=".0%",
                           unit=_("% of fields filled"),
                           title=_("Completeness score by country")),
               scores, _("record"), f, "completeness_by_country")
with right:
    if not long.empty:
        wide = long.assign(share=long["filled"] / long["expected"]).pivot_table(
            index="label", columns="country", values="share", sort=False)
        wide.columns = [country_label(c) for c in wide.columns]
        page.table(wide.map(percent).reset_index().rename(columns={"label": _("Field")}),
                   _("record"), f, "completeness_by_field")
