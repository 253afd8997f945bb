"""TRN-1, TRN-2, TRN-3: returnees trained, training uptake and completion rate.

TRN-2 (domain.md) is the share of one cohort: of the returnees assisted by the end of the
period, those with at least one completed session by then. Both dated by the period end
and cumulative to it, so it never exceeds 100 % (it used to divide the returnees trained in
the period by those first assisted in the period: two different groups, 110 % possible).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import String, case, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from analytics.shapes import DISTINCT_IN_RANGE, EVENTS, UP_TO_END, Cube, Rows, previous_event
from analytics.sql import NO_PREVIOUS, Build, T, month_of
from data_access.models import Attendance, Beneficiary, TrainingSession
from metrics import fast
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
from metrics.indicators.beneficiaries import FIRST_DELIVERY, first_delivery

# --- cubes ------------------------------------------------------------------------------


def _trained_rows(build: Build, variant: str) -> Rows:
    """Completed attendances, each with the month of the same returnee's (and kind's)
    previous completed attendance."""
    att, ses = T["attendance"], T["training_session"]
    kind = cast(ses.c.kind, String)
    partition = [att.c.beneficiary_id] + ([kind] if variant else [])
    events = (select(att.c.beneficiary_id.label("bid"), kind.label("kind"),
                     ses.c.session_date.label("day"),
                     previous_event(ses.c.session_date, partition,
                                    [ses.c.session_date, att.c.id]).label("prev"))
              .select_from(att.join(ses, ses.c.id == att.c.session_id))
              .where(att.c.completed.is_(True), build.mine(att.c.beneficiary_id))
              .subquery("e"))
    return Rows(build.joined(events), month=month_of(events.c.day),
                items={"kind": events.c.kind} if variant else {},
                link=func.coalesce(month_of(events.c.prev), NO_PREVIOUS))


TRAINED = Cube("trained", DISTINCT_IN_RANGE, _trained_rows, variants=("", "kind"),
               about="completed attendances linked to the returnee's previous one")


def _trained_assisted_rows(build: Build, variant: str) -> Rows:
    """Per assisted returnee with a completed session, one row at the month from which
    both hold (the later of the first delivery and the first completed session)."""
    att, ses = T["attendance"], T["training_session"]
    fd = build.first_deliveries()
    trained = (select(att.c.beneficiary_id.label("bid"),
                      func.min(ses.c.session_date).label("fs"))
               .select_from(att.join(ses, ses.c.id == att.c.session_id))
               .where(att.c.completed.is_(True), build.mine(att.c.beneficiary_id))
               .group_by(att.c.beneficiary_id).subquery("fs"))
    both = (select(fd.c.bid.label("bid"),
                   case((fd.c.fd > trained.c.fs, fd.c.fd), else_=trained.c.fs).label("day"))
            .select_from(fd.join(trained, trained.c.bid == fd.c.bid))
            .subquery("upt"))
    return Rows(build.joined(both), month=month_of(both.c.day))


TRAINED_ASSISTED = Cube("trained_assisted", UP_TO_END, _trained_assisted_rows,
                        about="assisted returnees by the month from which they are also "
                              "trained (TRN-2's numerator; its cohort is first_delivery)")


def _attendance_rows(build: Build, variant: str) -> Rows:
    att, ses = T["attendance"], T["training_session"]
    source = att.join(ses, ses.c.id == att.c.session_id)
    return Rows(build.joined(source, att.c.beneficiary_id),
                month=month_of(ses.c.session_date),
                items={"kind": cast(ses.c.kind, String)},
                sums=(case((att.c.completed.is_(True), 1), else_=0),))


ATTENDANCE = Cube("attendance", EVENTS, _attendance_rows, variants=("kind",),
                  measures=("completed",), counts=("completed",),
                  about="enrolments (attendance records) by session month")


def _uptake_cells(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame | None:
    """TRN-2 from the cubes: the cohort is first_delivery's cells up to the period's last
    month, the trained part trained_assisted's."""
    cohort = fast.cells(session, FIRST_DELIVERY, f, by,
                        {"denominator": fast.measure(FIRST_DELIVERY),
                         "denominator_key": fast.key_of(FIRST_DELIVERY)},
                        months=(0, fast.month(f.end)), variant="")
    trained = fast.cells(session, TRAINED_ASSISTED, f, by,
                         {"numerator": fast.measure(TRAINED_ASSISTED),
                          "numerator_key": fast.key_of(TRAINED_ASSISTED)})
    if cohort is None or trained is None:
        return None
    keys = fast.keys(by)
    result = (cohort.merge(trained, on=keys, how="left") if keys
              else pd.concat([cohort, trained], axis=1))
    result["numerator"] = pd.to_numeric(result["numerator"]).fillna(0).astype(int)
    result["denominator"] = pd.to_numeric(result["denominator"]).fillna(0).astype(int)
    result = result[result["denominator"] > 0].reset_index(drop=True)
    result = result[[*keys, "numerator", "denominator", "numerator_key", "denominator_key"]]
    result["numerator_key"] = pd.to_numeric(result["numerator_key"]).fillna(0)
    result = fast.key_ints(result)
    result["value"] = ratio(result["numerator"], result["denominator"])
    return result


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


@indicator("TRN-1", cubes=[TRAINED], fast=fast.count(TRAINED))
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


@indicator("TRN-2", cubes=[TRAINED_ASSISTED, FIRST_DELIVERY],
           fast=fast.each_period(_uptake_cells))
def trn_2(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    """The cohort is everyone assisted by the end of each period, so by period each period
    has its own cohort (``per_period``); cumulative to the period end, whatever its start."""
    return per_period(_uptake, session, f, by)


@indicator("TRN-3", cubes=[ATTENDANCE], fast=fast.share(ATTENDANCE, "completed"))
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
