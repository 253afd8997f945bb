"""Altair chart builders: every chart has a title with its unit and fixed colours.

Titles, units and subtitles come in the viewer's language from the caller; the words the
builders add themselves (tooltips, legends, codes in words) are translated here, and
``ui.page.chart`` / ``reports.files`` set Vega's number and date locale.

The same builders serve the pages and the exports (PNG/SVG/PPTX through vl-convert), so a
chart looks the same everywhere. Hidden (suppressed) values have no bar;
a text mark says "<5" (or "hidden") in their place: a category or group never disappears
because one of its cells is small, and the true value is never in the chart's data.
Charts by period take their axis from ``time_axis`` only: every period of the filters,
in date order, zero where nothing happened.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

import altair as alt
import pandas as pd

from i18n import _, get_language
from i18n.formats import number, percent
from i18n.vocab import field_name
from metrics import periods
from metrics.filters import Filters
from views.format import dimension_label
from views.palette import MAIN, RULE, STATUS_COLOURS, scale_for

# d3 formats of a catalogue unit kind (axes and tooltips).
FORMATS = {"count": ",.0f", "rate": ".0%", "money": ",.0f", "days": ",.0f", "score": ".2f"}
# The name of the click selection a chart built with ``select=True`` carries; ui.page.chart
# hands what was clicked back to the page.
PICK = "pick"
# Categories with an order of their own (others: alphabetical, or by value).
ORDERS = {"age_group": ["<18", "18–24", "25–34", "35–49", "50+", "unknown"],
          "horizon": ["6m", "12m"]}


# --- built charts, remembered -------------------------------------------------------------
# A warm rerun draws the same charts from the same (cached) figures again; building an
# Altair chart (channels, layers, their schema objects) was about a quarter of such a rerun.
# Each builder's chart is kept, keyed on the builder, the language and its arguments, a
# frame by its columns, dtypes and a hash of its values: the same figures give the same
# chart object back. Nothing mutates a chart once built (Altair's methods return copies).
BUILT_MAX = 512
_built: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_built_lock = threading.Lock()
C = TypeVar("C", bound=Callable[..., Any])


def _key_part(value: Any) -> Any:
    if isinstance(value, pd.DataFrame):
        return ("frame", tuple(map(str, value.columns)), tuple(map(str, value.dtypes)),
                pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes())
    if isinstance(value, list | dict | set):
        return ("repr", repr(value))
    return value


def remembered(builder: C) -> C:
    @functools.wraps(builder)
    def build(*args: Any, **kwargs: Any) -> Any:
        try:
            key = (builder.__name__, get_language(), tuple(_key_part(a) for a in args),
                   tuple(sorted((k, _key_part(v)) for k, v in kwargs.items())))
            hash(key)
        except TypeError:  # a value pandas or Python cannot hash: build it every time
            return builder(*args, **kwargs)
        with _built_lock:
            chart = _built.get(key)
            if chart is not None:
                _built.move_to_end(key)
                return chart
        chart = builder(*args, **kwargs)
        with _built_lock:
            _built[key] = chart
            while len(_built) > BUILT_MAX:
                _built.popitem(last=False)
        return chart
    return build  # type: ignore[return-value]


def value_format(kind: str) -> str:
    return FORMATS.get(kind, ",.0f")


def _labelled(frame: pd.DataFrame, field: str) -> pd.DataFrame:
    frame = frame.copy()
    # A breakdown value the database left NULL is "unknown", as the engine spells it.
    frame[field] = [str(v) if not pd.isna(v) else "unknown" for v in frame[field]]
    frame[f"{field}_label"] = [dimension_label(field, v) for v in frame[field]]
    return frame


TITLE_WIDTH = 52  # characters on one line of a chart title (a half-width column)


def _title(title: str, unit: str, subtitle: str = "") -> alt.TitleParams:
    """The title with its unit, on as many lines as it needs (a title on one line was cut
    with "…" in a half-width column); the subtitle likewise."""
    text: str | list[str] = f"{title} ({unit})"
    if len(text) > TITLE_WIDTH:
        text = wrap(text, TITLE_WIDTH, lines=4)
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


def _measure(fmt: str, values: pd.Series | None = None) -> dict[str, Any]:
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


def _tooltip_format(fmt: str) -> str:
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


def _quoted(text: str) -> str:
    return "'" + text.replace("\\", "").replace("'", "’") + "'"


def _category_axis(labels: list[str], **extra: Any) -> alt.Axis:
    """A category axis whose long labels wrap onto two lines instead of being cut
    ("Assisted voluntar…"); the tooltip always has the whole label."""
    long = [label for label in dict.fromkeys(labels) if len(label) > LABEL_WIDTH]
    options: dict[str, Any] = {"labelLimit": 0, **extra}
    if long:
        cases = " : ".join(f"datum.label == {_quoted(label)} ? "
                           f"[{', '.join(_quoted(part) for part in wrap(label))}]"
                           for label in long)
        options["labelExpr"] = f"{cases} : datum.label"
    return alt.Axis(**options)


# --- hidden (suppressed) cells -------------------------------------------------------------
# A donor's hidden cell (value NaN, value_note "<5" or "hidden") is never dropped: its
# category keeps its place on the axis and a text mark says "<5" where the bar would start
# (or on top of a stack), with the note in its tooltip. The true value is not in the chart.

def _hidden(data: pd.DataFrame) -> pd.Series:
    notes = data["value_note"].fillna("").astype(str) if "value_note" in data else \
        pd.Series("", index=data.index)
    return data["value"].isna() & (notes != "")


def _drawn(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows a chart draws: values, and hidden cells (kept, marked by their note)."""
    frame = frame.copy()
    if "value_note" not in frame:
        frame["value_note"] = ""
    frame["value_note"] = frame["value_note"].fillna("").astype(str)
    return frame[frame["value"].notna() | (frame["value_note"] != "")]


