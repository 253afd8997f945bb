"""Altair chart builders: every chart has a title with its unit and fixed colours.

The same builders serve the pages and the exports (PNG/SVG/PPTX through vl-convert), so a
chart looks the same everywhere. Hidden (suppressed) values are left out of the marks and
the tooltip says so in the table below the chart.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from ui.format import dimension_label
from ui.palette import scale_for


def _labelled(frame: pd.DataFrame, field: str) -> pd.DataFrame:
    frame = frame.copy()
    frame[f"{field}_label"] = [dimension_label(field, v) for v in frame[field]]
    return frame


def _title(title: str, unit: str, subtitle: str = "") -> alt.TitleParams:
    if subtitle:
        return alt.TitleParams(f"{title} ({unit})", subtitle=subtitle, anchor="start")
    return alt.TitleParams(f"{title} ({unit})", anchor="start")


def bars(frame: pd.DataFrame, field: str, *, title: str, unit: str, colour: bool = True,
         horizontal: bool = True, value_format: str = ",.0f", subtitle: str = "",
         sort_by_value: bool = True) -> alt.Chart:
    """One bar per value of ``field``."""
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
        tooltip=[alt.Tooltip(f"{field}_label:N", title=field.replace("_", " ").capitalize()),
                 alt.Tooltip("value:Q", title=unit, format=value_format)],
    )
    if colour:
        values = list(data[field].astype(str))
        chart = chart.encode(color=alt.Color(f"{field}:N", legend=None,
                                             scale=scale_for(field, sorted(set(values)))))
    return chart.properties(height=alt.Step(22) if horizontal else 300)


def stacked_periods(frame: pd.DataFrame, field: str, *, title: str, unit: str,
                    subtitle: str = "") -> alt.Chart:
    """Values per period, stacked by ``field`` (e.g. country)."""
    data = _labelled(frame.dropna(subset=["value"]), field)
    values = sorted(set(data[field].astype(str)))
    legend_labels = {v: dimension_label(field, v) for v in values}
    expr = " : ".join(f"datum.label == '{k}' ? '{v}'" for k, v in legend_labels.items())
    legend = alt.Legend(title=None, orient="bottom",
                        labelExpr=f"{expr} : datum.label" if expr else None)
    return alt.Chart(data, title=_title(title, unit, subtitle)).mark_bar().encode(
        x=alt.X("period:O", title=None, sort=list(dict.fromkeys(data["period"]))),
        y=alt.Y("value:Q", title=unit, stack=True, axis=alt.Axis(format=",.0f")),
        color=alt.Color(f"{field}:N", scale=scale_for(field, values), legend=legend),
        tooltip=[alt.Tooltip("period:O", title="Period"),
                 alt.Tooltip(f"{field}_label:N", title=field.capitalize()),
                 alt.Tooltip("value:Q", title=unit, format=",.0f")],
    ).properties(height=300)


def cumulative_line(frame: pd.DataFrame, *, title: str, unit: str,
                    targets: pd.DataFrame | None = None, subtitle: str = "") -> alt.Chart:
    """A cumulative series over periods, with target points/line when given."""
    data = frame.dropna(subset=["value"]).assign(series="Actual")
    layers = [alt.Chart(data).mark_line(point=True).encode(
        x=alt.X("period_start:T", title=None),
        y=alt.Y("value:Q", title=unit, axis=alt.Axis(format=",.0f")),
        color=alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=["Actual", "Target"],
                                        range=["#1f4e79", "#c0392b"])),
        tooltip=[alt.Tooltip("period:N", title="Period"),
                 alt.Tooltip("value:Q", title=unit, format=",.0f")])]
    if targets is not None and not targets.empty:
        tdata = targets.assign(series="Target")
        layers.append(alt.Chart(tdata).mark_line(strokeDash=[6, 4], point=True).encode(
            x="period_start:T", y="value:Q", color="series:N",
            tooltip=[alt.Tooltip("period_start:T", title="Date"),
                     alt.Tooltip("value:Q", title=f"Target ({unit})", format=",.0f")]))
    return alt.layer(*layers, title=_title(title, unit, subtitle)).properties(height=300)
