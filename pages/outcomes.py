"""Outcomes: are returnees followed up, do their businesses survive, are they reintegrated?"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from data_access.settings import load_settings
from i18n import _
from i18n.formats import number
from metrics import catalogue
from ui import data, filters, kpi, page
from views import charts

f = filters.current()
page.header(_("Outcomes"), _("Do we follow returnees up, do their businesses survive after 6 "
                             "and 12 months, how many jobs did they create, and are they "
                             "reintegrated?"))
kpi.cards(("FUP-1", "FUP-2", "FUP-2-12M", "FUP-3", "FUP-4", "FUP-4.sustainable_share"), f,
          per_row=3)
RATE = charts.value_format("rate")
SCORE = _(catalogue.get("FUP-4").unit)
THRESHOLD = load_settings().sustainability_threshold
SUSTAINABLE = _("sustainable ≥ {threshold}").format(threshold=number(THRESHOLD, digits=2))
SCORED = _("reintegration score")
JOB = _("job recorded")


def survival(by: str) -> pd.DataFrame:
    """FUP-2 and FUP-2-12M on one breakdown, stacked long with a ``horizon`` column."""
    six = data.figure("FUP-2", f, (by,)).assign(horizon="6m")
    twelve = data.figure("FUP-2-12M", f, (by,)).assign(horizon="12m")
    return pd.concat([six, twelve], ignore_index=True)


st.subheader(_("Follow-up"))
coverage = data.figure("FUP-1", f, ("country",))
page.chart(charts.bars(coverage, "country", value_format=RATE,
                       unit=_(catalogue.get("FUP-1").unit),
                       title=_("Follow-up coverage by country"),
                       subtitle=_("Returnees assisted 6+ months before the period end who had "
                                  "a visit 6+ months after their assistance")),
           coverage, _("returnee due a visit"), f, "followup_coverage_by_country")

st.subheader(_("Business survival"))
SURVIVAL_TITLES = {
    "sector": _("Businesses operating 6 and 12 months after delivery, by sector"),
    "modality": _("Businesses operating 6 and 12 months after delivery, by modality"),
}
for column, by in zip(st.columns(2), ("sector", "modality"), strict=True):
    with column:
        rates = survival(by)
        page.chart(charts.grouped_bars(rates, by, "horizon", value_format=RATE,
                                       unit=_(catalogue.get("FUP-2").unit),
                                       title=SURVIVAL_TITLES[by]),
                   rates, _("returnee visited"), f, f"business_survival_by_{by}")

st.subheader(_("Jobs created"))
left, right = st.columns(2)
JOBS = _(catalogue.get("FUP-3").unit)
with left:
    jobs = data.figure("FUP-3", f, ("sector",))
    page.chart(charts.bars(jobs, "sector", unit=JOBS, title=_("Jobs created by sector"),
                           subtitle=_("At each returnee's latest visit, their own job "
                                      "included")),
               jobs, JOB, f, "jobs_created_by_sector")
with right:
    jobs_country = data.figure("FUP-3", f, ("country",))
    page.chart(charts.bars(jobs_country, "country", unit=JOBS,
                           title=_("Jobs created by country")),
               jobs_country, JOB, f, "jobs_created_by_country")

st.subheader(_("Reintegration scores"))
left, right = st.columns(2)
names = {"economic": _("Economic"), "social": _("Social"), "psychosocial": _("Psychosocial"),
         "value": _("Composite")}
with left:
    total = data.total("FUP-4", f)
    scores = pd.DataFrame({"dimension": list(names.values()),
                           "value": [total.get(c) for c in names],
                           "value_note": total["value_note"]})
    page.chart(charts.threshold_bars(scores, "dimension", unit=SCORE,
                                     threshold=THRESHOLD, threshold_label=SUSTAINABLE,
                                     title=_("Mean reintegration score by dimension")),
               scores, SCORED, f, "reintegration_scores_by_dimension")
with right:
    composite = data.figure("FUP-4", f, ("country",))
    page.chart(charts.threshold_bars(composite, "country", unit=SCORE, colour=True,
                                     threshold=THRESHOLD, threshold_label=SUSTAINABLE,
                                     title=_("Mean composite reintegration score by country")),
               composite, SCORED, f, "reintegration_score_by_country")
table = data.figure("FUP-4", f, ("country",))
page.table(page.formatted(table, ["country"], {
    "beneficiaries": (_("Returnees scored"), "count"), "economic": (names["economic"], "score"),
    "social": (names["social"], "score"), "psychosocial": (names["psychosocial"], "score"),
    "value": (names["value"], "score"), "sustainable_share": (_("Sustainable"), "rate")}),
    SCORED, f, "reintegration_scores_by_country")