def _note_text(note: str) -> str:
    return _("hidden") if note == "hidden" else note


def _hidden_marks(data: pd.DataFrame, category: str, *, horizontal: bool,
                  at: str | None = None, tooltip: list[alt.Tooltip] | None = None,
                  offset: alt.YOffset | alt.XOffset | None = None) -> alt.Chart | None:
    """Text marks for the hidden cells of ``data``: at the value axis' zero, or at the
    field ``at`` (the top of a stack)."""
    rows = data[_hidden(data)] if at is None else data
    if rows.empty:
        return None
    rows = rows.assign(note_text=[_note_text(n) for n in rows["value_note"]])
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


# --- the time axis -------------------------------------------------------------------------

def time_axis(frame: pd.DataFrame, filters: Filters, *, groups: tuple[str, ...] = (),
              kind: str = "count", through: dt.date | None = None) -> pd.DataFrame:
    """THE time axis of every chart by period: one row per period of ``filters`` (its
    start to its end, at its granularity), in date order, for every value of ``groups``
    the frame has. A period with no row is zero for a count (or money) — nothing happened
    — and empty for a rate, median or score (there is nothing to divide or rank); a
    period starting after ``through`` (the data's date) says "no data". Hidden cells keep
    their note. Columns: the groups, ``period``, ``period_label``, ``period_start``,
    ``value``, ``value_note``, ``axis_note`` ("" / "no data")."""
    granularity = filters.granularity
    keys = periods.keys_between(filters.start, filters.end, granularity)
    axis = pd.DataFrame({"period": [periods.label(k, granularity) for k in keys],
                         "period_start": [periods.bounds(k, granularity)[0] for k in keys]})
    axis["_order"] = range(len(axis))
    data = frame.drop(columns=[c for c in ("period_start",) if c in frame]).copy()
    if "value_note" not in data:
        data["value_note"] = ""
    data["period"] = data["period"].astype(str) if "period" in data else pd.Series(
        dtype=str)
    grid = axis
    for group in groups:
        if group not in data:
            data[group] = pd.Series(dtype=object)
        values = sorted({str(v) if not pd.isna(v) else "unknown" for v in data[group]})
        data[group] = [str(v) if not pd.isna(v) else "unknown" for v in data[group]]
        grid = grid.merge(pd.DataFrame({group: values}), how="cross")
    if "value" not in data:
        data["value"] = pd.Series(dtype=float)
    keep = ["period", *groups, "value", "value_note"]
    out = grid.merge(data[keep], on=["period", *groups], how="left")
    missing = out["value"].isna() & out["value_note"].isna()
    out["value_note"] = out["value_note"].fillna("").astype(str)
    if kind in ("count", "money"):
        out.loc[missing, "value"] = 0.0
    out["value"] = pd.to_numeric(out["value"], errors="coerce").astype(float)
    out["axis_note"] = ""
    if through is not None:
        future = out["period_start"] > through
        out.loc[future, "value"] = float("nan")
        out.loc[future, "value_note"] = ""
        out.loc[future, "axis_note"] = _("no data")
    out["period_label"] = [dimension_label("period", p) for p in out["period"]]
    out = out.sort_values(["_order", *groups], kind="stable").drop(columns="_order")
    return out.reset_index(drop=True)


