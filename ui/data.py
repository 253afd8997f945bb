"""Figures for pages: scoped, disclosed, cached on the frozen filter object.

Every page gets its figures through ``figure()`` (and ``progress``, ``derived``, …): they
call ``metrics`` and cache the small result keyed on plain values (URL, scope, data
version, filters, code, breakdowns). A database that cannot be reached shows a plain
message and stops the page; nothing is cached, so the next click retries.

One snapshot per page run (issue 9): app.py wraps each run in ``page_run()``. The first
read of the run opens one read-only session per scope (``db.Snapshot``), reads the data
version first and keeps the session until the run ends, so every figure of the run comes
from the same committed state, and a cached figure is only reused by runs of the same
version: an import never shows old and new figures side by side. A script run that does
not go through app.py (AppTest reruns a page file directly, a fragment) gets one snapshot
too, closed when its thread's next run starts or the thread ends; outside any script run
each read opens a snapshot of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

import metrics
from data_access import db, lookups
from data_access.currency import RatesUsed, rates_used
from data_access.db import DatabaseUnavailable
from data_access.scope import Scope
from data_access.settings import load_settings
from i18n import _
from metrics.filters import Filters
from ui import schema

if TYPE_CHECKING:  # imported where used, at run time: reports is heavy to import
    import datetime

    from reports.content import Report
    from reports.narratives import Narrative


def _filters_key(f: Filters) -> str:
    return f"{f.start.isoformat()}|{f.end.isoformat()}|{','.join(f.countries)}|{f.granularity}"


def _scope_key(scope: Scope) -> str:
    return f"{scope.key()}|{scope.suppression_threshold}|{scope.rounding_base}"


# Cache keys as plain text: Streamlit hashes a dataclass field by field and a date through
# its slow generic fallback (~0.3 ms per Filters, ~0.1 ms per Scope, on every figure of
# every rerun); these strings name the same values in a few microseconds.
# Any: the type of Streamlit's hash_funcs (each hashes its own key type).
KEYS: dict[str | type[Any], Callable[[Any], Any]] = {Filters: _filters_key, Scope: _scope_key}


def database_url() -> str:
    """DATABASE_URL, once its schema is at head; otherwise the run shows why and stops."""
    url = load_settings().database_url
    schema.require(url)
    return url


# --- one read snapshot per page run ----------------------------------------------------

_run = threading.local()  # .snapshots: {(url, scope): db.Snapshot} while a run is on
T = TypeVar("T")


@contextmanager
def page_run() -> Iterator[None]:
    """Around one script run (app.py): every read of the run shares one snapshot per
    scope, closed when the run ends, however it ends (st.stop and st.rerun included)."""
    previous = getattr(_run, "snapshots", None)
    _run.snapshots = {}
    try:
        yield
    finally:
        snapshots, _run.snapshots = _run.snapshots, previous
        for snapshot in snapshots.values():
            snapshot.close()


class _Held:
    """The snapshots of a script run that did not go through ``page_run`` (AppTest reruns
    a page file directly; a fragment's run): closed when the thread's next run starts, or
    with the thread (Streamlit runs scripts on a thread of their own, whose thread-local
    values are dropped when it ends)."""

    def __init__(self, marker: object) -> None:
        self.marker = marker
        self.snapshots: dict[tuple[str, Scope], db.Snapshot] = {}

    def close(self) -> None:
        snapshots, self.snapshots = self.snapshots, {}
        for snapshot in snapshots.values():
            snapshot.close()

    def __del__(self) -> None:
        with suppress(Exception):  # at interpreter exit the pool may be gone already
            self.close()


def _run_snapshots() -> dict[tuple[str, Scope], db.Snapshot] | None:
    """The snapshots of the current script run; None outside any (a plain script)."""
    snapshots = getattr(_run, "snapshots", None)
    if snapshots is not None:
        return snapshots
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None:
        return None
    # Made anew by ScriptRunContext.reset() at the start of every script run.
    marker = getattr(ctx, "parallel_coordinator", None) or ctx
    held = getattr(_run, "held", None)
    if held is None or held.marker is not marker:
        if held is not None:
            held.close()
        held = _run.held = _Held(marker)
    return held.snapshots


@contextmanager
def _snapshot() -> Iterator[db.Snapshot]:
    """The run's snapshot for the viewer's scope, opened on first use; outside a script
    run, one for this read only."""
    from ui.viewer import current_scope

    database_url()  # the schema is at head
    url, scope = db.read_url(), current_scope()  # DATABASE_READ_URL, if set
    snapshots = _run_snapshots()
    snapshot = snapshots.get((url, scope)) if snapshots is not None else None
    if snapshot is None:
        snapshot = db.Snapshot(url, scope)
        if snapshots is not None:
            snapshots[(url, scope)] = snapshot
    try:
        with db.unavailable_on_lost_connection(url):
            yield snapshot
    except Exception:
        # A failed read may leave the transaction unusable (PostgreSQL aborts it): the
        # run's next read opens a new snapshot rather than failing in turn.
        if snapshots is not None:
            snapshots.pop((url, scope), None)
        snapshot.close()
        raise
    finally:
        if snapshots is None:
            snapshot.close()


def read(cached: Callable[..., T], *args: Any) -> T:  # Any: passed through to cached
    """``cached(url, scope, version, *args, session)`` on the run's snapshot: the cached
    function's key holds the data version, its last (underscore) argument the session."""
    try:
        with _snapshot() as snapshot:
            return cached(snapshot.url, snapshot.scope, snapshot.version, *args,
                          snapshot.session)
    except DatabaseUnavailable as exc:
        unavailable(exc)
        raise  # unreachable: st.stop() ends the run


@st.cache_data(show_spinner=False, hash_funcs=KEYS, ttl=900, max_entries=4000)
def _figure(url: str, scope: Scope, version: int, filters: Filters, code: str,
            by: tuple[str, ...], cumulative: bool, _session: Session) -> pd.DataFrame:
    return metrics.compute(code, _session, filters, by, cumulative=cumulative)


def unavailable(exc: DatabaseUnavailable) -> None:
    heading = _("The database cannot be reached.")
    from ui.text import bold, md

    st.error(bold(heading) + " " + md(exc), icon="🔌")
    st.stop()


def figure(code: str, filters: Filters, by: Sequence[str] = (), *,
           cumulative: bool = False) -> pd.DataFrame:
    return read(_figure, filters, code, tuple(by), cumulative).copy()


def total(code: str, filters: Filters) -> pd.Series:
    """The one-row total of an indicator (value, value_note and its measures)."""
    return figure(code, filters).iloc[0]


@st.cache_data(show_spinner=False, hash_funcs=KEYS, ttl=900, max_entries=500)
def _rates_used(url: str, scope: Scope, version: int, filters: Filters,
                _session: Session) -> RatesUsed:
    return rates_used(_session, filters.start, filters.end, filters.countries)


def money_note(filters: Filters) -> str:
    """What the money figures of ``filters`` are in and at which rates (issue 20):
    "Amounts in EUR; MAD, TND converted at the monthly rates of 2016-01 to 2016-03
    (InforEuro)", in the viewer's language."""
    return read(_rates_used, filters).note(lookups.reporting_currency())


def clear_cache() -> None:
    """After an import or any write: every cached result (figures, logframe, derived
    figures, filter choices, "data as of") is recomputed on next use."""
    st.cache_data.clear()


@st.cache_data(show_spinner=False, hash_funcs=KEYS, ttl=900, max_entries=500)
def _progress(url: str, scope: Scope, version: int, filters: Filters,
              codes: tuple[str, ...] | None, _session: Session) -> pd.DataFrame | None:
    from metrics import targets
    return targets.progress(_session, filters, codes)


def progress(filters: Filters, codes: Sequence[str] | None = None) -> pd.DataFrame | None:
    """The logframe: every target (or the targets of ``codes``: a page's KPI cards need
    only theirs) with actual, % achieved and traffic light."""
    result = read(_progress, filters, None if codes is None else tuple(sorted(codes)))
    return None if result is None else result.copy()


# --- figures that are not catalogue indicators (issue 3) ---------------------------------
# The pipeline funnel, cooperative list, amount bands, host countries and data-quality
# checks: ``metrics`` functions ``(session, filters, *args) -> DataFrame``, scoped and
# disclosed there, cached here on plain values like ``_figure``.

def _derived_functions() -> dict[str, Callable[..., pd.DataFrame]]:
    """Each (session, filters, *args) -> frame; their extra arguments differ."""
    from metrics import cooperatives, distributions, partners, pipeline, quality

    return {"funnel": pipeline.funnel, "cooperative_list": cooperatives.cooperative_list,
            "cooperative_count": cooperatives.cooperative_count,
            "cooperatives_by_status": cooperatives.by_status,
            "assisted_by_route": cooperatives.assisted_by_route,
            "amount_bands": distributions.amount_bands,
            "host_countries": distributions.host_countries,
            "quality_checks": quality.checks, "quality_cases": quality.offending,
            "completeness": quality.completeness,
            "partners_delivered": partners.delivered, "partners_directory": partners.directory}


@st.cache_data(show_spinner=False, hash_funcs=KEYS, ttl=900, max_entries=1000)
def _derived(url: str, scope: Scope, version: int, filters: Filters, name: str,
             args: tuple[object, ...], _session: Session) -> pd.DataFrame:
    function = _derived_functions()[name]
    return function(_session, filters, *args)


def derived(name: str, filters: Filters, *args: object) -> pd.DataFrame:
    """A non-indicator figure by name (see ``_derived_functions``), scoped and cached."""
    return read(_derived, filters, name, args).copy()


def derived_later(name: str, filters: Filters, *args: object) -> Callable[[], pd.DataFrame]:
    """``derived`` for a download: a callable that reads the figure when it is clicked.
    Streamlit runs a deferred download on another thread, outside the page's run (no
    session state, no run snapshot), so the database and the viewer's scope are taken
    now and the figure is read in a session of its own, scoped like any other."""
    from ui.viewer import current_scope

    url, scope = database_url(), current_scope()
    function = _derived_functions()[name]

    def later() -> pd.DataFrame:
        with db.session(url, scope) as session:
            return function(session, filters, *args)
    return later


# --- donor reports and exports (issue 6) ---------------------------------------------------

@st.cache_data(show_spinner=False, hash_funcs=KEYS, ttl=900)
def _data_as_of(url: str, scope: Scope, version: int, _session: Session
                ) -> datetime.datetime:
    return lookups.data_as_of(_session)


def data_as_of() -> datetime.datetime:
    """The latest update the viewer can see (printed on every export)."""
    return read(_data_as_of)


@st.cache_resource(show_spinner=False, hash_funcs=KEYS, ttl=900, max_entries=100)
def _report(url: str, scope: Scope, version: int, filters: Filters, sections: tuple[str, ...],
            language: str, programme: str, _session: Session) -> Report:
    import sys

    from reports.content import build

    return build(sys.modules[__name__], filters, sections, scope=scope, programme=programme,
                 data_as_of=data_as_of(), money_note=money_note(filters))


def report(filters: Filters, sections: Sequence[str], programme: str,
           narratives: dict[str, str]) -> Report:
    """The donor report's content for this viewer, with these narratives.

    Its ~30 figures, charts and logframe table are assembled once per filters, sections,
    language, scope and data version (``st.cache_resource``: shared, not copied, so a
    warm rerun only draws); each call gets its own ``Report`` around them with the texts
    typed now, a fresh creation time and no rendered images. Nothing in it is mutated
    after the build: the page copies a frame before changing it."""
    import datetime as dt
    from dataclasses import replace

    from i18n import get_language

    built = read(_report, filters, tuple(sections), get_language(), programme)
    return replace(built, sections=[replace(s, narrative=narratives.get(s.key, ""))
                                    for s in built.sections],
                   created_at=dt.datetime.now().replace(microsecond=0), images={})


def narratives(filters: Filters, sections: Sequence[str]) -> dict[str, Narrative]:
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
