"""Capacity building: which local institutions were supported, how, and how many people."""

from __future__ import annotations

import streamlit as st

from i18n import _
from metrics import catalogue
from ui import data, filters, kpi, page
from views import charts

f = filters.current()
page.header(_("Capacity building"), _("Which institutions did we sensitise, train or equip, "
                                      "where, and how many people did that reach?"))
kpi.cards(("CAP-1", "CAP-2"), f)
INSTITUTIONS = _(catalogue.get("CAP-1").unit)
PEOPLE = _(catalogue.get("CAP-2").unit)
SUPPORTED = _("institution supported")
REACHED = _("person reached")

left, right = st.columns(2)
with left:
    kinds = data.figure("CAP-1", f, ("institution_type", "activity"))
    page.chart(charts.grouped_bars(kinds, "institution_type", "activity", unit=INSTITUTIONS,
                                   title=_("Institutions supported by type and activity"),
                                   subtitle=_("An institution with two activities counts in "
                                              "both")),
               kinds, SUPPORTED, f, "institutions_by_type_and_activity")
with right:
    countries = data.figure("CAP-1", f, ("country",))
    page.chart(charts.bars(countries, "country", unit=INSTITUTIONS,
                           title=_("Institutions supported by country")),
               countries, SUPPORTED, f, "institutions_by_country")

st.subheader(_("People reached"))
left, right = st.columns(2)
with left:
    reached = data.figure("CAP-2", f, ("country", "period"))
    page.chart(charts.stacked_periods(reached, "country", unit=PEOPLE, filters=f,
                                      through=data.data_as_of().date(),
                                      title=_("People reached by country and period")),
               reached, REACHED, f, "people_reached_by_country_and_period")
with right:
    activity = data.figure("CAP-2", f, ("activity", "country"))
    page.chart(charts.grouped_bars(activity, "activity", "country", unit=PEOPLE,
                                   title=_("People reached by activity and country")),
               activity, REACHED, f, "people_reached_by_activity_and_country")

institutions = data.figure("CAP-1", f, ("country", "institution_type"))
people = data.figure("CAP-2", f, ("country", "institution_type"))
table = institutions.merge(people, on=["country", "institution_type"], how="outer",
                           suffixes=("", "_people"))
page.table(page.formatted(table, ["country", "institution_type"],
                          {"value": (_("Institutions"), "count"),
                           "value_people": (_("People reached"), "count")}),
           SUPPORTED, f, "capacity_by_country_and_type")
