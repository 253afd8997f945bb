"""TRN-1, TRN-2, TRN-3: returnees trained, training uptake and completion rate."""

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
    merge_ratio,
    ratio,
)
from metrics.filters import Filters
from metrics.indicators.beneficiaries import assisted_select


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


@indicator("TRN-2")
def trn_2(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    trained = frame(session, attendance_select(
        f, by, func.count(func.distinct(Attendance.beneficiary_id)).label("value")))
    assisted = frame(session, assisted_select(
        f, by, func.count(func.distinct(Beneficiary.id)).label("value")))
    return merge_ratio(trained, assisted, by)


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
