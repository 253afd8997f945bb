"""BEN-1, BEN-2, BEN-3: returnees registered and assisted, and their cubes.

Cubes (``analytics.shapes``): ``registered`` (BEN-1: one event per returnee, by
registration month) and ``first_delivery`` (BEN-2, BEN-3; also TRN-2's cohort and COOP-2's
denominator: one event per returnee and assistance group, by first-delivery month; measure
``vulnerable``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import String, case, cast, exists, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from analytics.shapes import EVENTS, Cube, Rows
from analytics.sql import GROUPS, Build, month_of
from data_access.models import Assistance, Beneficiary, BeneficiaryVulnerability
from data_access.vocab import AssistanceStatus
from metrics import fast
from metrics.engine import (
    beneficiary_dims,
    country_filter,
    frame,
    in_period,
    indicator,
    key_sum,
)
from metrics.filters import Filters

ASSISTANCE_BREAKDOWNS = ("sector", "modality", "kind")


def _registered(build: Build, variant: str) -> Rows:
    ben = build.ben
    return Rows(ben, month=month_of(ben.c.registration_date))


REGISTERED = Cube("registered", EVENTS, _registered,
                  about="returnees by registration month (the dimension key holds the return "
                        "type)")


def _first_delivery_rows(build: Build, variant: str) -> Rows:
    fd, ben = build.first_deliveries(variant), build.ben
    return Rows(build.joined(fd), month=month_of(fd.c.fd),
                items={d: fd.c[d] for d in GROUPS[variant]},
                sums=(case((ben.c.vulnerability == "", 0), else_=1),))


FIRST_DELIVERY = Cube("first_delivery", EVENTS, _first_delivery_rows,
                      variants=("", "sector", "modality", "kind"),
                      measures=("vulnerable",), counts=("vulnerable",),
                      about="returnees by the month of their first delivery (in the group)")


@indicator("BEN-1", cubes=[REGISTERED], fast=fast.count(REGISTERED))
def ben_1(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    ben = Beneficiary
    stmt = select().select_from(ben)
    stmt, dims = beneficiary_dims(stmt, by, ben, date=ben.registration_date, filters=f)
    stmt = stmt.add_columns(*dims, func.count(func.distinct(ben.id)).label("value"),
                            key_sum(ben.record_key).label("value_key")).where(
        in_period(ben.registration_date, f), *country_filter(ben, f)).group_by(*dims)
    return frame(session, stmt)


def first_delivery(by: tuple[str, ...], *, collective_only: bool = False) -> Any:
    """Per beneficiary (and per assistance breakdown value asked for): the first delivery.

    A beneficiary counts once per sector/modality/kind they were assisted in, dated by
    their first delivery in it; with no such breakdown, once, at their first delivery.
    """
    asst = Assistance
    keys = [cast(getattr(asst, d), String).label(d) for d in by if d in ASSISTANCE_BREAKDOWNS]
    conditions = [asst.status == AssistanceStatus.DELIVERED, asst.delivered_date.is_not(None)]
    if collective_only:
        conditions.append(asst.cooperative_id.is_not(None))
    return (select(asst.beneficiary_id.label("beneficiary_id"), *keys,
                   func.min(asst.delivered_date).label("first_delivery"))
            .where(*conditions).group_by(asst.beneficiary_id, *keys).subquery("first_delivery"))


def assisted_select(f: Filters, by: tuple[str, ...], *measures: Any,
                    collective_only: bool = False) -> Select[Any]:
    """SELECT breakdowns, measures FROM beneficiaries by first delivery within the filters."""
    ben = Beneficiary
    first = first_delivery(by, collective_only=collective_only)
    stmt = select().select_from(ben).join(first, first.c.beneficiary_id == ben.id)
    extra = {d: first.c[d] for d in by if d in ASSISTANCE_BREAKDOWNS}
    stmt, dims = beneficiary_dims(stmt, by, ben, date=first.c.first_delivery, filters=f,
                                  extra=extra)
    return stmt.add_columns(*dims, *measures).where(
        in_period(first.c.first_delivery, f), *country_filter(ben, f)).group_by(*dims)


@indicator("BEN-2", cubes=[FIRST_DELIVERY], fast=fast.count(FIRST_DELIVERY))
def ben_2(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    # One row per beneficiary and breakdown group (first_delivery is per beneficiary and
    # group; a vulnerability breakdown puts each flag in its own group): keys summed once.
    return frame(session, assisted_select(
        f, by, func.count(func.distinct(Beneficiary.id)).label("value"),
        key_sum(Beneficiary.record_key).label("value_key")))


@indicator("BEN-3", cubes=[FIRST_DELIVERY],
           fast=fast.share(FIRST_DELIVERY, "vulnerable"))
def ben_3(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    vulnerable = exists().where(BeneficiaryVulnerability.beneficiary_id == Beneficiary.id)
    stmt = assisted_select(
        f, by,
        func.count(func.distinct(Beneficiary.id)).filter(vulnerable).label("numerator"),
        func.count(func.distinct(Beneficiary.id)).label("denominator"),
        key_sum(Beneficiary.record_key, vulnerable).label("numerator_key"),
        key_sum(Beneficiary.record_key).label("denominator_key"))
    result = frame(session, stmt)
    result["value"] = result["numerator"] / result["denominator"].where(
        result["denominator"] > 0)
    return result
