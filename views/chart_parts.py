"""The pieces every chart builder shares: titles with their unit, value and category axes,
wrapped labels, legends and tooltips in words, and the marks of hidden (suppressed) cells.

Streamlit-free, like every ``views`` module; ``views.charts`` assembles charts from them.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from i18n import _
from i18n.vocab import field_name
from views.format import dimension_label

# Categories with an order of their own (others: alphabetical, or by value).
ORDERS = {"age_group": ["<18", "18–24", "25–34", "35–49", "50+", "unknown"],
          "horizon": ["6m", "12m"]}


def labelled(frame: pd.DataFrame, field: str) -> pd.DataFrame:
    frame = frame.copy()
    # A breakdown value the database left NULL is "unknown", as the engine spells it.
    frame[field] = [str(v) if not pd.isna(v) else "unknown" for v in frame[field]]
    frame[f"{field}_label"] = [dimension_label(field, v) for v in frame[field]]
    return frame


TITLE_WIDTH = 52  # characters on one line of a chart title (a half-width column)


def chart_title(title: str, unit: str, subtitle: str = "") -> alt.TitleParams:
    """The title with its unit, on as many lines as it needs (a title on one line was cut
    with "…" in a half-width column); the subtitle likewise."""
    line = f"{title} ({unit})"
    text: str | list[str] = wrap(line, TITLE_WIDTH, lines=4) if len(line) > TITLE_WIDTH else line
    params: dict[str, Any] = {"anchor": "start"}
    if subtitle:
        params["subtitle"] = (wrap(subtitle, TITLE_WIDTH + 20, lines=4)
                              if len(subtitle) > TITLE_WIDTH + 20 else subtitle)
    return alt.TitleParams(text, **params)


# --- axes ---------------------------------------------------------------------------------
# Counts (and money, days) are whole numbers: ticks never fall between two of them (no
# "0 1 1 2 2" when the largest bar is 5). Rates run 0–100 % so that 55 % and 68 % do not look
# like nothing and everything. Domains are Vega's own (from zero, rounded to a nice number),
# never padded by hand.
WHOLE = (",.0f", ",d", "d", ".0f")
LABEL_WIDTH = 26  # characters on one line of a category label; longer labels wrap
LABEL_LINES = 2  # at most; beyond that the label is shortened (the tooltip has it whole)


def measure_axis(fmt: str, values: pd.Series | None = None) -> dict[str, Any]:
    """Scale and axis of a value channel drawn with the d3 format ``fmt``."""
    if fmt.endswith("%"):
        top = 1.0
        if values is not None and values.notna().any():
            top = max(1.0, float(pd.to_numeric(values, errors="coerce").max()))
        return {"scale": alt.Scale(domain=[0, top], nice=False),
                "axis": alt.Axis(format=fmt)}
    if fmt in WHOLE:
        return {"axis": alt.Axis(format=",d", tickMinStep=1)}
    return {"axis": alt.Axis(format=fmt)}


def tooltip_format(fmt: str) -> str:
    return ",d" if fmt in WHOLE else fmt


def wrap(text: str, width: int = LABEL_WIDTH, lines: int = LABEL_LINES) -> list[str]:
    """A label on at most ``lines`` lines of about ``width`` characters (words kept whole
    where they fit; the last line ends with "…" when the text is longer)."""
    words, out, line = str(text).split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    out.append(line)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][: width - 1].rstrip() + "…"
    return [part if len(part) <= width + 8 else part[: width + 7] + "…" for part in out]


def quoted(text: str) -> str:
    return "'" + text.replace("\\", "").replace("'", "’") + "'"


def category_axis(labels: list[str], **extra: Any) -> alt.Axis:
    """A category axis whose long labels wrap onto two lines instead of being cut
    ("Assisted voluntar…"); the tooltip always has the whole label."""
    long = [label for label in dict.fromkeys(labels) if len(label) > LABEL_WIDTH]
    options: dict[str, Any] = {"labelLimit": 0, **extra}
    if long:
        cases = " : ".join(f"datum.label == {quoted(label)} ? "
                           f"[{', '.join(quoted(part) for part in wrap(label))}]"
                           for label in long)
        options["labelExpr"] = f"{cases} : datum.label"
    return alt.Axis(**options)


# --- hidden (suppressed) cells -------------------------------------------------------------
# A donor's hidden cell (value NaN, value_note "<5" or "hidden") is never dropped: its
# category keeps its place on the axis and a text mark says "<5" where the bar would start
# (or on top of a stack), with the note in its tooltip. The true value is not in the chart.

def hidden_cells(data: pd.DataFrame) -> pd.Series:
    notes = data["value_note"].fillna("").astype(str) if "value_note" in data else \
        pd.Series("", index=data.index)
    return data["value"].isna() & (notes != "")


def drawn(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows a chart draws: values, and hidden cells (kept, marked by their note)."""
    frame = frame.copy()
    if "value_note" not in frame:
        frame["value_note"] = ""
    frame["value_note"] = frame["value_note"].fillna("").astype(str)
    return frame[frame["value"].notna() | (frame["value_note"] != "")]


