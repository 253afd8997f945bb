"""The shared sidebar: countries, period (quick choices or a range) and granularity.

Drawn by app.py on every run, so the choices persist when moving between pages. The
countries offered are those of the viewer's scope; whatever sits in session state is
narrowed to the scope again before use, so a tampered value cannot widen it.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st
from sqlalchemy.orm import Session

from data_access import lookups
from data_access.scope import Scope
from i18n import _, bound
from i18n.formats import month, quarter
from metrics import periods
from metrics.filters import GRANULARITIES, PROGRAMME_END, PROGRAMME_START, Filters
from ui import data
from ui.format import country_label
from ui.viewer import current_scope

# The period choices' values are stable keys (session state, tests); ``period_name`` says
# them in the viewer's language.
CUSTOM = "Custom range"
WHOLE = "Whole programme"
LAST_12 = "Last 12 months"
KEY = "filters"


@st.cache_data(show_spinner=False, ttl=900)
def _choices(url: str, scope: Scope, version: int,
             _session: Session) -> tuple[list[str], tuple[dt.date, dt.date]]:
    # Read in the page run's snapshot (ui.data.read), like the figures the choices select.
    countries = lookups.countries_present(_session)
    span = lookups.data_period(_session) or (PROGRAMME_START, PROGRAMME_END)
    return countries, span


def presets(first: dt.date, last: dt.date) -> dict[str, tuple[dt.date, dt.date]]:
    """Quick period choices derived from the data's own span (keys: see ``period_name``).

    Every choice is whole months — the data's span widened to the first day of its first
    month and the last day of its last month — so its figures, and the previous period
    the KPI cards compare with, are read from the monthly analytics cubes."""
    first = first.replace(day=1)
    last = periods.bounds(periods.key_of(last, "month"), "month")[1]
    choices = {WHOLE: (first, last)}
    year, month = (last.year, last.month - 11) if last.month == 12 else \
        (last.year - 1, last.month + 1)
    twelve = max(first, dt.date(year, month, 1))
    choices[LAST_12] = (twelve, last)
    for year in range(last.year, first.year - 1, -1):
        choices[str(year)] = (dt.date(year, 1, 1), dt.date(year, 12, 31))
    for key in reversed(periods.keys_between(first, last, "quarter")):
        start, end = periods.bounds(key, "quarter")
        choices[periods.label(key, "quarter").replace("Q", " Q")] = (start, end)
    return choices


def period_name(key: str, choices: dict[str, tuple[dt.date, dt.date]]) -> str:
    """A period choice in words: "Last 12 months (to Dec 2016)", "Q3 2016", …"""
    if key == WHOLE:
        return _("Whole programme")
    if key == CUSTOM:
        return _("Custom range")
    if key == LAST_12:
        return _("Last 12 months (to {month})").format(month=month(choices[key][1]))
    year, _sep, number = key.partition(" Q")
    if number:
        return quarter(int(year), int(number))
    return key


def sidebar() -> Filters:
    from ui import language

    # The language first (idempotent: app.py may have set it already for the sign-in page).
    language.start()
    language.selector()
    scope = current_scope()
    countries, (first, last) = data.read(_choices)
    allowed = [c for c in countries if scope.allows(c)]
    # A value planted in session state (or left from another user) is narrowed first.
    if "f_countries" in st.session_state:
        st.session_state["f_countries"] = [c for c in st.session_state["f_countries"]
                                           if c in allowed]
    side = st.sidebar
    side.header(_("Filters"))
    chosen = side.multiselect(_("Countries"), allowed, key="f_countries",
                              format_func=bound(country_label), placeholder=_("All countries"),
                              help=_("Leave empty for every country you may see."))
    choices = presets(first, last)
    names = list(choices) + [CUSTOM]
    if st.session_state.get("f_period") not in names:
        st.session_state["f_period"] = names[0]
    preset = side.selectbox(_("Period"), names, key="f_period",
                            format_func=bound(lambda key: period_name(key, choices)))
    if preset == CUSTOM:
        picked = side.date_input(_("From – to"), value=st.session_state.get("f_range",
                                                                            (first, last)),
                                 format=_("YYYY-MM-DD"))
        if isinstance(picked, tuple) and len(picked) == 2:
            st.session_state["f_range"] = (picked[0], picked[1])
        else:
            side.caption(_("Pick the last day of the range too."))
        start, end = st.session_state.get("f_range", (first, last))
    else:
        start, end = choices[preset]
    words = {"month": _("Month"), "quarter": _("Quarter"), "year": _("Year")}
    granularity = side.radio(_("Group by"), GRANULARITIES, key="f_granularity", index=1,
                             horizontal=True, format_func=lambda g: words.get(g, g))
    filters = Filters(start, end, scope.narrow(chosen) if scope.countries is not None
                      else tuple(chosen), granularity)
    st.session_state[KEY] = filters
    return filters


def current() -> Filters:
    """The filters the sidebar set in this run (defaults before it ran).

    Every page starts with this call, so it also sets the run's language: a page file can
    run without app.py (AppTest's switch_page, Streamlit's own page discovery)."""
    from ui import language, viewer

    viewer.entered_through_app()
    language.start()
    filters = st.session_state.get(KEY)
    return filters if isinstance(filters, Filters) else Filters()
