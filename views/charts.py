"""Altair chart builders: every chart has a title with its unit and fixed colours.

Titles, units and subtitles come in the viewer's language from the caller; the words the
builders add themselves (tooltips, legends, codes in words) are translated here, and
``ui.page.chart`` / ``reports.files`` set Vega's number and date locale.

The same builders serve the pages and the exports (PNG/SVG/PPTX through vl-convert), so a
chart looks the same everywhere. Hidden (suppressed) values have no bar;
a text mark says "<5" (or "hidden") in their place: a category or group never disappears
because one of its cells is small, and the true value is never in the chart's data.
Charts by period take their axis from ``views.time_axis`` only: every period of the filters,
in date order, zero where nothing happened. The pieces the builders share (titles, axes,
legends, hidden-cell marks) are in ``views.chart_parts``; ``views.chart_memo`` remembers
what they built.
"""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd

from i18n import _
from i18n.formats import number, percent
from i18n.vocab import field_name
from metrics.filters import Filters
from views.chart_memo import remembered
from views.chart_parts import (
    LABEL_WIDTH,
    ORDERS,
    bottom_legend,
    category_axis,
    category_order,
    chart_title,
    drawn,
    hidden_marks,
    labelled,
    layered,
    measure_axis,
    quoted,
    stack_marks,
    tooltip_format,
    tooltips,
)
from views.format import dimension_label
from views.palette import MAIN, RULE, STATUS_COLOURS, scale_for
from views.time_axis import no_data_marks, period_labels, time_axis

# d3 formats of a catalogue unit kind (axes and tooltips).
FORMATS = {"count": ",.0f", "rate": ".0%", "money": ",.0f", "days": ",.0f", "score": ".2f"}
# The name of the click selection a chart built with ``select=True`` carries; ui.page.chart
# hands what was clicked back to the page.
PICK = "pick"


def value_format(kind: str) -> str:
    return FORMATS.get(kind, ",.0f")


@remembered
def bars(frame: pd.DataFrame, field: str, *, title: str, unit: str, colour: bool = True,
         horizontal: bool = True, value_format: str = ",.0f", subtitle: str = "",
         sort_by_value: bool = True, select: bool = False) -> alt.Chart | alt.LayerChart:
    """One bar per value of ``field``; ``select``: a click picks a bar (see ``PICK``).
    A hidden cell keeps its place, marked with its note ("<5")."""
    data = labelled(drawn(frame), field)
    labels = list(dict.fromkeys(data[f"{field}_label"]))
    if sort_by_value:  # largest first, hidden cells last
        labels = list(dict.fromkeys(data.sort_values("value", ascending=False,
                                                     na_position="last", kind="stable")
                                    [f"{field}_label"]))
    category = (alt.Y if horizontal else alt.X)(
        f"{field}_label:N", title=None, sort=labels,
        axis=category_axis(labels) if horizontal else category_axis(
            labels, labelAngle=0 if len(labels) <= 8 else -45))
    measure = (alt.X if horizontal else alt.Y)("value:Q", title=unit,
                                               **measure_axis(value_format, data["value"]))
    chart = alt.Chart(data).mark_bar().encode(
        category, measure,
        tooltip=[alt.Tooltip(f"{field}_label:N", title=field_name(field)),
                 alt.Tooltip("value:Q", title=unit, format=tooltip_format(value_format))],
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
    marks = hidden_marks(data, alt.Y(f"{field}_label:N", sort=labels) if horizontal else
                         alt.X(f"{field}_label:N", sort=labels), horizontal=horizontal,
                         tooltip=[alt.Tooltip(f"{field}_label:N", title=field_name(field)),
                                  alt.Tooltip("note_text:N", title=unit)])
    height = alt.Step(22 if max(map(len, labels or [""])) <= LABEL_WIDTH else 30) \
        if horizontal else 300
    return layered(chart_title(title, unit, subtitle), [chart, marks], height=height)


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
        x, alt.Y("value:Q", title=unit, **measure_axis(fmt, data["value"])),
        tooltip=[alt.Tooltip("period_label:O", title=_("Period")),
                 alt.Tooltip("value:Q", title=unit, format=tooltip_format(fmt))])
    marks = hidden_marks(data, alt.X("period_label:O", sort=labels), horizontal=False,
                         tooltip=[alt.Tooltip("period_label:O", title=_("Period")),
                                  alt.Tooltip("note_text:N", title=unit)])
    return layered(chart_title(title, unit, subtitle),
                   [chart, marks, no_data_marks(data, alt.X("period_label:O",
                                                            sort=labels))], height=300)


def value_format_of(kind: str) -> str:
    return value_format(kind)


