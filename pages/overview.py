"""Overview: headline figures, cumulative progress against target, where and in what."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from i18n import _
from metrics import catalogue, targets
from metrics.filters import programme_start
from ui import data, filters, kpi, page
from views import charts

HEADLINE = ("BEN-1", "BEN-2", "BEN-3", "ASS-2", "COOP-1", "COOP-2", "TRN-1", "TRN-2")

f = filters.current()
page.header(_("Overview"), _("How many returnees have we assisted, where, in what, and are we "
                            "on track?"))
kpi.cards(HEADLINE, f)

assisted = catalogue.get("BEN-2")
ASSISTED = _("returnee assisted")
PROJECT = _("reintegration project")
PROJECTS = _(catalogue.get("ASS-1").unit)
# Cumulative from the programme start (the line starts from the figure before the
# period, not from 0), shown over the period's months; the targets drawn are those ending
# in the period and the one due at its end (the cards' comparison, metrics.targets).
since_start = replace(f, start=min(programme_start(), f.start), granularity="month")
cumulative = data.figure("BEN-2", since_start, cumulative=True)
cumulative = cumulative[cumulative["period_start"] >= f.start.replace(day=1)]
progress = data.progress(f, HEADLINE)  # the cards read the same targets: one cached call
target_points = targets.target_points(progress, "BEN-2", f.countries, f.start, f.end)

left, right = st.columns(2)
with left:
    page.chart(charts.cumulative_line(
        cumulative, title=_("Returnees assisted, cumulative since the programme start"),
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
