"""Cooperatives as a list, by status, and the assisted returnees split by route.

Not indicators of domain.md (COOP-1 and COOP-2 are in ``metrics.indicators.assistance``):

- ``cooperative_list``: the cooperatives formed by the end of the period — legally
  registered on or before it, or still without a registration date but with a member's
  assistance approved or delivered by then — with their members: distinct beneficiaries
  whose *delivered* assistance points to the cooperative by the end of the period (the
  COOP-2 rule, without its period start).
- ``by_status``: those cooperatives counted by their status.
- ``assisted_by_route``: BEN-2 (returnees whose first delivery is in the period) split into
  those with any delivered collective assistance by the period end ("cooperative") and the
  others ("individual"), so each returnee counts once and the two add up to BEN-2.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import String, and_, case, cast, func, or_, select
from sqlalchemy.orm import Session

from data_access.models import Assistance, Beneficiary, Cooperative
from data_access.vocab import AssistanceStatus
from metrics.engine import UNKNOWN, country_filter, frame, key_sum
from metrics.filters import Filters
from metrics.indicators.beneficiaries import assisted_select
from metrics.pipeline import disclose

ROUTES = ("individual", "cooperative")


def _per_cooperative(f: Filters) -> Any:
    """Per cooperative with any assistance, in one pass over ``ix_assistance_cooperative``
    (migration 0007): ``members``, the distinct beneficiaries with a delivered assistance by
    the end, and ``started``, whether a member's assistance was started by the end."""
    asst = Assistance
    delivered = and_(asst.status == AssistanceStatus.DELIVERED, asst.delivered_date <= f.end)
    return (select(asst.cooperative_id.label("cooperative_id"),
                   func.count(func.distinct(asst.beneficiary_id)).filter(delivered)
                   .label("members"),
                   func.max(case((_started(f), 1), else_=0)).label("started"))
            .where(asst.cooperative_id.is_not(None))
            .group_by(asst.cooperative_id).subquery("per_cooperative"))


def _member_keys(f: Filters) -> Any:
    """Per cooperative: the key sum (issue 14) of ``_per_cooperative``'s members, each
    member's key once however many of their records point to it."""
    asst = Assistance
    pairs = (select(asst.cooperative_id.label("cooperative_id"),
                    asst.beneficiary_id.label("beneficiary_id"))
             .where(asst.cooperative_id.is_not(None),
                    asst.status == AssistanceStatus.DELIVERED, asst.delivered_date <= f.end)
             .distinct().subquery("members"))
    return (select(pairs.c.cooperative_id, func.sum(Beneficiary.record_key).label("k"))
            .join(Beneficiary, Beneficiary.id == pairs.c.beneficiary_id)
            .group_by(pairs.c.cooperative_id).subquery("member_keys"))


def _started(f: Filters) -> Any:
    asst = Assistance
    return and_(asst.status != AssistanceStatus.CANCELLED,
                func.coalesce(asst.delivered_date, asst.approved_date) <= f.end)


def _formed(f: Filters) -> Any:
    coop, asst = Cooperative, Assistance
    # The cooperatives with a member's assistance started by the end, selected once (a
    # correlated EXISTS per cooperative scanned the unindexed assistance table each time).
    started = coop.id.in_(
        select(asst.cooperative_id).where(asst.cooperative_id.is_not(None), _started(f))
        .group_by(asst.cooperative_id))
    return _formed_when(f, started)


def _formed_when(f: Filters, started: Any) -> Any:
    coop = Cooperative
    return and_(or_(coop.registration_date <= f.end,
                    and_(coop.registration_date.is_(None), started)),
                *country_filter(coop, f))


