"""TRN-1, TRN-2, TRN-3: returnees trained, training uptake and completion rate.

TRN-2 (domain.md) is the share of one cohort: of the returnees assisted by the end of the
period, those with at least one completed session by then. Both dated by the period end
and cumulative to it, so it never exceeds 100 % (it used to divide the returnees trained in
the period by those first assisted in the period: two different groups, 110 % possible).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from data_access.models import Attendance, Beneficiary, TrainingSession
from metrics.engine import (
    beneficiary_dims,
    country_filter,
    distinct_counts,
    frame,
    in_period,
    indicator,
    key_sum,
    per_period,
    ratio,
)
from metrics.filters import Filters
from metrics.indicators.beneficiaries import first_delivery


def attendance_select(f: Filters, by: tuple[str, ...], *measures: Any,
                      completed_only: bool = True) -> Select[Any]:
    """SELECT breakdowns, measures FROM attendances at sessions within the filters."""
    att, ses, ben = Attendance, TrainingSession, Beneficiary
    stmt = (select().select_from(att).join(ses, ses.id == att.session_id)
            .join(ben, ben.id == att.beneficiary_id))
    stmt, dims = beneficiary_dims(stmt, by, ben, date=ses.session_date, filters=f,
                                  extra={"kind": ses.kind})
    conditions = [in_period(ses.session_date, f), *country_filter(att, f)]
    if completed_only:
        conditions.append(att.completed.is_(True))
    return stmt.add_columns(*dims, *measures).where(*conditions).group_by(*dims)


@indicator("TRN-1")
def trn_1(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    """Distinct trainees; ``value_key`` adds each one's key once per group, however many
    sessions they completed in it."""
    return distinct_counts(session, attendance_select(f, by), Attendance.beneficiary_id,
                           Beneficiary.record_key, by)


# --- TRN-2, training uptake: a share of one cohort, never above 100 % -------------------

def _uptake(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    """Of the returnees assisted by the period end (first delivery on or before it,
    however long before), how many have at least one completed session dated on or before
    it. One cohort for both counts, so the share is at most 1."""
    ben, att, ses = Beneficiary, Attendance, TrainingSession
    first = first_delivery(())
    trained = (select(att.id).join(ses, ses.id == att.session_id)
               .where(att.beneficiary_id == ben.id, att.completed.is_(True),
                      ses.session_date <= f.end).exists())
    stmt = select().select_from(ben).join(first, first.c.beneficiary_id == ben.id)
    stmt, dims = beneficiary_dims(stmt, by, ben, date=first.c.first_delivery, filters=f)
    stmt = (stmt.add_columns(
        *dims, func.count(func.distinct(ben.id)).filter(trained).label("numerator"),
        func.count(func.distinct(ben.id)).label("denominator"),
        # One row per assisted beneficiary and group: each key once.
        key_sum(ben.record_key, trained).label("numerator_key"),
        key_sum(ben.record_key).label("denominator_key"))
        .where(first.c.first_delivery <= f.end, *country_filter(ben, f)).group_by(*dims))
    result = frame(session, stmt)
    result = result[result["denominator"] > 0].reset_index(drop=True)
    result["value"] = ratio(result["numerator"], result["denominator"])
    return result


@indicator("TRN-2")
def trn_2(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    """The cohort is everyone assisted by the end of each period, so by period each period
    has its own cohort (``per_period``); cumulative to the period end, whatever its start."""
    return per_period(_uptake, session, f, by)


@indicator("TRN-3")
def trn_3(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    """Completed attendances ÷ all attendances (enrolments) at sessions in the period.

    Counts attendance records, not people: a returnee enrolled in two sessions counts twice.
    """
    att = Attendance
    result = frame(session, attendance_select(
        f, by,
        func.count(func.distinct(att.id)).filter(att.completed.is_(True)).label("numerator"),
        func.count(func.distinct(att.id)).label("denominator"),
        # An attendance record adds its beneficiary's key (one row per record and group).
        key_sum(Beneficiary.record_key, att.completed.is_(True)).label("numerator_key"),
        key_sum(Beneficiary.record_key).label("denominator_key"),
        completed_only=False))
    result["value"] = ratio(result["numerator"], result["denominator"])
    return result
