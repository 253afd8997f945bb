"""Page furniture: header with the page's question, caption, empty states, tables."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from metrics.filters import Filters


def header(title: str, question: str) -> None:
    st.title(title)
    st.markdown(f"*{question}*")


def caption(filters: Filters, extra: str = "") -> str:
    return f"Showing {filters.describe()}{'. ' + extra if extra else ''}"


def has_data(frame: pd.DataFrame) -> bool:
    if frame.empty or "value" not in frame:
        return False
    values = pd.to_numeric(frame["value"], errors="coerce")
    return bool((values.fillna(0) != 0).any() or (frame.get("value_note", "") != "").any())


def empty(what: str, filters: Filters) -> None:
    st.info(f"No {what} for {filters.describe()}. Widen the period or choose other "
            f"countries in the sidebar.", icon="🔍")


def chart(chart: alt.Chart | alt.LayerChart, frame: pd.DataFrame, what: str,
          filters: Filters, name: str = "") -> None:
    """Draw a chart with its filters caption, or say why there is nothing to draw.

    ``name`` is the stem of export file names (e.g. ``beneficiaries_by_sector``); the
    export helpers (issue 6) add PNG/SVG downloads here, for every chart at once.
    """
    if not has_data(frame):
        empty(what, filters)
        return
    st.altair_chart(chart, width="stretch")
    hidden = (frame.get("value_note", pd.Series(dtype=str)) != "").sum()
    st.caption(caption(filters, f"{hidden} small figure(s) hidden to protect privacy"
                       if hidden else ""))


def table(frame: pd.DataFrame, what: str, filters: Filters, name: str = "") -> None:
    """Draw a table already formatted for people (labels, numbers as text where hidden).

    ``name`` is the stem of export file names; CSV/XLSX downloads are added here (issue 6).
    """
    if frame.empty:
        empty(what, filters)
        return
    st.dataframe(frame, hide_index=True, width="stretch")
