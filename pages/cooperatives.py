"""Cooperatives: how many were formed, in what, where, with whom, and how they are doing."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from metrics import catalogue
from ui import charts, data, filters, kpi, page
from ui.format import country_label, dimension_label, is_missing, number, region_label

f = filters.current()
page.header("Cooperatives", "How many cooperatives of returnees were formed, in which sectors "
                            "and regions, with whom, and are they operating?")
kpi.cards(("COOP-1", "COOP-2", "COOP-2.share", "BEN-2"), f)
FORMED = catalogue.get("COOP-1").unit
MEMBERS = catalogue.get("COOP-2").unit

st.subheader("Formed")
per_period = data.figure("COOP-1", f, ("country", "period"))
page.chart(charts.stacked_periods(per_period, "country", unit=FORMED,
                                  title="Cooperatives legally registered, by period"),
           per_period, "cooperative registered", f, "cooperatives_by_period")
left, right = st.columns(2)
with left:
    sector = data.figure("COOP-1", f, ("sector",))
    page.chart(charts.bars(sector, "sector", title="Cooperatives registered by sector",
                           unit=FORMED),
               sector, "cooperative registered", f, "cooperatives_by_sector")
with right:
    region = data.figure("COOP-1", f, ("country", "region"))
    page.chart(charts.grouped_bars(region, "region", "country", stacked=True, unit=FORMED,
                                   title="Cooperatives registered by region"),
               region, "cooperative registered", f, "cooperatives_by_region")

st.subheader("Members")
st.caption("Each returnee is counted once: a member of a cooperative who also received "
           "individual assistance counts only as a member.")
left, right = st.columns(2)
with left:
    route = data.derived("assisted_by_route", f, ("country",))
    page.chart(charts.grouped_bars(route, "country", "route", stacked=True, unit=MEMBERS,
                                   title="Returnees assisted, in a cooperative or not"),
               route, "returnee assisted", f, "assisted_in_cooperatives_or_not")
with right:
    sex = data.figure("COOP-2", f, ("sex",))
    page.chart(charts.bars(sex, "sex", title="Members of cooperatives by sex", unit=MEMBERS),
               sex, "cooperative member", f, "cooperative_members_by_sex")
vulnerable = data.figure("COOP-2", f, ("vulnerability",))
page.chart(charts.bars(vulnerable, "vulnerability", colour=False, unit=MEMBERS,
                       title="Members of cooperatives by vulnerability",
                       subtitle="A member with two vulnerabilities counts in both"),
           vulnerable, "cooperative member", f, "cooperative_members_by_vulnerability")

st.subheader("Status and list")
status = data.derived("cooperatives_by_status", f)
page.chart(charts.bars(status, "status", colour=False, unit=FORMED,
                       title="Cooperatives formed by the end of the period, by status"),
           status, "cooperative", f, "cooperatives_by_status")
listing = data.derived("cooperative_list", f)
table = listing.assign(
    country=[country_label(c) for c in listing["country"]],
    region=[region_label(r) if r != "unknown" else "Not recorded" for r in listing["region"]],
    sector=[dimension_label("sector", s) for s in listing["sector"]],
    partner=[p if isinstance(p, str) and p else "–" for p in listing["partner"]],
    registration_date=[f"{pd.Timestamp(d):%d %b %Y}" if not is_missing(d) else "Not yet"
                       for d in listing["registration_date"]],
    status=[dimension_label("status", s) for s in listing["status"]],
    members=[number(m, n) for m, n in zip(listing["members"], listing["members_note"],
                                          strict=True)],
).drop(columns=["members_note"]).rename(columns=lambda c: c.replace("_", " ").capitalize())
page.table(table, "cooperative", f, "cooperatives_list")
