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
The KPI cards, the donor report and the Targets page all read it, so they show the same
actual, target and percentage; a period's own figure is never set against a
programme-to-date target. Which targets apply to a figure (``applicable``): the
programme-wide one with no country chosen, that country's with one, and with several the
sum of theirs when every one has one and the figure adds up across countries.

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
from metrics.filters import Filters, programme_start

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
            start = programme_start() - dt.timedelta(days=1)
            value = t.baseline or 0.0
        result[t.id] = Stretch(start, value, t.period_end, t.target)
        previous = t
    return result


def _actual(code: str, session: Session, filters: Filters, country: str | None,
            end: dt.date) -> float:
    start = min(programme_start(), filters.start)
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


# Unit kinds whose figure for several countries is the sum of the countries' figures:
# every beneficiary, cooperative, institution and activity belongs to one country, and
# amounts add up. Rates, means, days and scores do not (nor do their targets).
SUMMABLE = frozenset({"count", "money"})


def applicable(progress_rows: pd.DataFrame | None, code: str,
               countries: Sequence[str]) -> pd.DataFrame:
    """The rows of the targets that apply to a figure of ``code`` for ``countries`` (the
    one rule the cards, the donor report and the cumulative charts follow):

    - no country chosen: the programme-wide targets (blank country);
    - one country: that country's targets;
    - several: every chosen country's targets, when every one of them has one and the
      indicator adds up across countries (``SUMMABLE``); none otherwise, since a target
      covering only some of the chosen countries set against all of their figure would
      mislead (and a sum of rate targets means nothing).

    Empty where none applies."""
    if progress_rows is None or progress_rows.empty or "indicator" not in progress_rows:
        return pd.DataFrame(columns=list(COLUMNS))
    rows = progress_rows[progress_rows["indicator"] == code.upper()]
    if not countries:
        return rows[rows["country"].isna()]
    rows = rows[rows["country"].isin(countries)]
    if len(countries) > 1 and (
            code.upper() not in catalogue.BY_CODE
            or catalogue.get(code).kind not in SUMMABLE
            or set(rows["country"]) != set(countries)):
        return rows.iloc[0:0]
    return rows


def comparison(progress_rows: pd.DataFrame | None, code: str, countries: Sequence[str],
               end: dt.date) -> pd.Series | None:
    """The one comparison a figure of ``code`` for ``countries`` is given (a KPI card's
    target line, a donor report's headline figure): the in-force row (``in_force``) of the
    target that applies (``applicable``); with several countries, one row summing theirs
    (baseline, target, target due, actual; the shares and status recomputed from the
    sums), provided they are all read at the same day. None where no target applies or
    where the actual is hidden (nothing to set the target against)."""
    now = in_force(applicable(progress_rows, code, countries), end)
    if now.empty:
        return None
    if len(now) == 1:
        row = now.iloc[0]
    elif now["as_of"].nunique() != 1:
        return None
    else:
        baseline = float(now["baseline"].fillna(0).sum())
        target, prorated = float(now["target"].sum()), float(now["prorated_target"].sum())
        actual = float(now["actual"].sum(skipna=False))
        row = pd.Series({
            "indicator": now["indicator"].iloc[0], "title": now["title"].iloc[0],
            "country": None, "period_end": max(now["period_end"]), "baseline": baseline,
            "target": target, "prorated_target": prorated, "actual": actual,
            "achieved": achievement(actual, baseline, target),
            "status": status(achievement(actual, baseline, prorated)),
            "as_of": now["as_of"].iloc[0],
            "due_achieved": achievement(actual, baseline, prorated)})[list(COLUMNS)]
    return None if pd.isna(row["due_achieved"]) else row


def target_points(progress_rows: pd.DataFrame | None, code: str, countries: Sequence[str],
                  start: dt.date, end: dt.date) -> pd.DataFrame | None:
    """The targets of ``code`` to draw on a cumulative chart of [start, end]: each target
    whose end lies in the period, and the target due at the period end (pro-rated, the
    one the cards compare with), of the targets that apply (``applicable``: summed over
    the chosen countries when several are chosen). Columns period_start (the date),
    value; None when there is none."""
    rows = applicable(progress_rows, code, countries)
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
