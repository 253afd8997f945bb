"""Progress against the logframe: each target next to its actual value and a traffic light.

Rules (domain.md, "Periods"):

- The actual is the indicator cumulated from the programme start (2015-01-01, or the
  filter's start if earlier) to the target's period end — or to the filter's end when the
  filter ends first — for the target's country (all countries in the viewer's scope when
  the target's country is blank). Rates are fractions, and targets on them are too.
- achieved = (actual − baseline) ÷ (target − baseline); a missing baseline is 0. Where
  target = baseline there is nothing to divide by: achieved is 100 % if actual ≥ target,
  else 0. Above the target it goes past 100 %. A target below its baseline (a figure that
  should fall, such as days to assistance) works the same way.
- The pro-rated target, for a filter that ends before the target's period end, is the
  straight line from the previous target of the same indicator and country (at its
  period end) — or from the baseline at the programme start — to this target at its
  period end, read at the filter's end. Days are counted from the end of the previous
  period (the programme starts at the end of 31 December 2014).
- Status compares the actual with the pro-rated target by the same formula: on track
  ≥ 90 %, at risk 60–90 %, off track < 60 %; "unknown" when the actual is hidden.
  ``due_achieved`` is that share, ``as_of`` the day the actual is cumulated to.

The comparison every page shows (``in_force``, ``comparison``): per indicator and country,
the target in force at the period end (the first ending on or after it, else the last),
its actual cumulated from the programme start to the period end (or the target's end if
earlier), against the target due then (pro-rated), as ``due_achieved`` and ``status``.
The KPI cards and the Targets page both read it, so they show the same actual, target and
percentage; a period's own figure is never set against a programme-to-date target.

Targets are read through the ORM, so a scoped viewer sees only their countries' targets
(never the programme-wide rows). A country filter shows that country's targets only.
A target is listed when its stretch (from the previous target's end) overlaps the filter.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.models import Target
from metrics import catalogue
from metrics.engine import compute
from metrics.filters import PROGRAMME_START, Filters

COLUMNS = ("indicator", "title", "country", "period_end", "baseline", "target",
           "prorated_target", "actual", "achieved", "status", "as_of", "due_achieved")
ON_TRACK, AT_RISK = 0.9, 0.6


@dataclass(frozen=True)
class Stretch:
    """The straight line a target is pro-rated along."""

    start: dt.date  # the day the line starts from (end of the previous stretch)
    start_value: float
    end: dt.date
    end_value: float

    def at(self, day: dt.date) -> float:
        if day >= self.end:
            return self.end_value
        if day <= self.start:
            return self.start_value
        share = (day - self.start).days / (self.end - self.start).days
        return self.start_value + (self.end_value - self.start_value) * share


def achievement(actual: float, baseline: float, target: float) -> float:
    """(actual − baseline) ÷ (target − baseline), or 1/0 when target = baseline."""
    if math.isnan(actual):
        return math.nan
    if target == baseline:
        return 1.0 if actual >= target else 0.0
    return (actual - baseline) / (target - baseline)


def status(share: float) -> str:
    if math.isnan(share):
        return "unknown"
    if share >= ON_TRACK:
        return "on track"
    return "at risk" if share >= AT_RISK else "off track"


def stretches(targets: list[Target]) -> dict[int, Stretch]:
    """Each target's stretch, from the previous target of its indicator and country."""
    result: dict[int, Stretch] = {}
    ordered = sorted(targets, key=lambda t: (t.indicator, t.country or "", t.period_end))
    previous: Target | None = None
    for t in ordered:
        same_line = (previous is not None and previous.indicator == t.indicator
                     and previous.country == t.country)
        if same_line and previous is not None:
            start, value = previous.period_end, previous.target
        else:
            start = PROGRAMME_START - dt.timedelta(days=1)
            value = t.baseline or 0.0
        result[t.id] = Stretch(start, value, t.period_end, t.target)
        previous = t
    return result


def _actual(code: str, session: Session, filters: Filters, country: str | None,
            end: dt.date) -> float:
    start = min(PROGRAMME_START, filters.start)
    countries = (country,) if country else filters.countries
    period = Filters(start, max(start, end), countries, filters.granularity)
    value = compute(code, session, period)["value"].iloc[0]
    return float(value) if pd.notna(value) else math.nan


