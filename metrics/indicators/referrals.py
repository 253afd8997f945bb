"""REF-1, REF-2, REF-3: the referrals of returnees to partners (issue 21), and REF-1's cube
``referrals_made``.

- REF-1, referrals made: referral records, dated by the referral date; additive (one event
  per referral). A returnee referred twice counts twice.
- REF-2, share with a service received: of the referrals made in the period (referral
  date), the share whose status is ``service_received``; numerator and denominator are
  referral counts.
- REF-3, time to service: the median days from the referral date to the service date, over
  the referrals whose service was received in the period (service date); ``records`` is how
  many stand behind the median (the disclosure basis: no median of fewer than the
  threshold).

Every count adds the returnee's record key once per referral behind it (as COOP-3 adds it
once per membership), so donors' figures are protected like every other returnee count.
Breakdowns: country, region, sex, age group, vulnerability, partner (its name), service,
period. The cube answers REF-1 by country, region, sex, age group, vulnerability and
period; by partner or service it is read from the case tables (the cells have no partner
or service column).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from analytics.shapes import EVENTS, Cube, Rows
from analytics.sql import Build, T, month_of
from data_access.models import Beneficiary, Partner, Referral
from data_access.vocab import ReferralStatus
from metrics import fast
from metrics.dates import days_between
from metrics.engine import (
    beneficiary_dims,
    country_filter,
    frame,
    in_period,
    indicator,
    key_sum,
)
from metrics.filters import Filters
from metrics.indicators.timing import medians

OWN = ("partner", "service")  # the breakdowns only the case tables have


def _referral_rows(build: Build, _variant: str) -> Rows:
    ref = T["referral"]
    rows = (select(ref.c.beneficiary_id.label("bid"), ref.c.referral_date.label("rd"))
            .where(build.mine(ref.c.beneficiary_id)).subquery("referrals"))
    return Rows(build.joined(rows), month=month_of(rows.c.rd))


REFERRALS = Cube("referrals_made", EVENTS, _referral_rows,
                 about="referrals of returnees to partners by the month of the referral")


def _not_by_own(reader: fast.Reader) -> fast.Reader:
    """The cube's reader, except by partner or service (which the cells do not keep)."""
    def run(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame | None:
        return None if set(OWN) & set(by) else reader(session, f, by)
    return run


def _referrals(by: tuple[str, ...], f: Filters, date: Any) -> tuple[Any, list[Any]]:
    """FROM beneficiary JOIN referral JOIN partner, with the breakdown columns ``by``."""
    ben, ref, par = Beneficiary, Referral, Partner
    stmt = (select().select_from(ben).join(ref, ref.beneficiary_id == ben.id)
            .join(par, par.id == ref.partner_id))
    return beneficiary_dims(stmt, by, ben, date=date, filters=f,
                            extra={"partner": par.name, "service": ref.service})


@indicator("REF-1", cubes=[REFERRALS], fast=_not_by_own(fast.count(REFERRALS)))
def ref_1(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    ben, ref = Beneficiary, Referral
    stmt, dims = _referrals(by, f, ref.referral_date)
    return frame(session, stmt.add_columns(
        *dims, func.count().label("value"), key_sum(ben.record_key).label("value_key"))
        .where(in_period(ref.referral_date, f), *country_filter(ben, f)).group_by(*dims))


@indicator("REF-2")
def ref_2(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    ben, ref = Beneficiary, Referral
    stmt, dims = _referrals(by, f, ref.referral_date)
    received = ref.status == ReferralStatus.SERVICE_RECEIVED
    df = frame(session, stmt.add_columns(
        *dims, func.count().label("denominator"),
        key_sum(ben.record_key).label("denominator_key"),
        func.count(ref.id).filter(received).label("numerator"),
        key_sum(ben.record_key, received).label("numerator_key"))
        .where(in_period(ref.referral_date, f), *country_filter(ben, f)).group_by(*dims))
    df["numerator"] = pd.to_numeric(df["numerator"]).astype("int64")
    df["denominator"] = pd.to_numeric(df["denominator"]).astype("int64")
    df["value"] = df["numerator"] / df["denominator"].where(df["denominator"] > 0)
    return df


@indicator("REF-3")
def ref_3(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    ben, ref = Beneficiary, Referral
    stmt, dims = _referrals(by, f, ref.service_date)
    days = days_between(ref.referral_date, ref.service_date).label("days")
    histogram = frame(session, stmt.add_columns(
        *dims, days, func.count().label("n"),
        func.coalesce(func.sum(ben.record_key), 0).label("k"))
        .where(ref.status == ReferralStatus.SERVICE_RECEIVED, ref.service_date.is_not(None),
               in_period(ref.service_date, f), *country_filter(ben, f))
        .group_by(*dims, days))
    out = medians(histogram, [d.name for d in dims])
    return out.rename(columns={"beneficiaries": "records", "beneficiaries_key": "records_key"})


