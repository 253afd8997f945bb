"""KPI cards: the figure, its change against the previous period of the same length, and
(when the logframe has a target for it) progress against the target."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from metrics import catalogue
from metrics.filters import Filters
from ui import data
from ui.format import by_kind, is_missing


def delta_text(current: float, previous: float, kind: str) -> str | None:
    if is_missing(current) or is_missing(previous):
        return None
    change = float(current) - float(previous)
    if kind == "rate":
        return f"{change * 100:+.1f} pts vs previous period"
    if previous:
        return f"{change / float(previous) * 100:+.0f} % vs previous period"
    return f"{change:+,.0f} vs previous period"


def cards(codes: Sequence[str], filters: Filters, per_row: int = 4) -> None:
    previous = filters.previous()
    rows = [codes[i:i + per_row] for i in range(0, len(codes), per_row)]
    for row in rows:
        columns = st.columns(per_row)
        for column, code in zip(columns, row, strict=False):
            spec = catalogue.get(code)
            now = data.total(code, filters)
            before = data.total(code, previous)
            with column:
                st.metric(spec.title, by_kind(now["value"], spec.kind, now["value_note"]),
                          delta=delta_text(now["value"], before["value"], spec.kind),
                          help=f"{spec.code}: {spec.definition}. Dated by {spec.dated_by}.",
                          border=True)
                note = target_note(code, filters)
                if note:
                    st.caption(note)


def target_note(code: str, filters: Filters) -> str | None:
    """Progress against the logframe target, when metrics.targets can say (issue 3)."""
    progress = data.progress(filters)
    if progress is None or progress.empty:
        return None
    rows = progress[(progress["indicator"] == code) & progress["country"].isna()] \
        if "country" in progress else progress.iloc[0:0]
    if rows.empty:
        return None
    row = rows.sort_values("period_end").iloc[-1]
    if is_missing(row.get("achieved")):
        return None
    return (f"{float(row['achieved']) * 100:.0f} % of target "
            f"({row['status']}, {row['period_end']:%b %Y})")
