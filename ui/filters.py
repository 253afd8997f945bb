"""The shared sidebar: countries, period (quick choices or a range) and granularity.

Drawn by app.py on every run, so the choices persist when moving between pages. The
countries offered are those of the viewer's scope; whatever sits in session state is
narrowed to the scope again before use, so a tampered value cannot widen it.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from data_access import db, lookups
from data_access.db import DatabaseUnavailable
from metrics import periods
from metrics.filters import GRANULARITIES, PROGRAMME_END, PROGRAMME_START, Filters
from ui import data
from ui.format import country_label
from ui.viewer import current_scope

CUSTOM = "Custom range"
KEY = "filters"


@st.cache_data(show_spinner=False, ttl=300)
def _choices(url: str, scope_key: str) -> tuple[list[str], tuple[dt.date, dt.date]]:
    with db.session(url, current_scope()) as session:
        countries = lookups.countries_present(session)
        span = lookups.data_period(session) or (PROGRAMME_START, PROGRAMME_END)
    return countries, span


def presets(first: dt.date, last: dt.date) -> dict[str, tuple[dt.date, dt.date]]:
    """Quick period choices derived from the data's own span."""
    choices = {"Whole programme": (first, last)}
    year, month = (last.year, last.month - 11) if last.month == 12 else \
        (last.year - 1, last.month + 1)
    twelve = max(first, dt.date(year, month, 1))
    choices[f"Last 12 months (to {last:%b %Y})"] = (twelve, last)
    for year in range(last.year, first.year - 1, -1):
        choices[str(year)] = (dt.date(year, 1, 1), dt.date(year, 12, 31))
    for key in reversed(periods.keys_between(first, last, "quarter")):
        start, end = periods.bounds(key, "quarter")
        choices[periods.label(key, "quarter").replace("Q", " Q")] = (start, end)
    return choices


def sidebar() -> Filters:
    scope = current_scope()
    try:
        countries, (first, last) = _choices(data.database_url(), scope.key())
    except DatabaseUnavailable as exc:
        data.unavailable(exc)
        raise
    allowed = [c for c in countries if scope.allows(c)]
    # A value planted in session state (or left from another user) is narrowed first.
    if "f_countries" in st.session_state:
        st.session_state["f_countries"] = [c for c in st.session_state["f_countries"]
                                           if c in allowed]
    side = st.sidebar
    side.header("Filters")
    chosen = side.multiselect("Countries", allowed, key="f_countries",
                              format_func=country_label, placeholder="All countries",
                              help="Leave empty for every country you may see.")
    choices = presets(first, last)
    names = list(choices) + [CUSTOM]
    if st.session_state.get("f_period") not in names:
        st.session_state["f_period"] = names[0]
    preset = side.selectbox("Period", names, key="f_period")
    if preset == CUSTOM:
        picked = side.date_input("From – to", value=st.session_state.get("f_range",
                                                                         (first, last)),
                                 format="YYYY-MM-DD")
        if isinstance(picked, tuple) and len(picked) == 2:
            st.session_state["f_range"] = (picked[0], picked[1])
        else:
            side.caption("Pick the last day of the range too.")
        start, end = st.session_state.get("f_range", (first, last))
    else:
        start, end = choices[preset]
    granularity = side.radio("Group by", GRANULARITIES, key="f_granularity", index=1,
                             horizontal=True, format_func=str.capitalize)
    filters = Filters(start, end, scope.narrow(chosen) if scope.countries is not None
                      else tuple(chosen), granularity)
    st.session_state[KEY] = filters
    return filters


def current() -> Filters:
    """The filters the sidebar set in this run (defaults before it ran)."""
    filters = st.session_state.get(KEY)
    return filters if isinstance(filters, Filters) else Filters()
