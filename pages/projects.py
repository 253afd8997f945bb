"""Reintegration projects: what was funded, where, for how much, and how fast."""

from __future__ import annotations

import streamlit as st

from metrics import catalogue
from ui import charts, data, filters, kpi, page

f = filters.current()
page.header("Reintegration projects", "What kinds of projects did we fund, in which "
                                      "sectors, for how much, and how long did returnees wait?")
kpi.cards(("ASS-1", "ASS-2", "ASS-2.mean", "ASS-3"), f)
PROJECTS = catalogue.get("ASS-1").unit
GRANTS = catalogue.get("ASS-2")
WAIT = catalogue.get("ASS-3")

st.subheader("Modality and sector")
left, right = st.columns(2)
with left:
    modality = data.figure("ASS-1", f, ("country", "modality"))
    page.chart(charts.grouped_bars(modality, "modality", "country",
                                   title="Reintegration projects by modality and country",
                                   unit=PROJECTS),
               modality, "reintegration project", f, "projects_by_modality_and_country")
with right:
    sector = data.figure("ASS-1", f, ("sector", "country"))
    page.chart(charts.grouped_bars(sector, "country", "sector", stacked=True,
                                   title="Reintegration projects by country and sector",
                                   unit=PROJECTS),
               sector, "reintegration project", f, "projects_by_sector_and_country")

st.subheader("Grants disbursed")
left, right = st.columns(2)
with left:
    amounts = data.figure("ASS-2", f, ("country",))
    page.chart(charts.bars(amounts, "country", title="Grants disbursed by country",
                           unit=GRANTS.unit),
               amounts, "grant disbursed", f, "grants_by_country")
with right:
    bands = data.derived("amount_bands", f)
    page.chart(charts.histogram(bands, title="Delivered assistance by amount", unit="records",
                                band_title="Amount (EUR)",
                                subtitle="Number of delivered records per €500 band"),
               bands, "grant disbursed", f, "grants_by_amount_band")

by_sector = data.figure("ASS-2", f, ("sector",))
page.table(page.formatted(by_sector, ["sector"], {
    "records": ("Records with an amount", "count"), "value": ("Total (EUR)", "money"),
    "mean": ("Mean (EUR)", "money")}), "grant disbursed", f, "grants_by_sector")

st.subheader("Time from return to assistance")
left, right = st.columns(2)
with left:
    wait = data.figure("ASS-3", f, ("country",))
    page.chart(charts.bars(wait, "country", title="Median time from return to first delivery",
                           unit=WAIT.unit),
               wait, "returnee assisted", f, "time_to_assistance_by_country")
with right:
    trend = data.figure("ASS-3", f, ("period",))
    page.chart(charts.bars(trend, "period", colour=False, horizontal=False,
                           sort_by_value=False, unit=WAIT.unit,
                           title="Median time to assistance, by period of delivery"),
               trend, "returnee assisted", f, "time_to_assistance_by_period")