def _row(session: Session, filters: Filters, t: Target, line: Stretch) -> dict[str, object]:
    baseline = t.baseline or 0.0
    end = min(filters.end, t.period_end)
    actual = _actual(t.indicator, session, filters, t.country, end)
    prorated = line.at(end)
    return {"indicator": t.indicator, "title": catalogue.get(t.indicator).title,
            "country": t.country, "period_end": t.period_end, "baseline": t.baseline,
            "target": t.target, "prorated_target": prorated, "actual": actual,
            "achieved": achievement(actual, baseline, t.target),
            "status": status(achievement(actual, baseline, prorated)),
            "as_of": end, "due_achieved": achievement(actual, baseline, prorated)}


def progress(session: Session, filters: Filters,
             codes: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per target whose stretch overlaps the filter period, in COLUMNS order;
    with ``codes``, only the targets of those indicators (stretches still come from every
    target, so each row is the same as in the whole logframe)."""
    targets = list(session.scalars(select(Target)))
    wanted = None if codes is None else {c.upper() for c in codes}
    lines = stretches(targets)
    rows = [_row(session, filters, t, lines[t.id]) for t in sorted(
        targets, key=lambda t: (t.indicator, t.country or "", t.period_end))
        if t.period_end >= filters.start and lines[t.id].start < filters.end
        and _wanted(t.country, filters) and t.indicator.upper() in catalogue.BY_CODE
        and (wanted is None or t.indicator.upper() in wanted)]
    return pd.DataFrame(rows, columns=list(COLUMNS))


def in_force(progress_rows: pd.DataFrame, end: dt.date) -> pd.DataFrame:
    """Per indicator and country, the row of the target in force at ``end`` (the filter's
    end): the first target ending on or after it, else the last one."""
    if progress_rows.empty:
        return progress_rows.reset_index(drop=True)
    rows = progress_rows.assign(_open=pd.to_datetime(progress_rows["period_end"]).dt.date
                                >= end)
    picked = [group.sort_values("period_end").loc[lambda g: g["_open"]].head(1)
              if group["_open"].any() else group.sort_values("period_end").tail(1)
              for _key, group in rows.groupby(["indicator", "country"], dropna=False)]
    return pd.concat(picked).drop(columns="_open").reset_index(drop=True)


def comparison(progress_rows: pd.DataFrame, code: str, countries: Sequence[str],
               end: dt.date) -> pd.Series | None:
    """The in-force target row of ``code`` for a card: the programme-wide target with no
    country chosen, that country's with one; None where there is no such target (or with
    several countries chosen, which no single target covers)."""
    if progress_rows is None or progress_rows.empty or len(countries) > 1:
        return None
    rows = progress_rows[progress_rows["indicator"] == code.upper()]
    rows = (rows[rows["country"] == countries[0]] if countries
            else rows[rows["country"].isna()])
    now = in_force(rows, end)
    return None if now.empty else now.iloc[0]


def target_points(progress_rows: pd.DataFrame | None, code: str, countries: Sequence[str],
                  start: dt.date, end: dt.date) -> pd.DataFrame | None:
    """The targets of ``code`` to draw on a cumulative chart of [start, end]: each target
    whose end lies in the period, and the target due at the period end (pro-rated, the
    one the cards compare with), summed over the chosen countries' targets (the
    programme-wide ones with no country chosen). Columns period_start (the date), value;
    None when there is none."""
    if progress_rows is None or progress_rows.empty:
        return None
    rows = progress_rows[progress_rows["indicator"] == code.upper()]
    rows = (rows[rows["country"].isin(countries)] if countries
            else rows[rows["country"].isna()])
    if rows.empty:
        return None
    ends = pd.to_datetime(rows["period_end"]).dt.date
    inside = rows[(ends >= start) & (ends < end)]
    points = [(day, value) for day, value in zip(inside["period_end"], inside["target"],
                                                 strict=True)]
    now = in_force(rows, end)
    points += [(day, value) for day, value in zip(now["as_of"], now["prorated_target"],
                                                  strict=True)]
    frame = pd.DataFrame(points, columns=["period_start", "value"])
    return frame.groupby("period_start", as_index=False)["value"].sum()


def _wanted(country: str | None, filters: Filters) -> bool:
    if not filters.countries:
        return True
    return country is not None and country in filters.countries
