"""Beneficiaries: the case pipeline, who the returnees are and where they come back to."""

from __future__ import annotations

import streamlit as st

from i18n import _
from metrics import catalogue
from ui import data, filters, kpi, page
from views import charts
from views.format import country_label, dimension_label

f = filters.current()
page.header(_("Beneficiaries"), _("Who are the returnees, where do they return to, and where "
                                  "does their case get stuck?"))
kpi.cards(("BEN-1", "BEN-2", "BEN-3", "ASS-3"), f)
RETURNEES = _(catalogue.get("BEN-2").unit)
REGISTERED_UNIT = _(catalogue.get("BEN-1").unit)
ASSISTED = _("returnee assisted")
REGISTERED = _("returnee registered")
TOP = 15

st.subheader(_("Case pipeline"))
funnel = data.derived("funnel", f)
funnel = funnel.assign(label=[dimension_label("step", s) for s in funnel["step"]])
page.chart(charts.funnel(funnel, title=_("Returnees registered in the period, by the step "
                                         "their case reached"), unit=RETURNEES,
                         subtitle=_("With the share of the previous step that moved on and "
                                    "the median days the step took")),
           funnel, REGISTERED, f, "case_pipeline")
page.table(page.formatted(funnel, ["step"], {
    "value": (_("Returnees"), "count"), "share": (_("Moved on from previous step"), "rate"),
    "median_days": (_("Median days at this step"), "days")}),
    REGISTERED, f, "case_pipeline_table")

st.subheader(_("Who was assisted"))
left, right = st.columns(2)
with left:
    sex = data.figure("BEN-2", f, ("sex",))
    page.chart(charts.bars(sex, "sex", title=_("Returnees assisted by sex"), unit=RETURNEES),
               sex, ASSISTED, f, "beneficiaries_by_sex")
with right:
    age = data.figure("BEN-2", f, ("age_group", "sex"))
    page.chart(charts.grouped_bars(age, "age_group", "sex", stacked=True,
                                   title=_("Returnees assisted by age at return and sex"),
                                   unit=RETURNEES),
               age, ASSISTED, f, "beneficiaries_by_age_and_sex")

left, right = st.columns(2)
with left:
    vulnerable = data.figure("BEN-2", f, ("vulnerability",))
    page.chart(charts.bars(vulnerable, "vulnerability", colour=False,
                           title=_("Returnees assisted by vulnerability"), unit=RETURNEES,
                           subtitle=_("A returnee with two vulnerabilities counts in both")),
               vulnerable, ASSISTED, f, "beneficiaries_by_vulnerability")
with right:
    returns = data.figure("BEN-1", f, ("return_type",))
    page.chart(charts.bars(returns, "return_type", colour=False,
                           title=_("Returnees registered by return type"),
                           unit=REGISTERED_UNIT),
               returns, REGISTERED, f, "beneficiaries_by_return_type")

st.subheader(_("Where from, where to"))
left, right = st.columns(2)
with left:
    hosts = data.derived("host_countries", f).head(TOP)
    page.chart(charts.bars(hosts, "host_country", colour=False,
                           title=_("Returnees registered by host country (top {n})").format(
                               n=TOP),
                           unit=REGISTERED_UNIT),
               hosts, REGISTERED, f, "beneficiaries_by_host_country")
with right:
    countries = data.figure("BEN-2", f, ("country",))
    picked = page.chart(charts.bars(countries, "country", select=True,
                                    title=_("Returnees assisted by country of return"),
                                    unit=RETURNEES,
                                    subtitle=_("Click a country to see its regions")),
                        countries, ASSISTED, f, "beneficiaries_by_country",
                        key="beneficiaries_country_pick")

chosen = sorted({str(p["country"]) for p in picked if "country" in p})
regions = data.figure("BEN-2", f, ("country", "region"))
if chosen:
    regions = regions[regions["country"].isin(chosen)]
    where = _("Regions of {countries}").format(
        countries=", ".join(country_label(c) for c in chosen))
else:
    regions = regions.sort_values("value", ascending=False).head(TOP)
    where = _("The {n} largest regions, all countries together; click a country above "
              "for all of its regions").format(n=TOP)
page.chart(charts.grouped_bars(regions, "region", "country", stacked=True, sort_by_value=True,
                               title=_("Returnees assisted by region of return"),
                               unit=RETURNEES, subtitle=where),
           regions, ASSISTED, f, "beneficiaries_by_region")
