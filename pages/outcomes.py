"""Outcomes: are returnees followed up, do their businesses survive, are they reintegrated?"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from data_access.settings import load_settings
from metrics import catalogue
from ui import charts, data, filters, kpi, page

f = filters.current()
page.header("Outcomes", "Do we follow returnees up, do their businesses survive after 6 and "
                        "12 months, how many jobs did they create, and are they reintegrated?")
kpi.cards(("FUP-1", "FUP-2", "FUP-2-12M", "FUP-3", "FUP-4", "FUP-4.sustainable_share"), f,
          per_row=3)
RATE = charts.value_format("rate")
SCORE = catalogue.get("FUP-4")
THRESHOLD = load_settings().sustainability_threshold


def survival(by: str) -> pd.DataFrame:
    """FUP-2 and FUP-2-12M on one breakdown, stacked long with a ``horizon`` column."""
    six = data.figure("FUP-2", f, (by,)).assign(horizon="6m")
    twelve = data.figure("FUP-2-12M", f, (by,)).assign(horizon="12m")
    return pd.concat([six, twelve], ignore_index=True)


st.subheader("Follow-up")
coverage = data.figure("FUP-1", f, ("country",))
page.chart(charts.bars(coverage, "country", value_format=RATE,
                       unit=catalogue.get("FUP-1").unit,
                       title="Follow-up coverage by country",
                       subtitle="Returnees assisted 6+ months before the period end who had "
                                "a visit 6+ months after their assistance"),
           coverage, "returnee due a visit", f, "followup_coverage_by_country")

st.subheader("Business survival")
for column, by in zip(st.columns(2), ("sector", "modality"), strict=True):
    with column:
        rates = survival(by)
        page.chart(charts.grouped_bars(rates, by, "horizon", value_format=RATE,
                                       unit=catalogue.get("FUP-2").unit,
                                       title="Businesses operating 6 and 12 months after "
                                             f"delivery, by {by}"),
                   rates, "returnee visited", f, f"business_survival_by_{by}")

st.subheader("Jobs created")
left, right = st.columns(2)
JOBS = catalogue.get("FUP-3").unit
with left:
    jobs = data.figure("FUP-3", f, ("sector",))
    page.chart(charts.bars(jobs, "sector", unit=JOBS, title="Jobs created by sector",
                           subtitle="At each returnee's latest visit, their own job included"),
               jobs, "job recorded", f, "jobs_created_by_sector")
with right:
    jobs_country = data.figure("FUP-3", f, ("country",))
    page.chart(charts.bars(jobs_country, "country", unit=JOBS,
                           title="Jobs created by country"),
               jobs_country, "job recorded", f, "jobs_created_by_country")

st.subheader("Reintegration scores")
left, right = st.columns(2)
with left:
    total = data.total("FUP-4", f)
    names = {"economic": "Economic", "social": "Social", "psychosocial": "Psychosocial",
             "value": "Composite"}
    scores = pd.DataFrame({"dimension": list(names.values()),
                           "value": [total.get(c) for c in names],
                           "value_note": total["value_note"]})
    page.chart(charts.threshold_bars(scores, "dimension", unit=SCORE.unit,
                                     threshold=THRESHOLD,
                                     threshold_label=f"sustainable ≥ {THRESHOLD:.2f}",
                                     title="Mean reintegration score by dimension"),
               scores, "reintegration score", f, "reintegration_scores_by_dimension")
with right:
    composite = data.figure("FUP-4", f, ("country",))
    page.chart(charts.threshold_bars(composite, "country", unit=SCORE.unit, colour=True,
                                     threshold=THRESHOLD,
                                     threshold_label=f"sustainable ≥ {THRESHOLD:.2f}",
                                     title="Mean composite reintegration score by country"),
               composite, "reintegration score", f, "reintegration_score_by_country")
table = data.figure("FUP-4", f, ("country",))
page.table(page.formatted(table, ["country"], {
    "beneficiaries": ("Returnees scored", "count"), "economic": ("Economic", "score"),
    "social": ("Social", "score"), "psychosocial": ("Psychosocial", "score"),
    "value": ("Composite", "score"), "sustainable_share": ("Sustainable", "rate")}),
    "reintegration score", f, "reintegration_scores_by_country")