def cooperative_list(session: Session, f: Filters, limit: int | None = None) -> pd.DataFrame:
    """name, country, region, sector, partner, registration_date, status, members; by
    country and name, the first ``limit`` rows only when given (a page shows 1,000 of ~30k
    at 1M beneficiaries: reading and converting all of them was most of its cold run)."""
    coop, per = Cooperative, _per_cooperative(f)
    stmt = (select(coop.name, coop.country, func.coalesce(coop.region, UNKNOWN).label("region"),
                   cast(coop.sector, String).label("sector"), coop.partner,
                   coop.registration_date, cast(coop.status, String).label("status"),
                   func.coalesce(per.c.members, 0).label("value"))
            .outerjoin(per, per.c.cooperative_id == coop.id)
            .where(_formed_when(f, per.c.started == 1))
            .order_by(coop.country, coop.name, coop.id).limit(limit))
    if session.info["scope"].aggregates_only:
        # The members' key sums, for the disclosure of the counts (issue 14); staff see
        # the counts as they are, so their list does not pay for the extra pass.
        keys = _member_keys(f)
        stmt = stmt.add_columns(func.coalesce(keys.c.k, 0).label("value_key")).outerjoin(
            keys, keys.c.cooperative_id == coop.id)
    result = session.execute(stmt)
    # Rows as plain tuples: pandas builds a frame of 30k Row objects twice as slowly.
    rows = pd.DataFrame.from_records([tuple(row) for row in result.fetchall()],
                                     columns=list(result.keys()))
    result = disclose(rows, session, "count", ("name",))
    return result.rename(columns={"value": "members", "value_note": "members_note"})


def cooperative_count(session: Session, f: Filters) -> pd.DataFrame:
    """``value``: how many rows ``cooperative_list`` has for these filters (a count of
    cooperatives, not of people: not disclosed, as the list's rows are not)."""
    stmt = select(func.count(Cooperative.id).label("value")).where(_formed(f))
    return frame(session, stmt)


def by_status(session: Session, f: Filters) -> pd.DataFrame:
    coop = Cooperative
    status = cast(coop.status, String).label("status")
    stmt = (select(status, func.count(coop.id).label("value"),
                   key_sum(coop.record_key).label("value_key"))
            .where(_formed(f)).group_by(status))
    return disclose(frame(session, stmt), session, "count", ("status",))


def assisted_by_route(session: Session, f: Filters, by: tuple[str, ...] = ()) -> pd.DataFrame:
    """BEN-2 split into route ∈ ROUTES (``by``: beneficiary breakdowns such as country)."""
    from metrics import fast_figures

    wide = fast_figures.route(session, f, by)
    if wide is None:
        wide = _route_from_cases(session, f, by)
    long = wide.melt(id_vars=list(by), value_vars=list(ROUTES), var_name="route",
                     value_name="value")
    long["value"] = pd.to_numeric(long["value"]).astype(float)
    # The key sums beside (issue 14), melted in the same order.
    long["value_key"] = wide.melt(id_vars=list(by), value_vars=[r + "_key" for r in ROUTES]
                                  )["value"].astype("int64").to_numpy()
    return disclose(long, session, "count", (*by, "route"))


def _route_from_cases(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    asst = Assistance
    # Members by the period end, grouped once and outer-joined (a correlated EXISTS per
    # returnee probed the unindexed assistance table: quadratic, 18 s at 10k).
    members = (select(asst.beneficiary_id.label("bid"))
               .where(asst.cooperative_id.is_not(None),
                      asst.status == AssistanceStatus.DELIVERED, asst.delivered_date <= f.end)
               .group_by(asst.beneficiary_id).subquery("members"))
    in_cooperative = members.c.bid.is_not(None)
    # One row per breakdown value with a column per route, melted to long form below.
    count = func.count(func.distinct(Beneficiary.id))
    key = Beneficiary.record_key
    stmt = assisted_select(f, by, count.filter(~in_cooperative).label(ROUTES[0]),
                           count.filter(in_cooperative).label(ROUTES[1]),
                           key_sum(key, ~in_cooperative).label(ROUTES[0] + "_key"),
                           key_sum(key, in_cooperative).label(ROUTES[1] + "_key"))
    stmt = stmt.outerjoin(members, members.c.bid == Beneficiary.id)
    return frame(session, stmt)
