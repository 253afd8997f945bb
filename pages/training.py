"""Training and coaching: who took part, in what, and did they finish."""

from __future__ import annotations

import streamlit as st

from i18n import _
from metrics import catalogue
from ui import data, filters, kpi, page
from views import charts

f = filters.current()
page.header(_("Training and coaching"), _("How many returnees were trained or coached, in "
                                          "what, and how many completed what they started?"))
kpi.cards(("TRN-1", "TRN-2", "TRN-3", "BEN-2"), f)
TRAINED = _(catalogue.get("TRN-1").unit)
RATE = charts.value_format("rate")
TRAINEE = _("returnee trained")
ENROLMENT = _("training enrolment")

st.subheader(_("Uptake"))
left, right = st.columns(2)
with left:
    kinds = data.figure("TRN-1", f, ("kind", "country"))
    page.chart(charts.grouped_bars(kinds, "kind", "country", unit=TRAINED,
                                   title=_("Returnees who completed training, by kind and "
                                           "country"),
                                   subtitle=_("A returnee trained in two kinds counts in both")),
               kinds, TRAINEE, f, "returnees_trained_by_kind_and_country")
with right:
    uptake = data.figure("TRN-2", f, ("country",))
    page.chart(charts.bars(uptake, "country", title=_("Training uptake by country"),
                           unit=_(catalogue.get("TRN-2").unit), value_format=RATE),
               uptake, _("returnee assisted"), f, "training_uptake_by_country")

st.subheader(_("Completion"))
left, right = st.columns(2)
with left:
    completion = data.figure("TRN-3", f, ("kind",))
    page.chart(charts.bars(completion, "kind", colour=False, value_format=RATE,
                           title=_("Completion rate by kind of training"),
                           unit=_(catalogue.get("TRN-3").unit)),
               completion, ENROLMENT, f, "training_completion_by_kind")
with right:
    trend = data.figure("TRN-1", f, ("period",))
    page.chart(charts.period_bars(trend, f, unit=TRAINED, through=data.data_as_of().date(),
                                  title=_("Returnees who completed training, by period")),
               trend, TRAINEE, f, "returnees_trained_by_period")
table = data.figure("TRN-3", f, ("kind", "country"))
page.table(page.formatted(table, ["kind", "country"], {
    "denominator": (_("Enrolments"), "count"), "numerator": (_("Completed"), "count"),
    "value": (_("Completion rate"), "rate")}), ENROLMENT, f,
    "training_completion_by_kind_and_country")

st.subheader(_("Psychosocial coaching"))
st.caption(_("Coaching by psychosocial professionals, a first for the programme."))
coaching = data.figure("TRN-1", f, ("kind", "period"))
coaching = coaching[coaching["kind"] == "psychosocial_coaching"]
page.chart(charts.period_bars(coaching, f, unit=TRAINED, through=data.data_as_of().date(),
                              title=_("Returnees who completed psychosocial coaching, by "
                                      "period")),
           coaching, _("returnee coached"), f, "psychosocial_coaching_by_period")
