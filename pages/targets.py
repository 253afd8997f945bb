"""Targets: the logframe — every indicator with a target, by country, against its actual."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from i18n import _
from i18n.formats import number
from metrics import catalogue, targets
from ui import data, exports, filters, kpi, page
from views import charts
from views.format import by_kind, country_label, dimension_label, is_missing, month, percent

f = filters.current()  # first: it sets the run's language
ALL = _("All countries")
page.header(_("Targets"), _("Are we on track against the logframe targets, indicator by "
                            "indicator and country by country?"))
progress = data.progress(f)
if progress is None:
    st.info(_("The logframe (metrics.targets) is not available in this version."), icon="🛠️")
    st.stop()


def current(rows: pd.DataFrame) -> pd.DataFrame:
    """Per indicator and country, the target in force at the end of the period (the one
    comparison the KPI cards show too: ``metrics.targets.in_force``)."""
    return targets.in_force(rows, f.end)


def people_table(rows: pd.DataFrame) -> pd.DataFrame:
    kinds = [catalogue.get(code).kind for code in rows["indicator"]]
    return pd.DataFrame({
        _("Indicator"): [f"{c} {_(t)}" for c, t in zip(rows["indicator"], rows["title"],
                                                       strict=True)],
        _("Country"): [ALL if is_missing(c) else country_label(c) for c in rows["country"]],
        _("Target date"): [month(pd.Timestamp(d)) for d in rows["period_end"]],
        _("Baseline"): [by_kind(v, k) for v, k in zip(rows["baseline"], kinds, strict=True)],
        _("Target"): [by_kind(v, k) for v, k in zip(rows["target"], kinds, strict=True)],
        _("Due by"): [month(pd.Timestamp(d)) for d in rows["as_of"]],
        _("Target due then"): [by_kind(v, k) for v, k in zip(rows["prorated_target"], kinds,
                                                               strict=True)],
        _("Actual since the programme start"): [
            by_kind(v, k) for v, k in zip(rows["actual"], kinds, strict=True)],
        _("% of the target due"): [percent(v, digits=0) for v in rows["due_achieved"]],
        _("% of the full target"): [percent(v) for v in rows["achieved"]],
        _("Status"): [dimension_label("logframe_status", s) for s in rows["status"]],
    })


now = current(progress)
counts = now["status"].value_counts() if not now.empty else pd.Series(dtype=int)
STATUS_HELP = {
    "on track": _("Targets on track at the end of the period (of {n})"),
    "at risk": _("Targets at risk at the end of the period (of {n})"),
    "off track": _("Targets off track at the end of the period (of {n})"),
}
kpi.plain([kpi.Card(dimension_label("logframe_status", status).capitalize(),
                    number(counts.get(status, 0)), help=STATUS_HELP[status].format(n=len(now)))
           for status in ("on track", "at risk", "off track")]
          + [kpi.Card(_("Targets"), number(len(now)),
                      help=_("Indicator × country targets in force at the end of the period"))])

TARGET = _("logframe target")
heat = now.assign(
    indicator_title=[f"{c} {_(t)}" for c, t in zip(now["indicator"], now["title"],
                                                   strict=True)],
    country_name=[ALL if is_missing(c) else country_label(c) for c in now["country"]],
    text=[percent(v, digits=0) if not is_missing(v) else _("hidden")
          for v in now["due_achieved"]],
    value=now["due_achieved"], value_note="")
st.subheader(_("Traffic lights"))
page.chart(charts.traffic_lights(heat, "indicator_title", "country_name",
                                 title=_("Logframe progress at the end of the period"),
                                 subtitle=_("Colour: on track ≥ 90 %, at risk 60–90 %, off "
                                            "track < 60 % of the pro-rated target")),
           heat.assign(value=1), TARGET, f, "logframe_traffic_lights")
st.caption(_("% = (actual − baseline) ÷ (target − baseline), the actual cumulated from the "
             "programme start to the end of the period and the target due then (pro-rated "
             "to that day); the KPI cards show the same comparison."))

st.subheader(_("In force at the end of the period"))
page.table(people_table(now.sort_values(["indicator", "country"], na_position="first")),
           TARGET, f, "logframe_in_force")

st.subheader(_("The logframe"))
exports.iati_download()  # managers and admins only: the programme's results for IATI
page.table(people_table(progress.sort_values(["indicator", "country", "period_end"],
                                             na_position="first")),
           TARGET, f, "logframe")
