"""Cooperatives: how many were formed, in what, where, with whom, and how they are doing."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from i18n import _
from metrics import catalogue
from ui import data, filters, kpi, page
from views import charts
from views.format import country_label, date, dimension_label, is_missing, number, region_label

f = filters.current()
page.header(_("Cooperatives"), _("How many cooperatives of returnees were formed, in which "
                                 "sectors and regions, with whom, and are they operating?"))
kpi.cards(("COOP-1", "COOP-2", "COOP-2.share", "BEN-2"), f)
FORMED = _(catalogue.get("COOP-1").unit)
MEMBERS = _(catalogue.get("COOP-2").unit)
REGISTERED = _("cooperative registered")
MEMBER = _("cooperative member")

st.subheader(_("Formed"))
per_period = data.figure("COOP-1", f, ("country", "period"))
page.chart(charts.stacked_periods(per_period, "country", unit=FORMED, filters=f,
                                  through=data.data_as_of().date(),
                                  title=_("Cooperatives legally registered, by period")),
           per_period, REGISTERED, f, "cooperatives_by_period")
left, right = st.columns(2)
with left:
    sector = data.figure("COOP-1", f, ("sector",))
    page.chart(charts.bars(sector, "sector", title=_("Cooperatives registered by sector"),
                           unit=FORMED),
               sector, REGISTERED, f, "cooperatives_by_sector")
with right:
    region = data.figure("COOP-1", f, ("country", "region"))
    page.chart(charts.grouped_bars(region, "region", "country", stacked=True, unit=FORMED,
                                   title=_("Cooperatives registered by region")),
               region, REGISTERED, f, "cooperatives_by_region")

st.subheader(_("Members"))
st.caption(_("Each returnee is counted once: a member of a cooperative who also received "
             "individual assistance counts only as a member."))
left, right = st.columns(2)
with left:
    route = data.derived("assisted_by_route", f, ("country",))
    page.chart(charts.grouped_bars(route, "country", "route", stacked=True, unit=MEMBERS,
                                   title=_("Returnees assisted, in a cooperative or not")),
               route, _("returnee assisted"), f, "assisted_in_cooperatives_or_not")
with right:
    sex = data.figure("COOP-2", f, ("sex",))
    page.chart(charts.bars(sex, "sex", title=_("Members of cooperatives by sex"),
                           unit=MEMBERS),
               sex, MEMBER, f, "cooperative_members_by_sex")
vulnerable = data.figure("COOP-2", f, ("vulnerability",))
page.chart(charts.bars(vulnerable, "vulnerability", colour=False, unit=MEMBERS,
                       title=_("Members of cooperatives by vulnerability"),
                       subtitle=_("A member with two vulnerabilities counts in both")),
           vulnerable, MEMBER, f, "cooperative_members_by_vulnerability")

st.subheader(_("Status and list"))
status = data.derived("cooperatives_by_status", f)
page.chart(charts.bars(status, "status", colour=False, unit=FORMED,
                       title=_("Cooperatives formed by the end of the period, by status"),
                       subtitle=_("Every cooperative registered (or started) by the end of "
                                  "the period, whatever its status; the “Cooperatives "
                                  "formed” card counts those registered in the period")),
           status, _("cooperative"), f, "cooperatives_by_status")
# Only the rows shown are read (by country and name) and formatted on each run, with the
# count of the whole list; the downloads read and format the whole list when clicked.
listing = data.derived("cooperative_list", f, page.TABLE_LIMIT)
count = int(data.derived("cooperative_count", f)["value"].iloc[0])
headings = {"name": _("Name"), "country": _("Country"), "region": _("Region"),
            "sector": _("Sector"), "partner": _("Partner"),
            "registration_date": _("Registration date"), "status": _("Status"),
            "members": _("Members")}


def people(rows: pd.DataFrame) -> pd.DataFrame:
    """The list for people: codes in words, dates and member counts as text."""
    return rows.assign(
        country=[country_label(c) for c in rows["country"]],
        region=[region_label(r) if r != "unknown" else _("Not recorded")
                for r in rows["region"]],
        sector=[dimension_label("sector", s) for s in rows["sector"]],
        partner=[p if isinstance(p, str) and p else "–" for p in rows["partner"]],
        registration_date=[date(pd.Timestamp(d)) if not is_missing(d) else _("Not yet")
                           for d in rows["registration_date"]],
        status=[dimension_label("status", s) for s in rows["status"]],
        members=[number(m, n) for m, n in zip(rows["members"], rows["members_note"],
                                              strict=True)],
    ).drop(columns=["members_note"]).rename(columns=lambda c: headings.get(
        c, c.replace("_", " ").capitalize()))


whole_list = data.derived_later("cooperative_list", f)
page.table(people(listing), _("cooperative"), f, "cooperatives_list", total=count,
           full=lambda: people(whole_list()))
