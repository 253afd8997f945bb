"""Altair chart builders: every chart has a title with its unit and fixed colours.

Titles, units and subtitles come in the viewer's language from the caller; the words the
builders add themselves (tooltips, legends, codes in words) are translated here, and
``ui.page.chart`` / ``reports.files`` set Vega's number and date locale.

The same builders serve the pages and the exports (PNG/SVG/PPTX through vl-convert), so a
chart looks the same everywhere. Hidden (suppressed) values are left out of the marks and
the tooltip says so in the table below the chart.
"""

from __future__ import annotations

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
from ui.format import dimension_label
from ui.palette import MAIN, RULE, STATUS_COLOURS, scale_for

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


def _title(title: str, unit: str, subtitle: str = "") -> alt.TitleParams:
    if subtitle:
        return alt.TitleParams(f"{title} ({unit})", subtitle=subtitle, anchor="start")
    return alt.TitleParams(f"{title} ({unit})", anchor="start")


@remembered
def bars(frame: pd.DataFrame, field: str, *, title: str, unit: str, colour: bool = True,
         horizontal: bool = True, value_format: str = ",.0f", subtitle: str = "",
         sort_by_value: bool = True, select: bool = False) -> alt.Chart:
    """One bar per value of ``field``; ``select``: a click picks a bar (see ``PICK``)."""
    data = _labelled(frame.dropna(subset=["value"]), field)
    labels = list(data[f"{field}_label"])
    order = "-x" if horizontal else "-y"
    category = alt.Y if horizontal else alt.X
    measure = alt.X if horizontal else alt.Y
    encoding = {
        "category": category(f"{field}_label:N", title=None,
                             sort=order if sort_by_value else labels),
        "value": measure("value:Q", title=unit, axis=alt.Axis(format=value_format)),
    }
    chart = alt.Chart(data, title=_title(title, unit, subtitle)).mark_bar().encode(
        encoding["category"], encoding["value"],
        tooltip=[alt.Tooltip(f"{field}_label:N", title=field_name(field)),
                 alt.Tooltip("value:Q", title=unit, format=value_format)],
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
    return chart.properties(height=alt.Step(22) if horizontal else 300)


@remembered
def stacked_periods(frame: pd.DataFrame, field: str, *, title: str, unit: str,
                    subtitle: str = "") -> alt.Chart:
    """Values per period, stacked by ``field`` (e.g. country)."""
    data = _labelled(frame.dropna(subset=["value"]), field)
    data["period_label"] = [dimension_label("period", p) for p in data["period"]]
    values = sorted(set(data[field].astype(str)))
    legend = _legend(field, values)
    return alt.Chart(data, title=_title(title, unit, subtitle)).mark_bar().encode(
        x=alt.X("period_label:O", title=None, sort=list(dict.fromkeys(data["period_label"]))),
        y=alt.Y("value:Q", title=unit, stack=True, axis=alt.Axis(format=",.0f")),
        color=alt.Color(f"{field}:N", scale=scale_for(field, values), legend=legend),
        tooltip=[alt.Tooltip("period_label:O", title=_("Period")),
                 alt.Tooltip(f"{field}_label:N", title=field_name(field)),
                 alt.Tooltip("value:Q", title=unit, format=",.0f")],
    ).properties(height=300)


@remembered
def cumulative_line(frame: pd.DataFrame, *, title: str, unit: str,
                    targets: pd.DataFrame | None = None, subtitle: str = "") -> alt.Chart:
    """A cumulative series over periods, with target points/line when given."""
    actual, target = _("Actual"), _("Target")
    data = frame.dropna(subset=["value"]).assign(series=actual)
    data["period_label"] = [dimension_label("period", p) for p in data["period"]]
    layers = [alt.Chart(data).mark_line(point=True).encode(
        x=alt.X("period_start:T", title=None),
        y=alt.Y("value:Q", title=unit, axis=alt.Axis(format=",.0f")),
        color=alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=[actual, target],
                                        range=["#1f4e79", "#c0392b"])),
        tooltip=[alt.Tooltip("period_label:N", title=_("Period")),
                 alt.Tooltip("value:Q", title=unit, format=",.0f")])]
    if targets is not None and not targets.empty:
        tdata = targets.assign(series=target)
        layers.append(alt.Chart(tdata).mark_line(strokeDash=[6, 4], point=True).encode(
            x="period_start:T", y="value:Q", color="series:N",
            tooltip=[alt.Tooltip("period_start:T", title=_("Date")),
                     alt.Tooltip("value:Q", title=_("Target ({unit})").format(unit=unit),
                                 format=",.0f")]))
    return alt.layer(*layers, title=_title(title, unit, subtitle)).properties(height=300)


