"""Data quality: what in the records needs fixing, and where."""

from __future__ import annotations

import streamlit as st

from ui import charts, data, filters, kpi, page
from ui.format import country_label, number, percent
from ui.viewer import current_role

f = filters.current()
page.header("Data quality", "Which records are incomplete, duplicated or impossible, and "
                            "which returnees are overdue a follow-up visit?")
st.caption("Checked: the records of returnees registered in the period (and their "
           "assistance and visits).")
checks = data.derived("quality_checks", f)
long = data.derived("completeness", f)
filled, expected = int(long["filled"].sum()), int(long["expected"].sum())
failing = checks[checks["value"].fillna(1) > 0]
kpi.plain([
    kpi.Card("Completeness", percent(filled / expected) if expected else "–",
             help="Required fields filled, over every field checked below"),
    kpi.Card("Checks with problems", f"{len(failing)} of {len(checks)}"),
    kpi.Card("Records with a problem", number(checks["value"].sum()),
             help="A record failing two checks counts twice"),
    kpi.Card("Fields checked", f"{expected:,}"),
])

st.subheader("Checks")
bars = checks.assign(label=checks["title"])
page.chart(charts.bars(bars, "label", colour=False, unit="records",
                       title="Records failing each check"),
           bars, "record failing a check", f, "data_quality_checks")
page.table(checks.assign(Records=[number(v, n) for v, n in zip(
    checks["value"], checks["value_note"], strict=True)])[["title", "description", "Records"]]
           .rename(columns={"title": "Check", "description": "What it finds"}),
           "data-quality check", f, "data_quality_checks_table")

if current_role() != "donor":
    for _, check in failing.iterrows():
        with st.expander(f"{check['title']}: {number(check['value'])} record(s)"):
            cases = data.derived("quality_cases", f, check["check"])
            st.caption("Case numbers only (at most 500); open them in the caseload to fix.")
            page.table(cases.rename(columns={"case_number": "Case number"}),
                       "case failing this check", f, f"cases_{check['check']}")

st.subheader("Completeness by country")
scores = long.groupby("country", as_index=False)[["filled", "expected"]].sum()
scores["value"] = scores["filled"] / scores["expected"]
scores["value_note"] = ""
left, right = st.columns(2)
with left:
    page.chart(charts.bars(scores, "country", value_format=".0%", unit="% of fields filled",
                           title="Completeness score by country"),
               scores, "record", f, "completeness_by_country")
with right:
    if not long.empty:
        wide = long.assign(share=long["filled"] / long["expected"]).pivot_table(
            index="label", columns="country", values="share", sort=False)
        wide.columns = [country_label(c) for c in wide.columns]
        page.table(wide.map(percent).reset_index().rename(columns={"label": "Field"}),
                   "record", f, "completeness_by_field")
