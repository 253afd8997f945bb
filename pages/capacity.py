"""Capacity building: which local institutions were supported, how, and how many people."""

from __future__ import annotations

import streamlit as st

from metrics import catalogue
from ui import charts, data, filters, kpi, page

f = filters.current()
page.header("Capacity building", "Which institutions did we sensitise, train or equip, "
                                 "where, and how many people did that reach?")
kpi.cards(("CAP-1", "CAP-2"), f)
INSTITUTIONS = catalogue.get("CAP-1").unit
PEOPLE = catalogue.get("CAP-2").unit

left, right = st.columns(2)
with left:
    kinds = data.figure("CAP-1", f, ("institution_type", "activity"))
    page.chart(charts.grouped_bars(kinds, "institution_type", "activity", unit=INSTITUTIONS,
                                   title="Institutions supported by type and activity",
                                   subtitle="An institution with two activities counts in "
                                            "both"),
               kinds, "institution supported", f, "institutions_by_type_and_activity")
with right:
    countries = data.figure("CAP-1", f, ("country",))
    page.chart(charts.bars(countries, "country", unit=INSTITUTIONS,
                           title="Institutions supported by country"),
               countries, "institution supported", f, "institutions_by_country")

st.subheader("People reached")
left, right = st.columns(2)
with left:
    reached = data.figure("CAP-2", f, ("country", "period"))
    page.chart(charts.stacked_periods(reached, "country", unit=PEOPLE,
                                      title="People reached by country and period"),
               reached, "person reached", f, "people_reached_by_country_and_period")
with right:
    activity = data.figure("CAP-2", f, ("activity", "country"))
    page.chart(charts.grouped_bars(activity, "activity", "country", unit=PEOPLE,
                                   title="People reached by activity and country"),
               activity, "person reached", f, "people_reached_by_activity_and_country")

institutions = data.figure("CAP-1", f, ("country", "institution_type"))
people = data.figure("CAP-2", f, ("country", "institution_type"))
table = institutions.merge(people, on=["country", "institution_type"], how="outer",
                           suffixes=("", "_people"))
page.table(page.formatted(table, ["country", "institution_type"],
                          {"value": ("Institutions", "count"),
                           "value_people": ("People reached", "count")}),
           "institution supported", f, "capacity_by_country_and_type")