@remembered
def stacked_periods(frame: pd.DataFrame, field: str, *, title: str, unit: str,
                    filters: Filters, subtitle: str = "", kind: str = "count",
                    through: dt.date | None = None) -> alt.Chart | alt.LayerChart:
    """Values per period, stacked by ``field`` (e.g. country): every period of
    ``filters`` in date order, zero where nothing happened (``time_axis``)."""
    data = labelled(time_axis(frame, filters, groups=(field,), kind=kind, through=through),
                    field)
    labels = period_labels(filters)
    values = sorted(set(data[field].astype(str)))
    legend = bottom_legend(field, values)
    fmt = value_format(kind)
    x = alt.X("period_label:O", title=None, sort=labels, scale=alt.Scale(domain=labels),
              axis=alt.Axis(labelAngle=0 if len(labels) <= 8 else -45, labelOverlap=False))
    chart = alt.Chart(data).mark_bar().encode(
        x=x,
        y=alt.Y("value:Q", title=unit, stack=True, **measure_axis(fmt)),
        color=alt.Color(f"{field}:N", scale=scale_for(field, values), legend=legend),
        tooltip=[alt.Tooltip("period_label:O", title=_("Period")),
                 alt.Tooltip(f"{field}_label:N", title=field_name(field)),
                 alt.Tooltip("value:Q", title=unit, format=tooltip_format(fmt))],
    )
    marks = stack_marks(data, "period_label", field, unit, horizontal=False,
                        axis=alt.X("period_label:O", sort=labels))
    return layered(chart_title(title, unit, subtitle),
                   [chart, marks, no_data_marks(data, alt.X("period_label:O",
                                                            sort=labels))], height=300)


