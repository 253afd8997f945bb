"""Beneficiaries: the case pipeline, who the returnees are and where they come back to."""

from __future__ import annotations

import streamlit as st

from metrics import catalogue
from ui import charts, data, filters, kpi, page
from ui.format import country_label

f = filters.current()
page.header("Beneficiaries", "Who are the returnees, where do they return to, and where "
                             "does their case get stuck?")
kpi.cards(("BEN-1", "BEN-2", "BEN-3", "ASS-3"), f)
RETURNEES = catalogue.get("BEN-2").unit
TOP = 15

st.subheader("Case pipeline")
funnel = data.derived("funnel", f)
page.chart(charts.funnel(funnel, title="Returnees registered in the period, by the step "
                                       "their case reached", unit=RETURNEES,
                         subtitle="With the share of the previous step that moved on and "
                                  "the median days the step took"),
           funnel, "returnee registered", f, "case_pipeline")
page.table(page.formatted(funnel, ["step"], {
    "value": ("Returnees", "count"), "share": ("Moved on from previous step", "rate"),
    "median_days": ("Median days at this step", "days")}),
    "returnee registered", f, "case_pipeline_table")

st.subheader("Who was assisted")
left, right = st.columns(2)
with left:
    sex = data.figure("BEN-2", f, ("sex",))
    page.chart(charts.bars(sex, "sex", title="Returnees assisted by sex", unit=RETURNEES),
               sex, "returnee assisted", f, "beneficiaries_by_sex")
with right:
    age = data.figure("BEN-2", f, ("age_group", "sex"))
    page.chart(charts.grouped_bars(age, "age_group", "sex", stacked=True,
                                   title="Returnees assisted by age at return and sex",
                                   unit=RETURNEES),
               age, "returnee assisted", f, "beneficiaries_by_age_and_sex")

left, right = st.columns(2)
with left:
    vulnerable = data.figure("BEN-2", f, ("vulnerability",))
    page.chart(charts.bars(vulnerable, "vulnerability", colour=False,
                           title="Returnees assisted by vulnerability", unit=RETURNEES,
                           subtitle="A returnee with two vulnerabilities counts in both"),
               vulnerable, "returnee assisted", f, "beneficiaries_by_vulnerability")
with right:
    returns = data.figure("BEN-1", f, ("return_type",))
    page.chart(charts.bars(returns, "return_type", colour=False,
                           title="Returnees registered by return type",
                           unit=catalogue.get("BEN-1").unit),
               returns, "returnee registered", f, "beneficiaries_by_return_type")

st.subheader("Where from, where to")
left, right = st.columns(2)
with left:
    hosts = data.derived("host_countries", f).head(TOP)
    page.chart(charts.bars(hosts, "host_country", colour=False,
                           title=f"Returnees registered by host country (top {TOP})",
                           unit=catalogue.get("BEN-1").unit),
               hosts, "returnee registered", f, "beneficiaries_by_host_country")
with right:
    countries = data.figure("BEN-2", f, ("country",))
    picked = page.chart(charts.bars(countries, "country", select=True,
                                    title="Returnees assisted by country of return",
                                    unit=RETURNEES,
                                    subtitle="Click a country to see its regions"),
                        countries, "returnee assisted", f, "beneficiaries_by_country",
                        key="beneficiaries_country_pick")

chosen = sorted({str(p["country"]) for p in picked if "country" in p})
regions = data.figure("BEN-2", f, ("country", "region"))
if chosen:
    regions = regions[regions["country"].isin(chosen)]
    where = f"Regions of {', '.join(country_label(c) for c in chosen)}"
else:
    regions = regions.sort_values("value", ascending=False).head(TOP)
    where = f"The {TOP} largest regions of every country; click a country above for all of its"
page.chart(charts.grouped_bars(regions, "region", "country", stacked=True, sort_by_value=True,
                               title="Returnees assisted by region of return", unit=RETURNEES,
                               subtitle=where),
           regions, "returnee assisted", f, "beneficiaries_by_region")