def period_labels(filters: Filters) -> list[str]:
    """The labels of every period of ``filters``, in date order (the axis' domain)."""
    granularity = filters.granularity
    return [dimension_label("period", periods.label(k, granularity))
            for k in periods.keys_between(filters.start, filters.end, granularity)]


def _no_data_marks(data: pd.DataFrame, x: alt.X) -> alt.Chart | None:
    rows = data[data["axis_note"] != ""].drop_duplicates("period_label")
    if rows.empty:
        return None
    return alt.Chart(rows).mark_text(angle=270, align="left", dy=0, dx=0, color="#888888",
                                     fontSize=10).encode(
        x=x, y=alt.datum(0), text=alt.Text("axis_note:N"),
        tooltip=[alt.Tooltip("period_label:O", title=_("Period")),
                 alt.Tooltip("axis_note:N", title=_("Value"))])


def _layered(title: alt.TitleParams, layers: list[Any], **properties: Any) -> Any:
    shown = [layer for layer in layers if layer is not None]
    if len(shown) == 1:
        return shown[0].properties(title=title, **properties)
    return alt.layer(*shown, title=title).properties(**properties)


@remembered
def bars(frame: pd.DataFrame, field: str, *, title: str, unit: str, colour: bool = True,
         horizontal: bool = True, value_format: str = ",.0f", subtitle: str = "",
         sort_by_value: bool = True, select: bool = False) -> alt.Chart | alt.LayerChart:
    """One bar per value of ``field``; ``select``: a click picks a bar (see ``PICK``).
    A hidden cell keeps its place, marked with its note ("<5")."""
    data = _labelled(_drawn(frame), field)
    labels = list(dict.fromkeys(data[f"{field}_label"]))
    if sort_by_value:  # largest first, hidden cells last
        labels = list(dict.fromkeys(data.sort_values("value", ascending=False,
                                                     na_position="last", kind="stable")
                                    [f"{field}_label"]))
    category = (alt.Y if horizontal else alt.X)(
        f"{field}_label:N", title=None, sort=labels,
        axis=_category_axis(labels) if horizontal else _category_axis(
            labels, labelAngle=0 if len(labels) <= 8 else -45))
    measure = (alt.X if horizontal else alt.Y)("value:Q", title=unit,
                                               **_measure(value_format, data["value"]))
    chart = alt.Chart(data).mark_bar().encode(
        category, measure,
        tooltip=[alt.Tooltip(f"{field}_label:N", title=field_name(field)),
                 alt.Tooltip("value:Q", title=unit, format=_tooltip_format(value_format))],
    )
    if colour:
        values = list(data[field].astype(str))
        chart = chart.encode(color=alt.Color(f"{field}:N", legend=None,
                                             scale=scale_for(field, sorted(set(values)))))
    else:
        chart = chart.mark_bar(color=MAIN)
    if select:
        pick = alt.selection_point(name=PICK, fields=[field])
        chart = chart.add_params(pick).encode(
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.35)))
    marks = _hidden_marks(data, alt.Y(f"{field}_label:N", sort=labels) if horizontal else
                          alt.X(f"{field}_label:N", sort=labels), horizontal=horizontal,
                          tooltip=[alt.Tooltip(f"{field}_label:N", title=field_name(field)),
                                   alt.Tooltip("note_text:N", title=unit)])
    height = alt.Step(22 if max(map(len, labels or [""])) <= LABEL_WIDTH else 30) \
        if horizontal else 300
    return _layered(_title(title, unit, subtitle), [chart, marks], height=height)


