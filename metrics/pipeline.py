"""The case pipeline: registered → counselled → plan approved → assisted → monitored.

Not an indicator of domain.md: a funnel of the returnees *registered in the period* (in the
chosen countries), with how many reached each step by the end of the period, the share of
the previous step that moved on, and the median days the step took.

Definition choices:

- A step is reached when its date is recorded on or before the period end (counselling and
  plan approval: the beneficiary's ``counselled_date`` / ``plan_approved_date``; assisted:
  the first delivered assistance, as BEN-2; monitored: the first follow-up visit). Where the
  date of counselling or plan approval was never recorded (the import template has no such
  column), a case status at or beyond that step counts as reaching it.
- Reaching a later step implies the earlier ones, so the funnel never widens.
- Days at a step run from the latest earlier step with a recorded date to the step's own
  date. The median comes from a histogram grouped in SQL (SQLite has no median).
- Counts pass through ``data_access.disclosure`` as counts (rounded for donors); for donors
  the share moved on is the protected count ÷ the protected previous count (hidden when
  that is below the threshold or the count is hidden); median days are days on the
  (protected) number of returnees behind them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import Date, Select, SQLColumnExpression, case, cast, func, literal, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from data_access import disclosure
from data_access.models import Beneficiary, FollowUp
from data_access.vocab import STATUS_AT_LEAST
from metrics.dates import days_between
from metrics.engine import country_filter, frame, in_period
from metrics.filters import Filters
from metrics.indicators.beneficiaries import first_delivery
from metrics.indicators.timing import median_of_histogram

KEY = "_key"  # a count's key sum is its column + KEY (metrics.engine.KEY_SUFFIX)
STEPS = ("registered", "counselled", "plan_approved", "assisted", "monitored")
STEP_LABELS = {"registered": "Registered", "counselled": "Counselled",
               "plan_approved": "Plan approved", "assisted": "Assisted",
               "monitored": "Monitored"}
# Case statuses that imply a step was reached when its own date is missing: the one copy.
_STATUS_AT_LEAST = {step.value: statuses for step, statuses in STATUS_AT_LEAST.items()}


def disclose(result: pd.DataFrame, session: Session, kind: str,
             by: tuple[str, ...] = (), name: str = "") -> pd.DataFrame:
    """Disclosure control with the session's scope (a no-op for unrestricted viewers)."""
    return disclosure.apply(result, session.info["scope"], kind, by, name=name or kind)


Dates = dict[str, SQLColumnExpression[dt.date | None]]


# Any: the FROM clause selects no column of its own yet (select().select_from(...)).
def _step_dates(f: Filters) -> tuple[Select[*tuple[Any, ...]], Dates]:
    """The cohort's FROM clause and, per step, its date (NULL when not reached by the end)."""
    ben = Beneficiary
    first = first_delivery(())
    visits = (select(FollowUp.beneficiary_id.label("beneficiary_id"),
                     func.min(FollowUp.visit_date).label("first_visit"))
              .group_by(FollowUp.beneficiary_id).subquery("first_visit"))
    source = (select().select_from(ben)
              .outerjoin(first, first.c.beneficiary_id == ben.id)
              .outerjoin(visits, visits.c.beneficiary_id == ben.id))

    def by_end(column: SQLColumnExpression[dt.date | None]) -> ColumnElement[dt.date | None]:
        return case((column <= f.end, column), else_=cast(literal(None), Date))

    dates: Dates = {"registered": ben.registration_date,
             "counselled": by_end(ben.counselled_date),
             "plan_approved": by_end(ben.plan_approved_date),
             "assisted": by_end(first.c.first_delivery),
             "monitored": by_end(visits.c.first_visit)}
    return source, dates


def _reached(step: str, dates: Dates) -> ColumnElement[bool]:
    """Reached ``step``: its own date, a status beyond it, or any later step reached."""
    evidence: list[ColumnElement[bool]] = []
    for later in STEPS[STEPS.index(step):]:
        evidence.append(dates[later].is_not(None))
        if later in _STATUS_AT_LEAST:
            evidence.append(Beneficiary.status.in_(_STATUS_AT_LEAST[later]))
    return or_(*evidence)


