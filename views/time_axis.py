"""THE time axis of every chart by period: every period of the filters, in date order,
zero where nothing happened, and "no data" after the data's date.
"""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd

from i18n import _
from metrics import periods
from metrics.filters import Filters
from views.format import dimension_label


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


def no_data_marks(data: pd.DataFrame, x: alt.X) -> alt.Chart | None:
    rows = data[data["axis_note"] != ""].drop_duplicates("period_label")
    if rows.empty:
        return None
    return alt.Chart(rows).mark_text(angle=270, align="left", dy=0, dx=0, color="#888888",
                                     fontSize=10).encode(
        x=x, y=alt.datum(0), text=alt.Text("axis_note:N"),
        tooltip=[alt.Tooltip("period_label:O", title=_("Period")),
                 alt.Tooltip("axis_note:N", title=_("Value"))])
