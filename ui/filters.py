"""The shared sidebar: countries, period (quick choices or a range) and granularity.

Drawn by app.py on every run, so the choices persist when moving between pages. The
countries offered are those of the viewer's scope; whatever sits in session state is
narrowed to the scope again before use, so a tampered value cannot widen it.

The filters also live in the page's URL (issue 16), so that a reload keeps them and a
copied link opens the same view: ``?country=SN&period=2016-Q3&by=month`` (``country``
repeated or comma-separated; ``period`` one of ``whole``, ``last12``, a year ``2016``, a
quarter ``2016-Q3`` (or one of the programme's own reporting periods, ``Y1-Q2``), or
``from=2016-01-01&to=2016-06-30`` for a range; ``by`` month,
quarter or year). The first sidebar run of a signed-in session reads them; every run
writes the filters it used back. A link is only a wish: its countries are narrowed to the
viewer's scope like any other value (a focal point for Senegal opening ``country=MA``
sees Senegal, and the page does not say a word about Morocco), and a value the sidebar
does not offer is ignored. Defaults are left out of the URL.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st
from sqlalchemy.orm import Session

from data_access import lookups
from data_access.programme import programme
from data_access.scope import Scope
from i18n import _, bound
from i18n.formats import month, quarter
from metrics import periods
from metrics.filters import GRANULARITIES, Filters, programme_end, programme_start
from ui import data
from ui.viewer import current_scope
from views.format import country_label

# The period choices' values are stable keys (session state, tests); ``period_name`` says
# them in the viewer's language.
CUSTOM = "Custom range"
WHOLE = "Whole programme"
LAST_12 = "Last 12 months"
KEY = "filters"
# URL parameters (st.query_params) and the period tokens of the URL.
URL_COUNTRY, URL_PERIOD, URL_FROM, URL_TO, URL_BY = "country", "period", "from", "to", "by"
URL_KEYS = (URL_COUNTRY, URL_PERIOD, URL_FROM, URL_TO, URL_BY)
_TOKENS = {WHOLE: "whole", LAST_12: "last12"}
_SEEDED = "f_url_read"  # "f_": dropped at sign-out, so the next sign-in reads the URL again
_LINK = "_url_filters"  # the link's filters, kept from the sign-in page (see keep_link)
DEFAULT_GRANULARITY = "quarter"


def period_token(key: str) -> str:
    """A period choice as the URL says it: "whole", "last12", "2016", "2016-Q3"; one of
    the programme's own reporting periods by its label, spaces as "-" ("Y1-Q2")."""
    if key in _TOKENS:
        return _TOKENS[key]
    if key in {p.label for p in programme().reporting_periods}:
        return key.replace(" ", "-")
    return key.replace(" Q", "-Q")


def _period_key(token: str, names: list[str]) -> str | None:
    token = token.strip()
    by_token = {period_token(name): name for name in names if name != CUSTOM}
    return by_token.get(token) or by_token.get(token.upper().replace("T", "Q"))


def keep_link() -> None:
    """Keep the filters of the URL a signed-out visitor opened (app.py, every run).

    The browser drops the query string when the sign-in page gives way to the first page
    of the signed-in user, so a shared link would arrive empty at the sidebar's first run.
    """
    if st.session_state.get(_SEEDED):
        return
    link = {name: list(st.query_params.get_all(name)) for name in URL_KEYS
            if st.query_params.get_all(name)}
    if link:
        st.session_state[_LINK] = link


def _url_values(name: str) -> list[str]:
    link = st.session_state.get(_LINK) or {}
    values: list[str] = []
    for value in st.query_params.get_all(name) or link.get(name, []):
        values += [v.strip() for v in str(value).split(",") if v.strip()]
    return values


def _url_date(name: str) -> dt.date | None:
    values = _url_values(name)
    try:
        return dt.date.fromisoformat(values[0]) if values else None
    except ValueError:
        return None


