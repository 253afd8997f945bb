"""Reintegration projects: what was funded, where, for how much, and how fast."""

from __future__ import annotations

import streamlit as st

from i18n import _
from metrics import catalogue
from metrics.distributions import BAND_WIDTH, band_label
from ui import data, filters, kpi, page
from views import charts
from views.format import money, money_label

f = filters.current()
page.header(_("Reintegration projects"), _("What kinds of projects did we fund, in which "
                                           "sectors, for how much, and how long did returnees "
                                           "wait?"))
kpi.cards(("ASS-1", "ASS-2", "ASS-2.mean", "ASS-3"), f)
PROJECTS = _(catalogue.get("ASS-1").unit)
GRANTS = _(catalogue.get("ASS-2").unit)
WAIT = _(catalogue.get("ASS-3").unit)
PROJECT = _("reintegration project")
GRANT = _("grant disbursed")
ASSISTED = _("returnee assisted")


st.subheader(_("Modality and sector"))
left, right = st.columns(2)
with left:
    modality = data.figure("ASS-1", f, ("country", "modality"))
    page.chart(charts.grouped_bars(modality, "modality", "country",
                                   title=_("Reintegration projects by modality and country"),
                                   unit=PROJECTS),
               modality, PROJECT, f, "projects_by_modality_and_country")
with right:
    sector = data.figure("ASS-1", f, ("sector", "country"))
    page.chart(charts.grouped_bars(sector, "country", "sector", stacked=True,
                                   title=_("Reintegration projects by country and sector"),
                                   unit=PROJECTS),
               sector, PROJECT, f, "projects_by_sector_and_country")

st.subheader(_("Grants disbursed"))
st.caption(data.money_note(f))
left, right = st.columns(2)
with left:
    amounts = data.figure("ASS-2", f, ("country",))
    page.chart(charts.bars(amounts, "country", title=_("Grants disbursed by country"),
                           unit=GRANTS),
               amounts, GRANT, f, "grants_by_country", money=True)
with right:
    bands = data.derived("amount_bands", f)
    bands = bands.assign(label=[band_label(int(b)) for b in bands["band"]])
    page.chart(charts.histogram(bands, title=_("Delivered assistance by amount"),
                                unit=_("records"), band_title=money_label(_("Amount")),
                                subtitle=_("Number of delivered records per {width} band")
                                .format(width=money(BAND_WIDTH))),
               bands, GRANT, f, "grants_by_amount_band", money=True)

by_sector = data.figure("ASS-2", f, ("sector",))
page.table(page.formatted(by_sector, ["sector"], {
    "records": (_("Records with an amount"), "count"), "value": (money_label(_("Total")), "money"),
    "mean": (money_label(_("Mean")), "money")}), GRANT, f, "grants_by_sector", money=True)

st.subheader(_("Time from return to assistance"))
left, right = st.columns(2)
with left:
    wait = data.figure("ASS-3", f, ("country",))
    page.chart(charts.bars(wait, "country",
                           title=_("Median time from return to first delivery"), unit=WAIT),
               wait, ASSISTED, f, "time_to_assistance_by_country")
with right:
    trend = data.figure("ASS-3", f, ("period",))
    page.chart(charts.period_bars(trend, f, kind="days", unit=WAIT,
                                  through=data.data_as_of().date(),
                                  title=_("Median time to assistance, by period of delivery")),
               trend, ASSISTED, f, "time_to_assistance_by_period")