@remembered
def cumulative_line(frame: pd.DataFrame, *, title: str, unit: str,
                    targets: pd.DataFrame | None = None,
                    subtitle: str = "") -> alt.LayerChart:
    """A cumulative series over periods, with target points/line when given."""
    actual, target = _("Actual"), _("Target")
    data = frame.dropna(subset=["value"]).assign(series=actual)
    data["period_label"] = [dimension_label("period", p) for p in data["period"]]
    layers = [alt.Chart(data).mark_line(point=True).encode(
        x=alt.X("period_start:T", title=None),
        y=alt.Y("value:Q", title=unit, **measure_axis(",.0f")),
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
    return alt.LayerChart(layer=layers, title=chart_title(title, unit, subtitle)).properties(
        height=300)


@remembered
def grouped_bars(frame: pd.DataFrame, field: str, group: str, *, title: str, unit: str,
                 value_format: str = ",.0f", subtitle: str = "", stacked: bool = False,
                 sort_by_value: bool = False) -> alt.Chart | alt.LayerChart:
    """Horizontal bars per value of ``field``, one bar per ``group`` value side by side
    (or stacked with ``stacked``), coloured by ``group`` (fixed colours for countries,
    sectors and sex). A hidden cell keeps its category and group, marked "<5"."""
    data = labelled(labelled(drawn(frame), field), group)
    natural = ORDERS.get(group, [])
    groups = sorted(set(data[group].astype(str)),
                    key=lambda g: (natural.index(g) if g in natural else len(natural), g))
    order = category_order(data, field, sort_by_value)
    category = alt.Y(f"{field}_label:N", title=None, sort=order,
                     axis=category_axis(order))
    encoding = dict(
        y=category,
        x=alt.X("value:Q", title=unit, stack=True if stacked else None,
                **measure_axis(value_format, None if stacked else data["value"])),
        color=alt.Color(f"{group}:N", scale=scale_for(group, groups),
                        legend=bottom_legend(group, groups)),
        tooltip=tooltips([field, group], unit, tooltip_format(value_format)))
    offset = None
    if not stacked:
        offset = alt.YOffset(f"{group}:N", sort=groups, scale=alt.Scale(domain=groups))
        encoding["yOffset"] = offset
    chart = alt.Chart(data).mark_bar().encode(**encoding)
    axis = alt.Y(f"{field}_label:N", sort=order)
    if stacked:
        marks = stack_marks(data, f"{field}_label", group, unit, horizontal=True, axis=axis)
    else:
        marks = hidden_marks(data, axis, horizontal=True, offset=offset,
                             tooltip=[alt.Tooltip(f"{field}_label:N",
                                                  title=field_name(field)),
                                      alt.Tooltip(f"{group}_label:N",
                                                  title=field_name(group)),
                                      alt.Tooltip("note_text:N", title=unit)])
    wide = max(map(len, order or [""])) > LABEL_WIDTH
    # With an offset channel the step sizes one bar of a group, not the whole group.
    step = (30 if wide else 22) if stacked else max(12, (30 if wide else 22) // max(
        1, len(groups)) + 4)
    return layered(chart_title(title, unit, subtitle), [chart, marks], height=alt.Step(step))


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
    cases = " : ".join(f"datum.label == {quoted(label)} ? "
                       f"[{quoted(label)}, {quoted(notes[label])}]"
                       for label in order if label in notes)
    axis = alt.Axis(labelLimit=0, labelExpr=f"{cases} : datum.label" if cases else
                    "datum.label", labelLineHeight=14)
    chart = alt.Chart(data).mark_bar(color=MAIN).encode(
        y=alt.Y("label:N", title=None, sort=order, axis=axis),
        x=alt.X("value:Q", title=unit, **measure_axis(",d")),
        tooltip=[alt.Tooltip("label:N", title=_("Step")),
                 alt.Tooltip("value:Q", title=unit, format=",d"),
                 alt.Tooltip("share:Q", title=_("Moved on from the previous step"),
                             format=".0%"),
                 alt.Tooltip("median_days:Q", title=_("Median days at this step"),
                             format=",d")])
    return chart.properties(title=chart_title(title, unit, subtitle), height=alt.Step(40))


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
    data = drawn(frame)
    order = list(frame["label"])
    chart = alt.Chart(data).mark_bar(color=MAIN).encode(
        x=alt.X("label:O", title=band_title, sort=order,
                scale=alt.Scale(paddingInner=0.04),
                axis=alt.Axis(labelAngle=-45, labelOverlap=False, labelLimit=0)),
        y=alt.Y("value:Q", title=unit, **measure_axis(",d")),
        tooltip=[alt.Tooltip("label:O", title=band_title),
                 alt.Tooltip("value:Q", title=unit, format=",d")],
    )
    marks = hidden_marks(data, alt.X("label:O", sort=order), horizontal=False,
                         tooltip=[alt.Tooltip("label:O", title=band_title),
                                  alt.Tooltip("note_text:N", title=unit)])
    return layered(chart_title(title, unit, subtitle), [chart, marks], height=300)


@remembered
def threshold_bars(frame: pd.DataFrame, field: str, *, title: str, unit: str,
                   threshold: float, threshold_label: str, value_format: str = ".2f",
                   colour: bool = False, subtitle: str = "") -> alt.LayerChart:
    """Bars on a 0–1 scale with a vertical rule at ``threshold`` (scores, rates)."""
    data = labelled(drawn(frame), field)
    labels = list(dict.fromkeys(data[f"{field}_label"]))
    chart = alt.Chart(data).mark_bar().encode(
        y=alt.Y(f"{field}_label:N", title=None, sort=labels, axis=category_axis(labels)),
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
    marks = hidden_marks(data, alt.Y(f"{field}_label:N", sort=labels), horizontal=True,
                         tooltip=[alt.Tooltip(f"{field}_label:N", title=field_name(field)),
                                  alt.Tooltip("note_text:N", title=unit)])
    line = pd.DataFrame({"threshold": [threshold], "text": [threshold_label]})
    rule = alt.Chart(line).mark_rule(color=RULE, strokeDash=[6, 4], size=2).encode(
        x="threshold:Q")
    text = alt.Chart(line).mark_text(align="left", dx=4, dy=-6, color=RULE, baseline="bottom"
                                     ).encode(x="threshold:Q", y=alt.value(0), text="text:N")
    layers = [layer for layer in (chart, marks, rule, text) if layer is not None]
    return alt.LayerChart(layer=layers, title=chart_title(title, unit, subtitle)).properties(
        height=alt.Step(22))


@remembered
def traffic_lights(frame: pd.DataFrame, row: str, column: str, *, title: str,
                   subtitle: str = "") -> alt.LayerChart:
    """A table of coloured cells: ``status`` (on track / at risk / off track / unknown)
    as the colour, ``text`` (e.g. "84 %") written in the cell."""
    statuses = list(STATUS_COLOURS)
    frame = frame.assign(status_label=[dimension_label("logframe_status", s)
                                       for s in frame["status"]])
    base = alt.Chart(frame, title=chart_title(title, _("% of target achieved"), subtitle)).encode(
        x=alt.X(f"{column}:N", title=None, axis=alt.Axis(orient="top", labelAngle=0),
                sort=list(dict.fromkeys(frame[column]))),
        y=alt.Y(f"{row}:N", title=None, sort=list(dict.fromkeys(frame[row])),
                axis=alt.Axis(labelLimit=320)))
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color("status:N", title=None,
                        legend=bottom_legend("logframe_status", statuses),
                        scale=alt.Scale(domain=statuses,
                                        range=[STATUS_COLOURS[s] for s in statuses])),
        tooltip=[alt.Tooltip(f"{row}:N", title=_("Indicator")),
                 alt.Tooltip(f"{column}:N", title=_("Country")),
                 alt.Tooltip("text:N", title=_("Achieved")),
                 alt.Tooltip("status_label:N", title=_("Status"))])
    text = base.mark_text(color="white", fontWeight="bold").encode(text="text:N")
    return alt.LayerChart(layer=[cells, text]).properties(height=alt.Step(30),
                                                          width=alt.Step(110))
