"""COOP-3, cooperative members by sector, and its cube ``coop_sector_members``.

A membership is a returnee and the sector of a cooperative their delivered assistance points
to (the cooperative's own sector, which every cooperative has; not the assistance record's
sector, which COOP-2 by sector uses and may be blank). Each is counted once, dated by the
first delivery to a cooperative of that sector, so it is one event per returnee and sector:
additive (the periods add up to the whole, like BEN-2 by sector). Without a sector
breakdown it is the number of such memberships: a returnee in cooperatives of two sectors
counts twice (COOP-2 counts them once).

The cube keeps one event per returnee and cooperative sector at the month of that first
delivery (shape ``EVENTS``), with and without the sector; the incremental refresh already
recomputes the members of a cooperative whose sector an import changes
(``importing.apply.touched``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from analytics.shapes import EVENTS, Cube, Rows
from analytics.sql import Build, T, month_of
from data_access.models import Assistance, Beneficiary, Cooperative
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


def _memberships() -> Any:
    """Per returnee and cooperative sector: the first delivery to such a cooperative."""
    asst, coop = Assistance, Cooperative
    return (select(asst.beneficiary_id.label("beneficiary_id"),
                   cast(coop.sector, String).label("sector"),
                   func.min(asst.delivered_date).label("first_delivery"))
            .join(coop, coop.id == asst.cooperative_id)
            .where(asst.status == AssistanceStatus.DELIVERED, asst.delivered_date.is_not(None))
            .group_by(asst.beneficiary_id, coop.sector).subquery("membership"))


def _membership_rows(build: Build, variant: str) -> Rows:
    asst, coop = T["assistance"], T["cooperative"]
    firsts = (select(asst.c.beneficiary_id.label("bid"),
                     cast(coop.c.sector, String).label("sector"),
                     func.min(asst.c.delivered_date).label("fd"))
              .select_from(asst.join(coop, coop.c.id == asst.c.cooperative_id))
              .where(asst.c.status == AssistanceStatus.DELIVERED.value,
                     asst.c.delivered_date.is_not(None), build.mine(asst.c.beneficiary_id))
              .group_by(asst.c.beneficiary_id, coop.c.sector).subquery("membership"))
    return Rows(build.joined(firsts), month=month_of(firsts.c.fd),
                items={"sector": firsts.c.sector} if variant == "sector" else {})


MEMBERSHIPS = Cube("coop_sector_members", EVENTS, _membership_rows, variants=("", "sector"),
                   about="memberships (returnee × cooperative sector) by the month of the "
                         "first delivery to a cooperative of the sector")


@indicator("COOP-3", cubes=[MEMBERSHIPS], fast=fast.count(MEMBERSHIPS))
def coop_3(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    ben = Beneficiary
    first = _memberships()
    stmt = select().select_from(ben).join(first, first.c.beneficiary_id == ben.id)
    stmt, dims = beneficiary_dims(stmt, by, ben, date=first.c.first_delivery, filters=f,
                                  extra={"sector": first.c.sector})
    # One row per membership (and vulnerability flag): each adds its returnee's key.
    return frame(session, stmt.add_columns(
        *dims, func.count().label("value"), key_sum(ben.record_key).label("value_key"))
        .where(in_period(first.c.first_delivery, f), *country_filter(ben, f))
        .group_by(*dims))
