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
from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from data_access import followups
from data_access.models import Beneficiary, FollowUp
from data_access.settings import load_settings
from metrics import periods
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


@indicator("FUP-1")
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


@indicator("FUP-2")
def fup_2(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    """Denominator: assisted beneficiaries with a visit in the period at least 182 days
    after their first delivery that recorded whether the business operates. Numerator:
    those whose latest such visit found it operating."""
    return _survival(session, f, by, SIX_MONTHS)


@indicator("FUP-2-12M")
def fup_2_12m(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    """FUP-2 at 12 months (365 days). A code of its own rather than extra columns of
    FUP-2, so that disclosure control sees its own numerator and denominator."""
    return _survival(session, f, by, TWELVE_MONTHS)


@indicator("FUP-3")
def fup_3(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    """Sum of ``jobs_created`` at each assisted beneficiary's latest visit in the period
    that recorded it (jobs the visit found, the returnee's own included)."""
    return frame(session, latest_visit_select(
        f, by, func.coalesce(func.sum(FollowUp.jobs_created), 0).label("value"),
        # The jobs of a cell are those of its beneficiaries: their keys, once each.
        key_sum(Beneficiary.record_key).label("value_key"),
        recorded=FollowUp.jobs_created.is_not(None)))


@indicator("FUP-4")
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
