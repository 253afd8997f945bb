"""Figures for pages: scoped, disclosed, cached on the frozen filter object.

Every page gets its figures through ``figure()``: it opens a session with the viewer's
scope (``ui.viewer``), calls ``metrics.compute`` and caches the small result keyed on
plain values (URL, scope, filters, code, breakdowns). A database that cannot be reached
shows a plain message and stops the page; nothing is cached, so the next click retries.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

import metrics
from data_access import db
from data_access.db import DatabaseUnavailable
from data_access.scope import Scope
from data_access.settings import load_settings
from i18n import _
from metrics.filters import Filters


@st.cache_resource(show_spinner=False)
def _migrated(url: str) -> bool:
    db.upgrade(url)
    return True


def database_url() -> str:
    url = load_settings().database_url
    _migrated(url)
    return url


@st.cache_data(show_spinner=False, ttl=900, max_entries=4000)
def _figure(url: str, scope: Scope, filters: Filters, code: str, by: tuple[str, ...],
            cumulative: bool) -> pd.DataFrame:
    with db.session(url, scope) as session:
        return metrics.compute(code, session, filters, by, cumulative=cumulative)


def unavailable(exc: DatabaseUnavailable) -> None:
    heading = _("The database cannot be reached.")
    st.error(f"**{heading}** {exc}", icon="🔌")
    st.stop()


def figure(code: str, filters: Filters, by: Sequence[str] = (), *,
           cumulative: bool = False) -> pd.DataFrame:
    from ui.viewer import current_scope

    try:
        return _figure(database_url(), current_scope(), filters, code, tuple(by),
                       cumulative).copy()
    except DatabaseUnavailable as exc:
        unavailable(exc)
        raise  # unreachable: st.stop() ends the run


def total(code: str, filters: Filters) -> pd.Series:
    """The one-row total of an indicator (value, value_note and its measures)."""
    return figure(code, filters).iloc[0]


def clear_cache() -> None:
    """After an import or any write: every cached result (figures, logframe, derived
    figures, filter choices, "data as of") is recomputed on next use."""
    st.cache_data.clear()


@st.cache_data(show_spinner=False, ttl=900, max_entries=500)
def _progress(url: str, scope: Scope, filters: Filters) -> pd.DataFrame | None:
    try:
        from metrics import targets
    except ImportError:  # the logframe module is not there yet
        return None
    with db.session(url, scope) as session:
        return targets.progress(session, filters)


def progress(filters: Filters) -> pd.DataFrame | None:
    """The logframe: every target with actual, % achieved and traffic light."""
    from ui.viewer import current_scope

    try:
        result = _progress(database_url(), current_scope(), filters)
    except DatabaseUnavailable as exc:
        unavailable(exc)
        raise
    return None if result is None else result.copy()


# --- figures that are not catalogue indicators (issue 3) ---------------------------------
# The pipeline funnel, cooperative list, amount bands, host countries and data-quality
# checks: ``metrics`` functions ``(session, filters, *args) -> DataFrame``, scoped and
# disclosed there, cached here on plain values like ``_figure``.

def _derived_functions() -> dict[str, object]:
    from metrics import cooperatives, distributions, pipeline, quality

    return {"funnel": pipeline.funnel, "cooperative_list": cooperatives.cooperative_list,
            "cooperatives_by_status": cooperatives.by_status,
            "assisted_by_route": cooperatives.assisted_by_route,
            "amount_bands": distributions.amount_bands,
            "host_countries": distributions.host_countries,
            "quality_checks": quality.checks, "quality_cases": quality.offending,
            "completeness": quality.completeness}


@st.cache_data(show_spinner=False, ttl=900, max_entries=1000)
def _derived(url: str, scope: Scope, filters: Filters, name: str,
             args: tuple[object, ...]) -> pd.DataFrame:
    function = _derived_functions()[name]
    with db.session(url, scope) as session:
        return function(session, filters, *args)  # type: ignore[operator]


def derived(name: str, filters: Filters, *args: object) -> pd.DataFrame:
    """A non-indicator figure by name (see ``_derived_functions``), scoped and cached."""
    from ui.viewer import current_scope

    try:
        return _derived(database_url(), current_scope(), filters, name, args).copy()
    except DatabaseUnavailable as exc:
        unavailable(exc)
        raise


# --- donor reports and exports (issue 6) ---------------------------------------------------

@st.cache_data(show_spinner=False, ttl=300)
def _data_as_of(url: str, scope: Scope) -> object:
    from reports.content import data_as_of as latest

    with db.session(url, scope) as session:
        return latest(session)


def data_as_of():  # -> datetime.datetime
    """The latest update the viewer can see (printed on every export)."""
    from ui.viewer import current_scope

    try:
        return _data_as_of(database_url(), current_scope())
    except DatabaseUnavailable as exc:
        unavailable(exc)
        raise


def narratives(filters: Filters, sections: Sequence[str]) -> dict[str, object]:
    """The saved (or carried-over) report text per section, for this period and scope."""
    from reports import narratives as texts
    from ui.viewer import current_scope

    scope = current_scope()
    with db.session(database_url(), scope) as session:
        return texts.load(session, filters, sections, texts.scope_key(scope, filters))


def save_narrative(filters: Filters, section: str, text: str, author: str | None) -> None:
    from reports import narratives as texts
    from ui.viewer import current_scope

    scope = current_scope()
    with db.session(database_url(), scope) as session:
        texts.save(session, filters, section, texts.scope_key(scope, filters), text, author)
