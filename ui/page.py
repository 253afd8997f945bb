"""Page furniture: header with the page's question, caption, empty states, tables."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from i18n import _, ngettext
from i18n.formats import number
from metrics.filters import Filters, Granularity
from ui.text import md, say
from views.format import vega_locale


def header(title: str, question: str) -> None:
    st.title(title)
    st.markdown(say("*{question}*", question=question))


def caption(filters: Filters, extra: str = "", *, by_period: bool = True) -> str:
    """"Showing <filters>"; ``by_period=False`` for a chart or table without a time axis
    (it does not say "by quarter")."""
    text = _("Showing {filters}").format(filters=filters.describe(by_period))
    return f"{text}. {extra}" if extra else text


def has_data(frame: pd.DataFrame) -> bool:
    if frame.empty or "value" not in frame:
        return False
    values = pd.to_numeric(frame["value"], errors="coerce")
    return bool((values.fillna(0) != 0).any() or (frame.get("value_note", "") != "").any())


def empty(what: str, filters: Filters) -> None:
    st.info(say(_("No {what} for {filters}. Widen the period or choose other countries in "
                  "the sidebar."), what=what, filters=filters.describe()), icon="🔍")


def chart(chart: alt.TopLevelMixin, frame: pd.DataFrame, what: str,
          filters: Filters, name: str = "", *, key: str | None = None,
          money: bool = False) -> list[dict[str, Any]]:
    """Draw a chart with its filters caption, or say why there is nothing to draw.

    ``name`` is the stem of export file names (e.g. ``beneficiaries_by_sector``); the
    export helpers (issue 6) add PNG/SVG downloads here, for every chart at once.
    ``key``: the chart was built with a click selection (``views.charts.PICK``); clicking
    reruns the page, and the values clicked (one dict per mark) are returned.
    ``money``: the downloads say the currency and the rates behind the amounts.
    """
    if not has_data(frame):
        empty(what, filters)
        return []
    picked: list[dict[str, Any]] = []  # Any: the clicked marks' field values, as Vega sends them
    shown = chart.configure(locale=vega_locale())  # separators and month names
    # Streamlit turns the chart into Vega-Lite on every rerun; Altair's JSON-schema check
    # of the whole spec is about 40 % of that. These charts come from views.charts builders,
    # whose specs the exports (and their tests) validate, so the page skips the check.
    object.__setattr__(shown, "to_dict", partial(type(shown).to_dict, shown, validate=False))
    if key is None:
        st.altair_chart(shown, width="stretch")
    else:
        from views.charts import PICK

        event = st.altair_chart(shown, width="stretch", on_select="rerun", key=key,
                                selection_mode=PICK)
        picked = list(event.selection.get(PICK) or []) if event is not None else []
    notes = frame.get("value_note", pd.Series(dtype=str)).fillna("")
    hidden = int((notes != "").sum())
    marks = ", ".join(f"“{_(n) if n == 'hidden' else n}”" for n in sorted(set(notes) - {""}))
    extra = ngettext(
        "{n} small figure hidden to protect privacy: marked {marks} on the chart",
        "{n} small figures hidden to protect privacy: marked {marks} on the chart",
        hidden).format(n=hidden, marks=marks) if hidden else ""
    if "hidden" in set(notes):
        extra += " (" + _("“hidden”: not shown so that a small count cannot be worked out "
                          "from a total") + ")"
    if "period" in frame:  # "by quarter", or whatever the chart's own periods are
        st.caption(md(caption(_with_periods_of(frame, filters), extra)))
    else:
        st.caption(md(caption(filters, extra, by_period=False)))
    from ui.exports import chart_downloads  # PNG/SVG of exactly this chart (issue 6)

    chart_downloads(chart, frame, filters, name or what, money)
    return picked


def _with_periods_of(frame: pd.DataFrame, filters: Filters) -> Filters:
    """``filters`` with the granularity of the frame's period labels (2016-03: month,
    2016Q1: quarter, 2016: year): a monthly line on a page grouped by quarter says "by
    month"."""
    from dataclasses import replace

    labels = [str(p) for p in frame["period"].dropna().head(1)]
    if not labels:
        return filters
    label = labels[0]
    granularity: Granularity | None = ("month" if len(label) == 7 and label[4] == "-" else
                   "quarter" if "Q" in label else "year" if label.isdigit() else None)
    return replace(filters, granularity=granularity) if granularity else filters


# Rows a table shows on the page; the CSV/XLSX downloads hold every row. A longer table
# (the cooperative list: ~29,000 rows at a million beneficiaries) cost over a second and
# tens of MB on every rerun to format and send, for rows nobody scrolls to.
TABLE_LIMIT = 1000


def table(frame: pd.DataFrame, what: str, filters: Filters, name: str = "", *,
          total: int | None = None, full: Callable[[], pd.DataFrame] | None = None,
          limit: int | None = None, money: bool = False) -> None:
    """Draw a table already formatted for people (labels, numbers as text where hidden).

    ``name`` is the stem of export file names; CSV/XLSX downloads are added here (issue 6).
    At most ``limit`` rows (default ``TABLE_LIMIT``) are shown, with a caption saying how
    many of how many; the downloads hold the whole table. A caller with a long table
    passes only the rows it shows, formatted, with ``total`` (the whole table's row
    count) and ``full`` (builds the whole formatted table; called only when a download
    is clicked).
    """
    if frame.empty:
        empty(what, filters)
        return
    rows = len(frame) if total is None else total
    shown = frame.head(TABLE_LIMIT if limit is None else limit)
    st.dataframe(shown, hide_index=True, width="stretch")
    if rows > len(shown):
        st.caption(say(_("Showing the first {shown} of {total} rows. The CSV and Excel "
                         "downloads hold all {total}."), shown=number(len(shown)),
                       total=number(rows)))
    from ui.exports import table_downloads  # CSV/XLSX of exactly this table (issue 6)

    table_downloads(full or (lambda: frame), filters, name or what, what, money)


def formatted(frame: pd.DataFrame, dims: list[str], columns: dict[str, tuple[str, str]]
              ) -> pd.DataFrame:
    """A figure table for people: each breakdown in words, each value as text by its unit
    kind (``columns``: column -> (heading, kind)); a hidden value shows its note ("<5")."""
    from i18n.vocab import field_name
    from views.format import by_kind, dimension_label

    out = pd.DataFrame(index=frame.index)
    for dim in dims:
        out[field_name(dim)] = [dimension_label(dim, v) for v in frame[dim]]
    for column, (heading, kind) in columns.items():
        if column not in frame:
            continue
        # value → value_note; value_people (a merged second figure) → value_note_people
        note = "value_note" + column[len("value"):] if column.startswith("value") else ""
        notes = frame[note].fillna("") if note in frame else pd.Series("", index=frame.index)
        out[heading] = [by_kind(v, kind, n) for v, n in zip(frame[column], notes, strict=True)]
    return out.reset_index(drop=True)