@remembered
def period_bars(frame: pd.DataFrame, filters: Filters, *, title: str, unit: str,
                kind: str = "count", value_format: str | None = None, subtitle: str = "",
                through: dt.date | None = None) -> alt.Chart | alt.LayerChart:
    """One vertical bar per period of ``filters``: every period, in date order, zero
    where nothing happened (``time_axis``)."""
    fmt = value_format or value_format_of(kind)
    data = time_axis(frame, filters, kind=kind, through=through)
    labels = period_labels(filters)
    x = alt.X("period_label:O", title=None, sort=labels,
              scale=alt.Scale(domain=labels),
              axis=alt.Axis(labelAngle=0 if len(labels) <= 8 else -45, labelOverlap=False))
    chart = alt.Chart(data).mark_bar(color=MAIN).encode(
        x, alt.Y("value:Q", title=unit, **_measure(fmt, data["value"])),
        tooltip=[alt.Tooltip("period_label:O", title=_("Period")),
                 alt.Tooltip("value:Q", title=unit, format=_tooltip_format(fmt))])
    marks = _hidden_marks(data, alt.X("period_label:O", sort=labels), horizontal=False,
                          tooltip=[alt.Tooltip("period_label:O", title=_("Period")),
                                   alt.Tooltip("note_text:N", title=unit)])
    return _layered(_title(title, unit, subtitle),
                    [chart, marks, _no_data_marks(data, alt.X("period_label:O",
                                                              sort=labels))], height=300)


def value_format_of(kind: str) -> str:
    return value_format(kind)


@remembered
def stacked_periods(frame: pd.DataFrame, field: str, *, title: str, unit: str,
                    filters: Filters, subtitle: str = "", kind: str = "count",
                    through: dt.date | None = None) -> alt.Chart | alt.LayerChart:
    """Values per period, stacked by ``field`` (e.g. country): every period of
    ``filters`` in date order, zero where nothing happened (``time_axis``)."""
    data = _labelled(time_axis(frame, filters, groups=(field,), kind=kind, through=through),
                     field)
    labels = period_labels(filters)
    values = sorted(set(data[field].astype(str)))
    legend = _legend(field, values)
    fmt = value_format(kind)
    x = alt.X("period_label:O", title=None, sort=labels, scale=alt.Scale(domain=labels),
              axis=alt.Axis(labelAngle=0 if len(labels) <= 8 else -45, labelOverlap=False))
    chart = alt.Chart(data).mark_bar().encode(
        x=x,
        y=alt.Y("value:Q", title=unit, stack=True, **_measure(fmt)),
        color=alt.Color(f"{field}:N", scale=scale_for(field, values), legend=legend),
        tooltip=[alt.Tooltip("period_label:O", title=_("Period")),
                 alt.Tooltip(f"{field}_label:N", title=field_name(field)),
                 alt.Tooltip("value:Q", title=unit, format=_tooltip_format(fmt))],
    )
    marks = _stack_marks(data, "period_label", field, unit, horizontal=False,
                         axis=alt.X("period_label:O", sort=labels))
    return _layered(_title(title, unit, subtitle),
                    [chart, marks, _no_data_marks(data, alt.X("period_label:O",
                                                              sort=labels))], height=300)


def _stack_marks(data: pd.DataFrame, category: str, group: str, unit: str, *,
                 horizontal: bool, axis: Any) -> alt.Chart | None:
    """One text mark on top of each stack that has hidden cells: their notes, and in the
    tooltip which groups they are."""
    hidden = data[_hidden(data)]
    if hidden.empty:
        return None
    tops = data.groupby(category, sort=False)["value"].sum(min_count=1).fillna(0)
    rows = []
    for label, cells in hidden.groupby(category, sort=False):
        notes = sorted({_note_text(n) for n in cells["value_note"]})
        rows.append({category: label, "top": float(tops.get(label, 0.0)),
                     "value_note": " / ".join(notes),
                     "which": "; ".join(f"{g}: {_note_text(n)}" for g, n in zip(
                         cells[f"{group}_label"], cells["value_note"], strict=True))})
    return _hidden_marks(pd.DataFrame(rows), axis, horizontal=horizontal, at="top",
                         tooltip=[alt.Tooltip("which:N", title=unit)])


