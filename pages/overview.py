"""Overview: headline figures, cumulative progress against target, where and in what."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from i18n import _
from metrics import catalogue
from ui import charts, data, filters, kpi, page

HEADLINE = ("BEN-1", "BEN-2", "BEN-3", "ASS-2", "COOP-1", "COOP-2", "TRN-1", "TRN-2")

f = filters.current()
page.header(_("Overview"), _("How many returnees have we assisted, where, in what, and are we "
                            "on track?"))
kpi.cards(HEADLINE, f)

assisted = catalogue.get("BEN-2")
ASSISTED = _("returnee assisted")
PROJECT = _("reintegration project")
PROJECTS = _(catalogue.get("ASS-1").unit)
cumulative = data.figure("BEN-2", replace(f, granularity="month"), cumulative=True)
progress = data.progress(f, HEADLINE)  # the cards read the same targets: one cached call
target_points = None
if progress is not None and not progress.empty:
    rows = progress[(progress["indicator"] == "BEN-2")]
    rows = rows[rows["country"].isna()] if not f.countries else rows[
        rows["country"].isin(f.countries)]
    if not rows.empty:
        target_points = (rows.groupby("period_end", as_index=False)["target"].sum()
                         .rename(columns={"period_end": "period_start", "target": "value"}))

left, right = st.columns(2)
with left:
    page.chart(charts.cumulative_line(cumulative, title=_("Returnees assisted, cumulative"),
                                      unit=_(assisted.unit), targets=target_points),
               cumulative, ASSISTED, f, "returnees_assisted_cumulative")
with right:
    by_country = data.figure("BEN-2", f, ("country", "period"))
    page.chart(charts.stacked_periods(by_country, "country", filters=f,
                                      through=data.data_as_of().date(),
                                      title=_("Returnees assisted by country and period"),
                                      unit=_(assisted.unit)),
               by_country, ASSISTED, f, "returnees_assisted_by_country")

left, right = st.columns(2)
with left:
    sectors = data.figure("ASS-1", f, ("sector",))
    page.chart(charts.bars(sectors, "sector", title=_("Reintegration projects by sector"),
                           unit=PROJECTS),
               sectors, PROJECT, f, "projects_by_sector")
with right:
    modality = data.figure("ASS-1", f, ("modality",))
    page.chart(charts.bars(modality, "modality", title=_("Reintegration projects by modality"),
                           unit=PROJECTS, colour=False),
               modality, PROJECT, f, "projects_by_modality")
