"""ASS-1, ASS-2 (reintegration projects and grants), COOP-1, COOP-2 (cooperatives)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from data_access.models import Assistance, Beneficiary, Cooperative
from data_access.vocab import AssistanceStatus
from metrics.engine import (
    UNKNOWN,
    beneficiary_dims,
    country_filter,
    entity_dims,
    frame,
    in_period,
    indicator,
    key_sum,
    merge_ratio,
)
from metrics.filters import Filters
from metrics.indicators.beneficiaries import assisted_select


# Any: SQL expressions and statements of whatever column types the measures have.
def delivered_select(f: Filters, by: tuple[str, ...], *measures: Any) -> Select[Any]:
    """SELECT breakdowns, measures FROM delivered assistance records within the filters."""
    asst, ben = Assistance, Beneficiary
    stmt = select().select_from(asst).join(ben, ben.id == asst.beneficiary_id)
    extra: dict[str, ColumnElement[Any]] = {
        d: func.coalesce(cast(getattr(asst, d), String), UNKNOWN)
        for d in ("sector", "modality", "kind") if d in by}
    stmt, dims = beneficiary_dims(stmt, by, ben, date=asst.delivered_date, filters=f,
                                  extra=extra)
    return stmt.add_columns(*dims, *measures).where(
        asst.status == AssistanceStatus.DELIVERED, in_period(asst.delivered_date, f),
        *country_filter(asst, f)).group_by(*dims)


@indicator("ASS-1")
def ass_1(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    # A record adds the key of its beneficiary (each record is one row of its group).
    return frame(session, delivered_select(f, by, func.count(Assistance.id).label("value"),
                                           key_sum(Beneficiary.record_key).label("value_key")))


@indicator("ASS-2")
def ass_2(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    amount = Assistance.amount_eur
    result = frame(session, delivered_select(
        f, by, func.coalesce(func.sum(amount), 0).label("value"),
        func.avg(amount).label("mean"), func.count(amount).label("records"),
        key_sum(Beneficiary.record_key, amount.is_not(None)).label("records_key")))
    for column in ("value", "mean"):
        result[column] = pd.to_numeric(result[column]).astype(float).round(2)
    return result


@indicator("COOP-1")
def coop_1(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    coop = Cooperative
    columns = entity_dims(coop, by, date=coop.registration_date, filters=f)
    stmt = (select(*columns, func.count(coop.id).label("value"),
                   key_sum(coop.record_key).label("value_key"))
            .where(coop.registration_date.is_not(None), in_period(coop.registration_date, f),
                   *country_filter(coop, f))
            .group_by(*columns))
    return frame(session, stmt)


@indicator("COOP-2")
def coop_2(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    """Members: distinct beneficiaries whose delivered assistance points to a cooperative.

    Dated by their first such delivery, so a member is never counted twice in one period;
    ``share`` is COOP-2 ÷ BEN-2 on the same breakdown (``denominator`` is that BEN-2).
    """
    count = func.count(func.distinct(Beneficiary.id)).label("value")
    key = key_sum(Beneficiary.record_key).label("value_key")
    members = frame(session, assisted_select(f, by, count, key, collective_only=True))
    assisted = frame(session, assisted_select(f, by, count, key))
    return members_share(merge_ratio(members, assisted, by))


def members_share(merged: pd.DataFrame) -> pd.DataFrame:
    """COOP-2's columns from merge_ratio(members, assisted): value (members) and its key,
    share, denominator (assisted) and its key."""
    out = merged.assign(share=merged["value"], value=merged["numerator"])
    if "numerator_key" in out:
        out["value_key"] = out["numerator_key"]
    return out.drop(columns=[c for c in ("numerator", "numerator_key") if c in out])
