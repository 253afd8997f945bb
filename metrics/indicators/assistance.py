"""ASS-1, ASS-2 (reintegration projects and grants), COOP-1, COOP-2 (cooperatives), and
their cubes: ``delivered`` (ASS-1, ASS-2: delivered records by delivery month; measures
``amount`` and ``with_amount``) and ``first_collective`` (COOP-2's members: one event per
returnee at their first delivery to a cooperative). COOP-2's denominator is BEN-2's cube.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import String, case, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from analytics.shapes import EVENTS, Cube, Rows
from analytics.sql import GROUPS, Build, T, month_of
from data_access.models import Assistance, Beneficiary, Cooperative
from data_access.vocab import AssistanceStatus
from metrics import fast
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
from metrics.indicators.beneficiaries import FIRST_DELIVERY, assisted_select


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


def _delivered_rows(build: Build, variant: str) -> Rows:
    asst = T["assistance"]
    delivered = (select(asst.c.beneficiary_id, asst.c.sector, asst.c.modality, asst.c.kind,
                        asst.c.amount_eur, asst.c.delivered_date)
                 .where(asst.c.status == AssistanceStatus.DELIVERED.value,
                        asst.c.delivered_date.is_not(None),
                        build.mine(asst.c.beneficiary_id))
                 .subquery("d"))
    return Rows(build.joined(delivered, delivered.c.beneficiary_id),
                month=month_of(delivered.c.delivered_date),
                items={d: func.coalesce(cast(delivered.c[d], String), UNKNOWN)
                       for d in GROUPS[variant]},
                sums=(delivered.c.amount_eur,
                      case((delivered.c.amount_eur.is_(None), 0), else_=1)))


DELIVERED = Cube("delivered", EVENTS, _delivered_rows,
                 variants=("", "sector_modality_kind"),
                 measures=("amount", "with_amount"), counts=("with_amount",),
                 about="delivered assistance records by delivery month")


def _first_collective_rows(build: Build, variant: str) -> Rows:
    fd = build.first_deliveries(variant, collective=True)
    return Rows(build.joined(fd), month=month_of(fd.c.fd),
                items={d: fd.c[d] for d in GROUPS[variant]})


FIRST_COLLECTIVE = Cube("first_collective", EVENTS, _first_collective_rows,
                        variants=("", "sector"),
                        about="returnees by the month of their first delivery to a "
                              "cooperative (in the group)")


def _ass_2_cells(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame | None:
    cube = DELIVERED
    frame = fast.cells(session, cube, f, by, {
        "value": fast.measure(cube, "amount"), "records": fast.measure(cube, "with_amount"),
        "_n": fast.measure(cube), "records_key": fast.key_of(cube, "with_amount")})
    if frame is None:
        return None
    frame = fast.drop_zero(frame, by, "_n").drop(columns="_n")
    total = pd.to_numeric(frame["value"]).astype(float)
    records = pd.to_numeric(frame["records"]).astype(float)
    frame["value"] = total.round(2)
    frame["mean"] = (total / records.where(records > 0)).astype(float).round(2)
    frame["records"] = frame["records"].astype(int)
    return fast.key_ints(frame[[*fast.keys(by), "value", "mean", "records", "records_key"]])


def _coop_2_cells(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame | None:
    members = fast.count(FIRST_COLLECTIVE)(session, f, by)
    assisted = fast.count(FIRST_DELIVERY)(session, f, by)
    if members is None or assisted is None:
        return None
    return members_share(merge_ratio(members, assisted, by))


@indicator("ASS-1", cubes=[DELIVERED], fast=fast.count(DELIVERED))
def ass_1(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    # A record adds the key of its beneficiary (each record is one row of its group).
    return frame(session, delivered_select(f, by, func.count(Assistance.id).label("value"),
                                           key_sum(Beneficiary.record_key).label("value_key")))


@indicator("ASS-2", cubes=[DELIVERED], fast=_ass_2_cells)
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


@indicator("COOP-2", cubes=[FIRST_COLLECTIVE, FIRST_DELIVERY], fast=_coop_2_cells)
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