def funnel(session: Session, f: Filters) -> pd.DataFrame:
    """One row per step: step, label, value (returnees), share (of the previous step),
    median_days and beneficiaries (how many the median stands on)."""
    from metrics import fast_figures

    parts = fast_figures.funnel(session, f) or _funnel_parts(session, f)
    counts, histograms = parts
    rows = []
    for index, step in enumerate(STEPS):
        median, behind, behind_key = float("nan"), 0, 0
        if index:
            histogram = histograms[step]
            median = median_of_histogram(histogram["days"], histogram["n"])
            behind = int(histogram["n"].sum())
            behind_key = int(pd.to_numeric(histogram["k"]).sum())
        rows.append({"step": step, "label": STEP_LABELS[step], "value": counts[step],
                     "value_key": int(counts[step + KEY]), "median_days": median,
                     "beneficiaries": behind, "beneficiaries_key": behind_key})
    result = pd.DataFrame(rows)
    previous_count = result["value"].shift(1)
    result["share"] = result["value"] / previous_count.where(previous_count > 0)
    return _disclose_funnel(result, session, previous_count)


def _funnel_parts(session: Session, f: Filters
                  ) -> tuple[dict[str, int], dict[str, pd.DataFrame]]:
    """From the case tables: per step, returnees reached by the end and the histogram
    (days, n) of the days the step took."""
    source, dates = _step_dates(f)
    cohort = [in_period(Beneficiary.registration_date, f), *country_filter(Beneficiary, f)]
    key = Beneficiary.record_key
    row = session.execute(source.add_columns(*[
        func.coalesce(func.sum(case((_reached(step, dates), 1), else_=0)), 0).label(step)
        for step in STEPS], *[
        func.coalesce(func.sum(case((_reached(step, dates), key), else_=0)), 0)
        .label(step + KEY) for step in STEPS]).where(*cohort)).one()
    counts = {name: int(row[index] or 0)
              for index, name in enumerate([*STEPS, *[s + KEY for s in STEPS]])}
    histograms = {}
    for index, step in enumerate(STEPS[1:], start=1):
        earlier = [dates[s] for s in reversed(STEPS[:index])]
        previous = func.coalesce(*earlier) if len(earlier) > 1 else earlier[0]
        days = days_between(previous, dates[step]).label("days")
        histograms[step] = frame(session, source.add_columns(
            days, func.count().label("n"), func.coalesce(func.sum(key), 0).label("k"))
            .where(*cohort, dates[step].is_not(None)).group_by(days))
    return counts, histograms


def _disclose_funnel(result: pd.DataFrame, session: Session,
                     previous_count: pd.Series) -> pd.DataFrame:
    """Counts protected as counts; each share from the protected counts (shown when the
    protected previous step reaches the threshold and this step is shown); median days
    only when the protected number behind them does."""
    keys = [c for c in ("value_key",) if c in result.columns]
    counts = disclose(result[["step", "value", *keys]], session, "count", ("step",))
    behind = [c for c in ("beneficiaries", "beneficiaries_key") if c in result.columns]
    days = disclose(result[["step", "median_days", *behind]].rename(
        columns={"median_days": "value"}), session, "days", ("step",))
    out = result[["step", "label"]].copy()
    out["value"] = counts["value"]
    out["value_note"] = counts["value_note"]
    if session.info["scope"].aggregates_only:
        threshold = session.info["scope"].suppression_threshold
        previous = counts["value"].shift(1)
        ok = (previous >= threshold) & counts["value"].notna()
        out["share"] = (counts["value"] / previous.where(ok)).astype(float)
    else:
        out["share"] = result["share"]
    out.loc[0, "share"] = float("nan")
    out["median_days"] = days["value"]
    out["beneficiaries"] = days["beneficiaries"]
    return out