def note_text(note: str) -> str:
    return _("hidden") if note == "hidden" else note


def hidden_marks(data: pd.DataFrame, category: str | alt.X | alt.Y, *, horizontal: bool,
                 at: str | None = None, tooltip: list[alt.Tooltip] | None = None,
                 offset: alt.YOffset | alt.XOffset | None = None) -> alt.Chart | None:
    """Text marks for the hidden cells of ``data``: at the value axis' zero, or at the
    field ``at`` (the top of a stack)."""
    rows = data[hidden_cells(data)] if at is None else data
    if rows.empty:
        return None
    rows = rows.assign(note_text=[note_text(n) for n in rows["value_note"]])
    position = alt.X if horizontal else alt.Y
    where = position(f"{at}:Q") if at else alt.datum(0)
    encoding: dict[str, Any] = {"text": alt.Text("note_text:N"),
                                ("y" if horizontal else "x"): category}
    encoding["x" if horizontal else "y"] = where
    if offset is not None:
        encoding["yOffset" if horizontal else "xOffset"] = offset
    encoding["tooltip"] = tooltip or [alt.Tooltip("note_text:N", title=_("Value"))]
    mark = alt.Chart(rows).mark_text(
        align="left" if horizontal else "center", baseline="middle" if horizontal else
        "bottom", dx=3 if horizontal else 0, dy=0 if horizontal else -3, fontWeight="bold",
        color="#555555", fontSize=11)
    return mark.encode(**encoding)


# --- layers, legends, tooltips, order -----------------------------------------------------

def layered(title: alt.TitleParams, layers: list[alt.Chart | alt.LayerChart | None],
            **properties: Any) -> alt.Chart | alt.LayerChart:
    shown = [layer for layer in layers if layer is not None]
    if len(shown) == 1:
        return shown[0].properties(title=title, **properties)
    # LayerChart itself, not alt.layer: that one may return a FacetChart (when the layers
    # share a facet encoding, which ours never have), so it is typed as either.
    return alt.LayerChart(layer=shown, title=title).properties(**properties)


def stack_marks(data: pd.DataFrame, category: str, group: str, unit: str, *,
                horizontal: bool, axis: Any) -> alt.Chart | None:
    """One text mark on top of each stack that has hidden cells: their notes, and in the
    tooltip which groups they are."""
    hidden = data[hidden_cells(data)]
    if hidden.empty:
        return None
    tops = data.groupby(category, sort=False)["value"].sum(min_count=1).fillna(0)
    rows = []
    for label, cells in hidden.groupby(category, sort=False):
        notes = sorted({note_text(n) for n in cells["value_note"]})
        rows.append({category: label, "top": float(tops.get(label, 0.0)),
                     "value_note": " / ".join(notes),
                     "which": "; ".join(f"{g}: {note_text(n)}" for g, n in zip(
                         cells[f"{group}_label"], cells["value_note"], strict=True))})
    return hidden_marks(pd.DataFrame(rows), axis, horizontal=horizontal, at="top",
                        tooltip=[alt.Tooltip("which:N", title=unit)])


def bottom_legend(field: str, values: list[str]) -> alt.Legend:
    """A bottom legend that shows codes in words (``food_processing`` → Food processing)."""
    labels = {v: dimension_label(field, v).replace("'", "’") for v in values}
    expr = " : ".join(f"datum.label == '{k}' ? '{v}'" for k, v in labels.items())
    return alt.Legend(title=None, orient="bottom", columns=min(4, max(1, len(values))),
                      labelLimit=0,
                      labelExpr=f"{expr} : datum.label" if expr else alt.Undefined)


def tooltips(fields: list[str], unit: str, fmt: str) -> list[alt.Tooltip]:
    return [alt.Tooltip(f"{f}_label:N", title=field_name(f)) for f in fields] + [
        alt.Tooltip("value:Q", title=unit, format=fmt)]


def category_order(data: pd.DataFrame, field: str, by_value: bool) -> list[str]:
    """Category labels in order: largest total first, or the field's natural order
    (age groups from the youngest) and otherwise alphabetical by code."""
    if by_value:
        totals = data.groupby(f"{field}_label", sort=False)["value"].sum()
        return list(totals.sort_values(ascending=False, kind="stable").index)
    natural = ORDERS.get(field)
    codes = sorted(set(data[field]), key=lambda c: (natural.index(c) if natural and c in
                                                    natural else len(natural or ()), c))
    return [dimension_label(field, c) for c in codes]