def _legend(field: str, values: list[str]) -> alt.Legend:
    """A bottom legend that shows codes in words (``food_processing`` → Food processing)."""
    labels = {v: dimension_label(field, v).replace("'", "’") for v in values}
    expr = " : ".join(f"datum.label == '{k}' ? '{v}'" for k, v in labels.items())
    extra = {"labelExpr": f"{expr} : datum.label"} if expr else {}
    return alt.Legend(title=None, orient="bottom", columns=min(4, max(1, len(values))),
                      **extra)


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
                 sort_by_value: bool = False) -> alt.Chart:
    """Horizontal bars per value of ``field``, one bar per ``group`` value side by side
    (or stacked with ``stacked``), coloured by ``group`` (fixed colours for countries,
    sectors and sex)."""
    data = _labelled(_labelled(frame.dropna(subset=["value"]), field), group)
    natural = ORDERS.get(group, [])
    groups = sorted(set(data[group].astype(str)),
                    key=lambda g: (natural.index(g) if g in natural else len(natural), g))
    encoding = dict(
        y=alt.Y(f"{field}_label:N", title=None, sort=_order(data, field, sort_by_value)),
        x=alt.X("value:Q", title=unit, stack=True if stacked else None,
                axis=alt.Axis(format=value_format)),
        color=alt.Color(f"{group}:N", scale=scale_for(group, groups),
                        legend=_legend(group, groups)),
        tooltip=_tooltip([field, group], unit, value_format))
    if not stacked:
        encoding["yOffset"] = alt.YOffset(f"{group}:N", sort=groups)
    # With an offset channel the step sizes one bar of a group, not the whole group.
    return alt.Chart(data, title=_title(title, unit, subtitle)).mark_bar().encode(
        **encoding).properties(height=alt.Step(22 if stacked else 12))


@remembered
def funnel(frame: pd.DataFrame, *, title: str, unit: str, subtitle: str = "") -> alt.Chart:
    """The case pipeline: one bar per step (in order) and, beside it, the share of the
    previous step that moved on and the median days the step took."""
    data = frame.dropna(subset=["value"]).copy()
    data["note"] = [_funnel_note(row) for _index, row in data.iterrows()]
    order = list(frame["label"])
    room = float(data["value"].max() or 1) * 1.6  # space for the notes right of the bars
    base = alt.Chart(data, title=_title(title, unit, subtitle)).encode(
        y=alt.Y("label:N", title=None, sort=order),
        x=alt.X("value:Q", title=unit, axis=alt.Axis(format=",.0f"),
                scale=alt.Scale(domain=[0, room], nice=False)))
    bar = base.mark_bar(color=MAIN).encode(tooltip=[
        alt.Tooltip("label:N", title=_("Step")),
        alt.Tooltip("value:Q", title=unit, format=",.0f"),
        alt.Tooltip("share:Q", title=_("Moved on from the previous step"), format=".0%"),
        alt.Tooltip("median_days:Q", title=_("Median days at this step"), format=",.0f")])
    text = base.mark_text(align="left", dx=4, color="#333").encode(text="note:N")
    return alt.layer(bar, text).properties(height=alt.Step(34))


def _funnel_note(row: pd.Series) -> str:
    parts = [number(row["value"])]
    if pd.notna(row.get("share")):
        parts.append(_("{share} moved on").format(share=percent(row["share"], digits=0)))
    if pd.notna(row.get("median_days")):
        parts.append(_("median {days} days").format(days=number(row["median_days"])))
    return " · ".join(parts)


@remembered
def histogram(frame: pd.DataFrame, *, title: str, unit: str, band_title: str,
              subtitle: str = "") -> alt.Chart:
    """Counts per band (``label``, in the frame's order), bars touching like a histogram."""
    data = frame.dropna(subset=["value"])
    return alt.Chart(data, title=_title(title, unit, subtitle)).mark_bar(color=MAIN).encode(
        x=alt.X("label:O", title=band_title, sort=list(frame["label"]),
                scale=alt.Scale(paddingInner=0.04),
                axis=alt.Axis(labelAngle=-45, labelOverlap=False)),
        y=alt.Y("value:Q", title=unit, axis=alt.Axis(format=",.0f")),
        tooltip=[alt.Tooltip("label:O", title=band_title),
                 alt.Tooltip("value:Q", title=unit, format=",.0f")],
    ).properties(height=300)


@remembered
def threshold_bars(frame: pd.DataFrame, field: str, *, title: str, unit: str,
                   threshold: float, threshold_label: str, value_format: str = ".2f",
                   colour: bool = False, subtitle: str = "") -> alt.LayerChart:
    """Bars on a 0–1 scale with a vertical rule at ``threshold`` (scores, rates)."""
    chart = bars(frame, field, title=title, unit=unit, colour=colour,
                 value_format=value_format, sort_by_value=False)
    chart = chart.encode(x=alt.X("value:Q", title=unit, scale=alt.Scale(domain=[0, 1]),
                                 axis=alt.Axis(format=value_format)))
    heading, chart = chart.title, chart.properties(title="")
    line = pd.DataFrame({"threshold": [threshold], "text": [threshold_label]})
    rule = alt.Chart(line).mark_rule(color=RULE, strokeDash=[6, 4], size=2).encode(
        x="threshold:Q")
    text = alt.Chart(line).mark_text(align="left", dx=4, dy=-6, color=RULE, baseline="bottom"
                                     ).encode(x="threshold:Q", y=alt.value(0), text="text:N")
    return alt.layer(chart, rule, text, title=heading)


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
