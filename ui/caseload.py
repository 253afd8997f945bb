"""The Caseload page's rows, cached per (database, scope, filters, page).

A page of the caseload is read through the viewer's scoped session
(``data_access.caseload.cases``) and kept by ``st.cache_data`` on plain values, so a rerun
with the same question (a widget elsewhere on the page, opening a case) reads nothing
again. The cache never outlives the data it was read from: an import clears every cached
result (``ui.data.clear_cache``), and a write made outside the dashboard (``manage.py
import`` in another process) shows after ``TTL_SECONDS`` at most.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import streamlit as st

from data_access import caseload, db
from data_access.db import DatabaseUnavailable
from data_access.scope import Scope
from ui import data

TTL_SECONDS = 120


@st.cache_data(show_spinner=False, ttl=TTL_SECONDS, max_entries=300)
def _cases(url: str, scope: Scope, today: dt.date, search: str, countries: tuple[str, ...],
           sort: str, descending: bool, limit: int, offset: int,
           due_within: int | None) -> caseload.Page:
    with db.session(url, scope) as session:
        return caseload.cases(session, today=today, search=search, countries=countries,
                              sort=sort, descending=descending, limit=limit, offset=offset,
                              due_within=due_within)


def cases(scope: Scope, *, today: dt.date, search: str, countries: Sequence[str], sort: str,
          descending: bool, limit: int, page: int, due_within: int | None) -> caseload.Page:
    """Page ``page`` (from 1) of the viewer's caseload; the first page when ``page`` is past
    the last one (the filters changed under it)."""
    args = (today, search.strip(), tuple(sorted(c.upper() for c in countries)), sort,
            bool(descending), int(limit))
    try:
        result = _cases(data.database_url(), scope, *args, (max(1, page) - 1) * limit,
                        due_within)
        if result.rows.empty and result.offset > 0:
            result = _cases(data.database_url(), scope, *args, 0, due_within)
    except DatabaseUnavailable as exc:
        data.unavailable(exc)
        raise  # unreachable: st.stop() ends the run
    return caseload.Page(result.rows.copy(), result.total, result.offset, result.limit)
