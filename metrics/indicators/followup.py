"""FUP-1 … FUP-4: follow-up coverage, business survival, jobs and reintegration scores.

Definition choices shared by this module:

- "6 months" is 182 days and "12 months" 365 days (``metrics.dates``), the same on every
  backend; a visit on day 182 after the first delivery counts.
- The delivery a follow-up is measured from is the beneficiary's first delivered
  assistance (with a sector/modality/kind breakdown, their first delivery in that group).
- "Latest visit" is the beneficiary's latest visit *within the period* that recorded the
  measure in question (business operating, jobs created, all three scores): a visit that
  did not record it neither hides nor replaces an earlier answer. With a ``period``
  breakdown it is the latest visit within each period.
- FUP-2 and FUP-3 are about the businesses that assistance set up, so they count assisted
  beneficiaries only (at least one delivered assistance); FUP-4 counts every beneficiary
  with a scored visit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import Integer, and_, case, exists, func, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from analytics import cubes as analytics_cubes
from analytics.shapes import (
    DISTINCT_IN_RANGE,
    LATEST_IN_RANGE,
    UP_TO_END,
    Cube,
    Rows,
    next_event,
    previous_event,
)
from analytics.sql import (
    GROUPS,
    NO_NEXT,
    NO_PREVIOUS,
    Build,
    T,
    days_between_sql,
    month_of,
    month_plus_days,
)
from data_access import followups
from data_access.models import Beneficiary, FollowUp
from data_access.settings import load_settings
from metrics import fast, periods
from metrics.dates import SIX_MONTHS, TWELVE_MONTHS, days_between
from metrics.engine import (
    beneficiary_dims,
    country_filter,
    frame,
    in_period,
    indicator,
    key_sum,
    per_period,
    ratio,
)
from metrics.filters import Filters
from metrics.indicators.beneficiaries import ASSISTANCE_BREAKDOWNS, first_delivery

# --- cubes ------------------------------------------------------------------------------
# FUP-1's due list (first delivery + 182 days, case not closed: data_access.followups) by
# the month it falls due; its covered visits (at least 182 days after) linked to the
# previous one. FUP-2/3/4: the visits that recorded the measure, linked to the next such
# visit (the latest in a range is the one whose next is after it).


def _due_rows(build: Build, variant: str) -> Rows:
    due = build.not_closed(build.first_deliveries())
    return Rows(build.joined(due),
                month=month_plus_days(due.c.fd, literal(followups.DUE_DAYS, Integer)))


DUE = Cube("followup_due", UP_TO_END, _due_rows,
           about="returnees due a follow-up, by the month it falls due")


def _covered_rows(build: Build, variant: str) -> Rows:
    fu, due = T["follow_up"], build.not_closed(build.first_deliveries())
    events = (select(fu.c.beneficiary_id.label("bid"), fu.c.visit_date.label("day"),
                     previous_event(fu.c.visit_date, [fu.c.beneficiary_id],
                                    [fu.c.visit_date]).label("prev"))
              .select_from(fu.join(due, due.c.bid == fu.c.beneficiary_id))
              .where(days_between_sql(due.c.fd, fu.c.visit_date) >= followups.DUE_DAYS,
                     build.mine(fu.c.beneficiary_id)).subquery("e"))
    return Rows(build.joined(events), month=month_of(events.c.day),
                link=func.coalesce(month_of(events.c.prev), NO_PREVIOUS))


COVERED = Cube("followup_covered", DISTINCT_IN_RANGE, _covered_rows,
               about="visits at least 182 days after the first delivery, of cases not "
                     "closed")


def _visits(build: Build, variant: str, conditions: list[Any], measures: list[Any]) -> Rows:
    """Visits of assisted returnees (joined to their first delivery in the group) that
    match ``conditions``, each with its next such visit's month as ``link``."""
    fu, fd = T["follow_up"], build.first_deliveries(variant)
    keys = [fd.c[d] for d in GROUPS[variant]]
    events = (select(fu.c.beneficiary_id.label("bid"), *keys, fu.c.visit_date.label("day"),
                     *measures,
                     next_event(fu.c.visit_date, [fu.c.beneficiary_id, *keys],
                                [fu.c.visit_date]).label("next"))
              .select_from(fu.join(fd, fd.c.bid == fu.c.beneficiary_id))
              .where(*conditions, build.mine(fu.c.beneficiary_id)).subquery("e"))
    return Rows(build.joined(events), month=month_of(events.c.day),
                items={d: events.c[d] for d in GROUPS[variant]},
                link=func.coalesce(month_of(events.c.next), NO_NEXT),
                sums=tuple(events.c[m.name] for m in measures))


