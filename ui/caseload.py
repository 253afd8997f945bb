"""The Caseload page's rows, cached per (database, scope, data version, filters, page).

A page of the caseload is read through the run's snapshot in the viewer's scope
(``ui.data.read``; ``data_access.caseload.cases``) and kept by ``st.cache_data`` on plain
values, so a rerun with the same question (a widget elsewhere on the page, opening a case)
reads nothing again. The data version is in the key: after any committed write (an import,
``manage.py``, another process) the next run reads the rows again, so a cached page is
never shown after the data it was read from has changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import streamlit as st
from sqlalchemy.orm import Session

from data_access import caseload
from data_access.scope import Scope
from ui import data


@st.cache_data(show_spinner=False, hash_funcs=data.KEYS, ttl=900, max_entries=300)
def _cases(url: str, scope: Scope, version: int, today: dt.date, search: str,
           countries: tuple[str, ...], sort: str, descending: bool, limit: int,
           offset: int, due_within: int | None, _session: Session) -> caseload.Page:
    return caseload.cases(_session, today=today, search=search, countries=countries,
                          sort=sort, descending=descending, limit=limit, offset=offset,
                          due_within=due_within)


def cases(*, today: dt.date, search: str, countries: Sequence[str], sort: str,
          descending: bool, limit: int, page: int, due_within: int | None) -> caseload.Page:
    """Page ``page`` (from 1) of the viewer's caseload; the first page when ``page`` is past
    the last one (the filters changed under it)."""
    args = (today, search.strip(), tuple(sorted(c.upper() for c in countries)), sort,
            bool(descending), int(limit))
    result = data.read(_cases, *args, (max(1, page) - 1) * limit, due_within)
    if result.rows.empty and result.offset > 0:
        result = data.read(_cases, *args, 0, due_within)
    return caseload.Page(result.rows.copy(), result.total, result.offset, result.limit)