def _read_url(allowed: list[str], names: list[str]) -> None:
    """Seed the sidebar's widgets from the URL (once per signed-in session)."""
    if _url_values(URL_COUNTRY):
        # Outside the viewer's countries: dropped without a word (issue 16).
        wanted = {c.upper() for c in _url_values(URL_COUNTRY)}
        st.session_state["f_countries"] = [c for c in allowed if c in wanted]
    token = next(iter(_url_values(URL_PERIOD)), None)
    start, end = _url_date(URL_FROM), _url_date(URL_TO)
    if token is not None and _period_key(token, names) is not None:
        st.session_state["f_period"] = _period_key(token, names)
    elif start is not None and end is not None and start <= end:
        st.session_state["f_period"] = CUSTOM
        st.session_state["f_range"] = (start, end)
    granularity = next(iter(_url_values(URL_BY)), "").lower()
    if granularity in GRANULARITIES:
        st.session_state["f_granularity"] = granularity


def _write_url(countries: list[str], preset: str, start: dt.date, end: dt.date,
               granularity: str) -> None:
    """The filters of this run into the URL (only the parameters that changed)."""
    wanted: dict[str, list[str]] = {URL_COUNTRY: sorted(countries), URL_PERIOD: [],
                                    URL_FROM: [], URL_TO: [], URL_BY: []}
    if preset == CUSTOM:
        wanted[URL_FROM], wanted[URL_TO] = [start.isoformat()], [end.isoformat()]
    elif preset != WHOLE:
        wanted[URL_PERIOD] = [period_token(preset)]
    if granularity != DEFAULT_GRANULARITY:
        wanted[URL_BY] = [granularity]
    for name, values in wanted.items():
        if st.query_params.get_all(name) == values:
            continue
        if values:
            st.query_params[name] = values if len(values) > 1 else values[0]
        elif name in st.query_params:
            del st.query_params[name]


@st.cache_data(show_spinner=False, ttl=900)
def _choices(url: str, scope: Scope, version: int,
             _session: Session) -> tuple[list[str], tuple[dt.date, dt.date]]:
    # Read in the page run's snapshot (ui.data.read), like the figures the choices select.
    countries = lookups.countries_present(_session)
    span = lookups.data_period(_session) or (programme_start(), programme_end())
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
    own = programme().reporting_periods
    if own:  # the programme's own quarters (its file), those the data's span reaches
        for period in reversed(own):
            if period.start <= last and period.end >= first:
                choices[period.label] = (period.start, period.end)
        return choices
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
    if key in {p.label for p in programme().reporting_periods}:
        return key  # the programme's own label, as its file writes it
    year, _sep, number = key.partition(" Q")
    if number.isdigit() and year.isdigit():
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
    choices = presets(first, last)
    names = list(choices) + [CUSTOM]
    if not st.session_state.get(_SEEDED):  # a new session, a reload, a shared link
        st.session_state[_SEEDED] = True
        _read_url(allowed, names)
        st.session_state.pop(_LINK, None)
    # A value planted in session state (or left from another user) is narrowed first.
    if "f_countries" in st.session_state:
        st.session_state["f_countries"] = [c for c in st.session_state["f_countries"]
                                           if c in allowed]
    side = st.sidebar
    side.header(_("Filters"))
    chosen = side.multiselect(_("Countries"), allowed, key=language.relabelled("f_countries"),
                              format_func=bound(country_label), placeholder=_("All countries"),
                              help=_("Leave empty for every country you may see."))
    if st.session_state.get("f_period") not in names:
        st.session_state["f_period"] = names[0]
    preset = side.selectbox(_("Period"), names, key=language.relabelled("f_period"),
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
    if st.session_state.get("f_granularity") not in GRANULARITIES:
        st.session_state["f_granularity"] = DEFAULT_GRANULARITY
    granularity = side.radio(_("Group by"), GRANULARITIES,
                             key=language.relabelled("f_granularity"), horizontal=True,
                             format_func=bound(lambda g: words.get(g, g)))
    filters = Filters(start, end, scope.narrow(chosen) if scope.countries is not None
                      else tuple(chosen), granularity)
    _write_url(list(chosen), preset, filters.start, filters.end, granularity)
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