def _business_rows(build: Build, variant: str) -> Rows:
    """Visits that recorded whether the business operates, at least 182 days after the
    first delivery. Those at least 365 days after are a suffix of the same chain, so their
    next visit is the same: one cube for FUP-2 and FUP-2-12M."""
    fu, fd = T["follow_up"], build.first_deliveries(variant)
    gap = days_between_sql(fd.c.fd, fu.c.visit_date)
    operating = case((fu.c.business_operating.is_(True), 1), else_=0)
    late = case((gap >= followups.TWELVE_MONTH_DAYS, 1), else_=0)
    return _visits(build, variant,
                   [fu.c.business_operating.is_not(None), gap >= followups.DUE_DAYS],
                   [operating.label("m1"), late.label("m2"), (operating * late).label("m3")])


BUSINESS_VISITS = Cube("business_visits", LATEST_IN_RANGE, _business_rows,
                       variants=("", "sector", "modality"),
                       measures=("operating", "late", "late_operating"),
                       counts=("operating", "late", "late_operating"),
                       about="visits recording whether the business operates")


def _job_rows(build: Build, variant: str) -> Rows:
    fu = T["follow_up"]
    return _visits(build, variant, [fu.c.jobs_created.is_not(None)],
                   [fu.c.jobs_created.label("m1")])


JOB_VISITS = Cube("job_visits", LATEST_IN_RANGE, _job_rows, variants=("", "sector"),
                  measures=("jobs",), about="visits of assisted returnees recording jobs")


def _score_rows(build: Build, variant: str) -> Rows:
    """Visits with all three scores; ``sustainable``: whether the composite reaches the
    threshold, with the weights and threshold of this build."""
    fu = T["follow_up"]
    weights, threshold = build.weights, build.threshold
    total = float(sum(weights))
    weighted = (weights[0] * fu.c.score_economic + weights[1] * fu.c.score_social
                + weights[2] * fu.c.score_psychosocial)
    events = (select(fu.c.beneficiary_id.label("bid"), fu.c.visit_date.label("day"),
                     fu.c.score_economic.label("e"), fu.c.score_social.label("s"),
                     fu.c.score_psychosocial.label("p"),
                     case((weighted >= threshold * total, 1), else_=0).label("ok"),
                     next_event(fu.c.visit_date, [fu.c.beneficiary_id],
                                [fu.c.visit_date]).label("next"))
              .where(fu.c.score_economic.is_not(None), fu.c.score_social.is_not(None),
                     fu.c.score_psychosocial.is_not(None), build.mine(fu.c.beneficiary_id))
              .subquery("e"))
    return Rows(build.joined(events), month=month_of(events.c.day),
                link=func.coalesce(month_of(events.c.next), NO_NEXT),
                sums=(events.c.e, events.c.s, events.c.p, events.c.ok))


SCORE_VISITS = Cube("score_visits", LATEST_IN_RANGE, _score_rows,
                    measures=("economic", "social", "psychosocial", "sustainable"),
                    counts=("sustainable",), about="visits with all three scores")


def _coverage_cells(session: Session, f: Filters, by: tuple[str, ...]
                    ) -> pd.DataFrame | None:
    """Due: first delivery + 182 days falls in a month up to the period's last month."""
    due = fast.cells(session, DUE, f, by, {"denominator": fast.measure(DUE),
                                           "denominator_key": fast.key_of(DUE)})
    covered = fast.cells(session, COVERED, f, by, {"numerator": fast.measure(COVERED),
                                                   "numerator_key": fast.key_of(COVERED)})
    if due is None or covered is None:
        return None
    keys = fast.keys(by)
    result = (due.merge(covered, on=keys, how="left") if keys
              else pd.concat([due, covered], axis=1))
    result["numerator"] = pd.to_numeric(result["numerator"]).fillna(0).astype(int)
    result = result[pd.to_numeric(result["denominator"]) > 0].reset_index(drop=True)
    result = fast.key_ints(result[[*keys, "numerator", "denominator", "numerator_key",
                                   "denominator_key"]])
    result["value"] = ratio(result["numerator"], result["denominator"])
    return result