@remembered
def cumulative_line(frame: pd.DataFrame, *, title: str, unit: str,
                    targets: pd.DataFrame | None = None, subtitle: str = "") -> alt.Chart:
    """A cumulative series over periods, with target points/line when given."""
    actual, target = _("Actual"), _("Target")
    data = frame.dropna(subset=["value"]).assign(series=actual)
    data["period_label"] = [dimension_label("period", p) for p in data["period"]]
    layers = [alt.Chart(data).mark_line(point=True).encode(
        x=alt.X("period_start:T", title=None),
        y=alt.Y("value:Q", title=unit, **_measure(",.0f")),
        color=alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=[actual, target],
                                        range=["#1f4e79", "#c0392b"])),
        tooltip=[alt.Tooltip("period_label:N", title=_("Period")),
                 alt.Tooltip("value:Q", title=unit, format=",d")])]
    if targets is not None and not targets.empty:
        tdata = targets.assign(series=target)
        layers.append(alt.Chart(tdata).mark_line(strokeDash=[6, 4], point=True).encode(
            x="period_start:T", y="value:Q", color="series:N",
            tooltip=[alt.Tooltip("period_start:T", title=_("Date")),
                     alt.Tooltip("value:Q", title=_("Target ({unit})").format(unit=unit),
                                 format=",d")]))
    return alt.layer(*layers, title=_title(title, unit, subtitle)).properties(height=300)


def _legend(field: str, values: list[str]) -> alt.Legend:
    """A bottom legend that shows codes in words (``food_processing`` → Food processing)."""
    labels = {v: dimension_label(field, v).replace("'", "’") for v in values}
    expr = " : ".join(f"datum.label == '{k}' ? '{v}'" for k, v in labels.items())
    extra = {"labelExpr": f"{expr} : datum.label"} if expr else {}
    return alt.Legend(title=None, orient="bottom", columns=min(4, max(1, len(values))),
                      labelLimit=0, **extra)


def _tooltip(fields: list[str], unit: str, fmt: str) -> list[alt.Tooltip]:
    return [alt.Tooltip(f"{f}_label:N", title=field_name(f)) for f in fields] + [
        alt.Tooltip("value:Q", title=unit, format=fmt)]


def _order(data: pd.DataFrame, field: str, by_value: bool) -> list[str]:
    """Category labels in order: largest total first, or the field's natural order
    (age groups from the youngest) and otherwise alphabetical by code."""
    if by_value:
        totals = data.groupby(f"{field}_label", sort=False)["value"].sum()
        return list(totals.sort_values(ascending=False, kind="stable").index)
    natural = ORDERS.get(field)
    codes = sorted(set(data[field]), key=lambda c: (natural.index(c) if natural and c in
                                                    natural else len(natural or ()), c))
    return [dimension_label(field, c) for c in codes]


@remembered
def grouped_bars(frame: pd.DataFrame, field: str, group: str, *, title: str, unit: str,
                 value_format: str = ",.0f", subtitle: str = "", stacked: bool = False,
                 sort_by_value: bool = False) -> alt.Chart | alt.LayerChart:
    """Horizontal bars per value of ``field``, one bar per ``group`` value side by side
    (or stacked with ``stacked``), coloured by ``group`` (fixed colours for countries,
    sectors and sex). A hidden cell keeps its category and group, marked "<5"."""
    data = _labelled(_labelled(_drawn(frame), field), group)
    natural = ORDERS.get(group, [])
    groups = sorted(set(data[group].astype(str)),
                    key=lambda g: (natural.index(g) if g in natural else len(natural), g))
    order = _order(data, field, sort_by_value)
    category = alt.Y(f"{field}_label:N", title=None, sort=order,
                     axis=_category_axis(order))
    encoding = dict(
        y=category,
        x=alt.X("value:Q", title=unit, stack=True if stacked else None,
                **_measure(value_format, None if stacked else data["value"])),
        color=alt.Color(f"{group}:N", scale=scale_for(group, groups),
                        legend=_legend(group, groups)),
        tooltip=_tooltip([field, group], unit, _tooltip_format(value_format)))
    offset = None
    if not stacked:
        offset = alt.YOffset(f"{group}:N", sort=groups, scale=alt.Scale(domain=groups))
        encoding["yOffset"] = offset
    chart = alt.Chart(data).mark_bar().encode(**encoding)
    axis = alt.Y(f"{field}_label:N", sort=order)
    if stacked:
        marks = _stack_marks(data, f"{field}_label", group, unit, horizontal=True, axis=axis)
    else:
        marks = _hidden_marks(data, axis, horizontal=True, offset=offset,
                              tooltip=[alt.Tooltip(f"{field}_label:N",
                                                   title=field_name(field)),
                                       alt.Tooltip(f"{group}_label:N",
                                                   title=field_name(group)),
                                       alt.Tooltip("note_text:N", title=unit)])
    wide = max(map(len, order or [""])) > LABEL_WIDTH
    # With an offset channel the step sizes one bar of a group, not the whole group.
    step = (30 if wide else 22) if stacked else max(12, (30 if wide else 22) // max(
        1, len(groups)) + 4)
    return _layered(_title(title, unit, subtitle), [chart, marks], height=alt.Step(step))


@remembered
def funnel(frame: pd.DataFrame, *, title: str, unit: str, subtitle: str = "") -> alt.Chart:
    """The case pipeline: one bar per step (in order); each step's label says, on a second
    line, its count, the share of the previous step that moved on and the median days the
    step took. The notes are axis labels, not marks right of the bars: Vega's "fit" sizing
    (on a page) counts axes but not marks, so notes beside the bars were cut at the edge,
    and the value axis had been padded by hand to make room. Now the axis ends where Vega's
    nice rounding of the largest bar puts it."""
    data = frame.dropna(subset=["value"]).copy()
    data["note"] = [_funnel_note(row) for _index, row in data.iterrows()]
    order = list(frame["label"])
    notes = dict(zip(data["label"], data["note"], strict=True))
    cases = " : ".join(f"datum.label == {_quoted(label)} ? "
                       f"[{_quoted(label)}, {_quoted(notes[label])}]"
                       for label in order if label in notes)
    axis = alt.Axis(labelLimit=0, labelExpr=f"{cases} : datum.label" if cases else
                    "datum.label", labelLineHeight=14)
    chart = alt.Chart(data).mark_bar(color=MAIN).encode(
        y=alt.Y("label:N", title=None, sort=order, axis=axis),
        x=alt.X("value:Q", title=unit, **_measure(",d")),
        tooltip=[alt.Tooltip("label:N", title=_("Step")),
                 alt.Tooltip("value:Q", title=unit, format=",d"),
                 alt.Tooltip("share:Q", title=_("Moved on from the previous step"),
                             format=".0%"),
                 alt.Tooltip("median_days:Q", title=_("Median days at this step"),
                             format=",d")])
    return chart.properties(title=_title(title, unit, subtitle), height=alt.Step(40))


def _funnel_note(row: pd.Series) -> str:
    parts = [number(row["value"])]
    if pd.notna(row.get("share")):
        parts.append(_("{share} moved on").format(share=percent(row["share"], digits=0)))
    if pd.notna(row.get("median_days")):
        parts.append(_("median {days} days").format(days=number(row["median_days"])))
    return " · ".join(parts)