def _scores_cells(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame | None:
    """FUP-4 from the cubes, only when they were built with today's weights and threshold."""
    weights, threshold = analytics_cubes.current_settings()
    if analytics_cubes.is_fresh(session) != analytics_cubes.settings_key(weights, threshold):
        return None
    cube = SCORE_VISITS
    frame = fast.cells(session, cube, f, by, {
        "n": fast.measure(cube), "e": fast.raw_sum(cube, "economic"),
        "s": fast.raw_sum(cube, "social"), "p": fast.raw_sum(cube, "psychosocial"),
        "ok": fast.raw_sum(cube, "sustainable"), "nk": fast.key_of(cube),
        "okk": fast.key_of(cube, "sustainable")})
    if frame is None:
        return None
    frame = fast.drop_zero(frame, by, "n")
    n = pd.to_numeric(frame["n"]).astype(float)
    n = n.where(n > 0)
    e, s, p = (pd.to_numeric(frame[c]).astype(float) for c in ("e", "s", "p"))
    total = float(sum(weights))
    out = frame[fast.keys(by)].copy()
    out["value"] = (weights[0] * e + weights[1] * s + weights[2] * p) / n / total
    out["economic"] = e / n
    out["social"] = s / n
    out["psychosocial"] = p / n
    out["sustainable_share"] = pd.to_numeric(frame["ok"]).astype(float) / n
    out["beneficiaries"] = frame["n"].astype(int)
    out["beneficiaries_key"] = frame["nk"]
    out["sustainable_key"] = frame["okk"]  # the key behind the sustainable count
    return round_means(fast.key_ints(out))


# Any: SQL expressions and statements of whatever column types the measures have.
def latest_visit_select(f: Filters, by: tuple[str, ...], *measures: Any,
                        recorded: ColumnElement[bool], assisted: bool = True,
                        min_gap: dt.timedelta | None = None) -> Select[Any]:
    """SELECT breakdowns, measures over each beneficiary's latest visit in the period.

    The latest visit is a grouped ``MAX(visit_date)`` per beneficiary (and per period and
    assistance group when broken down), joined back to ``follow_up`` on the unique
    (beneficiary, visit date). ``recorded`` says which visits count; ``min_gap`` keeps only
    visits at least that long after the first delivery; ``assisted`` joins the first
    delivery (and so keeps assisted beneficiaries only). ``measures`` may use ``FollowUp``
    (the latest visit) and ``Beneficiary``.
    """
    # The subquery and the outer query each have their own FROM follow_up: a subquery in
    # FROM is never correlated, so ``recorded`` and ``measures`` can both name FollowUp.
    visit, ben = FollowUp, Beneficiary
    group: list[ColumnElement[Any]] = [visit.beneficiary_id.label("beneficiary_id")]
    inner = select().select_from(visit)
    conditions = [in_period(visit.visit_date, f), recorded]
    if assisted:
        first = first_delivery(by)
        inner = inner.join(first, first.c.beneficiary_id == visit.beneficiary_id)
        group += [first.c[d].label(d) for d in by if d in ASSISTANCE_BREAKDOWNS]
        if min_gap is not None:
            conditions.append(days_between(first.c.first_delivery, visit.visit_date)
                              >= min_gap.days)
    if "period" in by:
        group.append(periods.period_key(visit.visit_date, f.granularity).label("period_key"))
    latest = (inner.add_columns(*group, func.max(visit.visit_date).label("visit_date"))
              .where(*conditions).group_by(*group).subquery("latest"))
    stmt = (select().select_from(ben).join(latest, latest.c.beneficiary_id == ben.id)
            .join(FollowUp, and_(FollowUp.beneficiary_id == latest.c.beneficiary_id,
                                 FollowUp.visit_date == latest.c.visit_date)))
    extra: dict[str, ColumnElement[Any]] = {d: latest.c[d] for d in by
                                             if d in ASSISTANCE_BREAKDOWNS}
    stmt, dims = beneficiary_dims(stmt, by, ben, date=FollowUp.visit_date, filters=f,
                                  extra=extra)
    return stmt.add_columns(*dims, *measures).where(*country_filter(ben, f)).group_by(*dims)


def _coverage(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    ben, first = Beneficiary, first_delivery(by)
    # The due list and "met" are the one follow-up rule (data_access.followups), shared
    # with the Caseload and Data quality; covered: met by a visit within the period.
    visited = exists().where(
        FollowUp.beneficiary_id == ben.id, in_period(FollowUp.visit_date, f),
        followups.meets(first.c.first_delivery, FollowUp.visit_date))
    stmt = select().select_from(ben).join(first, first.c.beneficiary_id == ben.id)
    stmt, dims = beneficiary_dims(stmt, by, ben, date=first.c.first_delivery, filters=f)
    stmt = (stmt.add_columns(
        *dims, func.count(func.distinct(ben.id)).filter(visited).label("numerator"),
        func.count(func.distinct(ben.id)).label("denominator"),
        # One row per due beneficiary and group: each key once.
        key_sum(ben.record_key, visited).label("numerator_key"),
        key_sum(ben.record_key).label("denominator_key"))
        .where(followups.is_due_by(first.c.first_delivery, f.end),
               followups.not_closed(ben.status), *country_filter(ben, f))
        .group_by(*dims))
    result = frame(session, stmt)
    result = result[result["denominator"] > 0].reset_index(drop=True)
    result["value"] = ratio(result["numerator"], result["denominator"])
    return result


@indicator("FUP-1", cubes=[DUE, COVERED], fast=fast.each_period(_coverage_cells))
def fup_1(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    """Due (the follow-up rule, ``data_access.followups``): beneficiaries whose first
    delivery is on or before (period end − 182 days), however long before, and whose case
    is not closed. Covered: those of them with a visit dated within the period and
    at least 182 days after that delivery. By period, each period has its own due list,
    so the query runs once per period. Periods with nobody due have no row."""
    return per_period(_coverage, session, f, by)


def _survival(session: Session, f: Filters, by: tuple[str, ...],
              gap: dt.timedelta) -> pd.DataFrame:
    stmt = latest_visit_select(
        f, by,
        func.count(func.distinct(Beneficiary.id))
        .filter(FollowUp.business_operating.is_(True)).label("numerator"),
        func.count(func.distinct(Beneficiary.id)).label("denominator"),
        # One latest visit per beneficiary and group: each key once.
        key_sum(Beneficiary.record_key, FollowUp.business_operating.is_(True))
        .label("numerator_key"),
        key_sum(Beneficiary.record_key).label("denominator_key"),
        recorded=FollowUp.business_operating.is_not(None), min_gap=gap)
    result = frame(session, stmt)
    result["value"] = ratio(result["numerator"], result["denominator"])
    return result


@indicator("FUP-2", cubes=[BUSINESS_VISITS], fast=fast.share(BUSINESS_VISITS, "operating"))
def fup_2(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    """Denominator: assisted beneficiaries with a visit in the period at least 182 days
    after their first delivery that recorded whether the business operates. Numerator:
    those whose latest such visit found it operating."""
    return _survival(session, f, by, SIX_MONTHS)


@indicator("FUP-2-12M", cubes=[BUSINESS_VISITS],
           fast=fast.share(BUSINESS_VISITS, "late_operating", "late"))
def fup_2_12m(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    """FUP-2 at 12 months (365 days). A code of its own rather than extra columns of
    FUP-2, so that disclosure control sees its own numerator and denominator."""
    return _survival(session, f, by, TWELVE_MONTHS)


@indicator("FUP-3", cubes=[JOB_VISITS], fast=fast.total(JOB_VISITS, "jobs"))
def fup_3(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    """Sum of ``jobs_created`` at each assisted beneficiary's latest visit in the period
    that recorded it (jobs the visit found, the returnee's own included)."""
    return frame(session, latest_visit_select(
        f, by, func.coalesce(func.sum(FollowUp.jobs_created), 0).label("value"),
        # The jobs of a cell are those of its beneficiaries: their keys, once each.
        key_sum(Beneficiary.record_key).label("value_key"),
        recorded=FollowUp.jobs_created.is_not(None)))


@indicator("FUP-4", cubes=[SCORE_VISITS], fast=_scores_cells)
def fup_4(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    """Means over each beneficiary's latest visit in the period with all three scores.

    ``value`` is the mean composite = (w₁·economic + w₂·social + w₃·psychosocial) ÷ Σw
    with SCORE_WEIGHTS; ``sustainable_share`` is the share whose composite is at or above
    SUSTAINABILITY_THRESHOLD, compared as Σw·score ≥ threshold·Σw so that a composite
    exactly on the threshold is not lost to rounding.
    """
    settings = load_settings()
    weights, threshold = settings.score_weights, settings.sustainability_threshold
    fu = FollowUp
    weighted = (weights[0] * fu.score_economic + weights[1] * fu.score_social
                + weights[2] * fu.score_psychosocial)
    total = float(sum(weights))
    stmt = latest_visit_select(
        f, by,
        (func.avg(weighted) / total).label("value"),
        func.avg(fu.score_economic).label("economic"),
        func.avg(fu.score_social).label("social"),
        func.avg(fu.score_psychosocial).label("psychosocial"),
        func.avg(case((weighted >= threshold * total, 1.0), else_=0.0))
        .label("sustainable_share"),
        func.count(func.distinct(Beneficiary.id)).label("beneficiaries"),
        key_sum(Beneficiary.record_key).label("beneficiaries_key"),
        # the key behind the count of sustainable ones (their share × beneficiaries)
        key_sum(Beneficiary.record_key, weighted >= threshold * total)
        .label("sustainable_key"),
        recorded=and_(fu.score_economic.is_not(None), fu.score_social.is_not(None),
                      fu.score_psychosocial.is_not(None)),
        assisted=False)
    return round_means(frame(session, stmt))


MEAN_COLUMNS = ("value", "economic", "social", "psychosocial", "sustainable_share")


def round_means(result: pd.DataFrame) -> pd.DataFrame:
    """Means to 10 decimals: a mean summed in another order (the analytics tables) differs
    only in the last bits, and must print and export the same."""
    for column in MEAN_COLUMNS:
        if column in result:
            result[column] = pd.to_numeric(result[column]).astype(float).round(10)
    return result