@remembered
def histogram(frame: pd.DataFrame, *, title: str, unit: str, band_title: str,
              subtitle: str = "") -> alt.Chart | alt.LayerChart:
    """Counts per band (``label``, in the frame's order), bars touching like a histogram."""
    data = _drawn(frame)
    order = list(frame["label"])
    chart = alt.Chart(data).mark_bar(color=MAIN).encode(
        x=alt.X("label:O", title=band_title, sort=order,
                scale=alt.Scale(paddingInner=0.04),
                axis=alt.Axis(labelAngle=-45, labelOverlap=False, labelLimit=0)),
        y=alt.Y("value:Q", title=unit, **_measure(",d")),
        tooltip=[alt.Tooltip("label:O", title=band_title),
                 alt.Tooltip("value:Q", title=unit, format=",d")],
    )
    marks = _hidden_marks(data, alt.X("label:O", sort=order), horizontal=False,
                          tooltip=[alt.Tooltip("label:O", title=band_title),
                                   alt.Tooltip("note_text:N", title=unit)])
    return _layered(_title(title, unit, subtitle), [chart, marks], height=300)


@remembered
def threshold_bars(frame: pd.DataFrame, field: str, *, title: str, unit: str,
                   threshold: float, threshold_label: str, value_format: str = ".2f",
                   colour: bool = False, subtitle: str = "") -> alt.LayerChart:
    """Bars on a 0–1 scale with a vertical rule at ``threshold`` (scores, rates)."""
    data = _labelled(_drawn(frame), field)
    labels = list(dict.fromkeys(data[f"{field}_label"]))
    chart = alt.Chart(data).mark_bar().encode(
        y=alt.Y(f"{field}_label:N", title=None, sort=labels, axis=_category_axis(labels)),
        x=alt.X("value:Q", title=unit, scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format=value_format)),
        tooltip=[alt.Tooltip(f"{field}_label:N", title=field_name(field)),
                 alt.Tooltip("value:Q", title=unit, format=value_format)])
    if colour:
        values = sorted(set(data[field].astype(str)))
        chart = chart.encode(color=alt.Color(f"{field}:N", legend=None,
                                             scale=scale_for(field, values)))
    else:
        chart = chart.mark_bar(color=MAIN)
    marks = _hidden_marks(data, alt.Y(f"{field}_label:N", sort=labels), horizontal=True,
                          tooltip=[alt.Tooltip(f"{field}_label:N", title=field_name(field)),
                                   alt.Tooltip("note_text:N", title=unit)])
    line = pd.DataFrame({"threshold": [threshold], "text": [threshold_label]})
    rule = alt.Chart(line).mark_rule(color=RULE, strokeDash=[6, 4], size=2).encode(
        x="threshold:Q")
    text = alt.Chart(line).mark_text(align="left", dx=4, dy=-6, color=RULE, baseline="bottom"
                                     ).encode(x="threshold:Q", y=alt.value(0), text="text:N")
    layers = [layer for layer in (chart, marks, rule, text) if layer is not None]
    return alt.layer(*layers, title=_title(title, unit, subtitle)).properties(
        height=alt.Step(22))


@remembered
def traffic_lights(frame: pd.DataFrame, row: str, column: str, *, title: str,
                   subtitle: str = "") -> alt.Chart:
    """A table of coloured cells: ``status`` (on track / at risk / off track / unknown)
    as the colour, ``text`` (e.g. "84 %") written in the cell."""
    statuses = list(STATUS_COLOURS)
    frame = frame.assign(status_label=[dimension_label("logframe_status", s)
                                       for s in frame["status"]])
    base = alt.Chart(frame, title=_title(title, _("% of target achieved"), subtitle)).encode(
        x=alt.X(f"{column}:N", title=None, axis=alt.Axis(orient="top", labelAngle=0),
                sort=list(dict.fromkeys(frame[column]))),
        y=alt.Y(f"{row}:N", title=None, sort=list(dict.fromkeys(frame[row])),
                axis=alt.Axis(labelLimit=320)))
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color("status:N", title=None,
                        legend=_legend("logframe_status", statuses),
                        scale=alt.Scale(domain=statuses,
                                        range=[STATUS_COLOURS[s] for s in statuses])),
        tooltip=[alt.Tooltip(f"{row}:N", title=_("Indicator")),
                 alt.Tooltip(f"{column}:N", title=_("Country")),
                 alt.Tooltip("text:N", title=_("Achieved")),
                 alt.Tooltip("status_label:N", title=_("Status"))])
    text = base.mark_text(color="white", fontWeight="bold").encode(text="text:N")
    return alt.layer(cells, text).properties(height=alt.Step(30), width=alt.Step(110))
