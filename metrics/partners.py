"""The partners: who they are and what each delivered (issue 21). Not indicators of
domain.md (the referral indicators REF-1..3 are in ``metrics.indicators.referrals``).

- ``directory``: every partner the viewer's scope allows — name, country, institution type,
  services (as stored, ``;``-separated).
- ``delivered``: per partner, what it delivered in the period, in long form (one row per
  partner and measure, ``value``):

  - ``assistance``: assistance records *delivered* in the period (by delivery date) that
    name the partner; ``grants``: the sum of their amounts (in the reporting currency,
    records without an amount add nothing);
  - ``sessions``: training sessions held in the period (by session date) that name the
    partner; ``attendances``: the attendance records of those sessions;
  - ``visits``: follow-up visits in the period (by visit date) that name the partner;
  - ``cooperatives``: cooperatives that name the partner (accompanied by it), whatever
    the period.

  A partner whose name another country's partner shares is labelled "name (country)". A
  country filter narrows each record by its own country. Every partner is listed, with
  0 where it delivered nothing. Disclosure: the viewer's scope (a donor sees the counts
  protected like any count, the grants amount not at all: fail closed).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access.models import (
    Assistance,
    Attendance,
    Cooperative,
    FollowUp,
    Partner,
    TrainingSession,
)
from data_access.vocab import AssistanceStatus
from metrics.filters import Filters
from metrics.pipeline import disclose

MEASURES = ("assistance", "grants", "sessions", "attendances", "visits", "cooperatives")


def directory(session: Session, _f: Filters | None = None) -> pd.DataFrame:
    """name, country, type, services of every partner in scope, by name (the filters, if
    given, change nothing: a partner is listed whatever the period)."""
    rows = session.execute(select(Partner.name, Partner.country, Partner.institution_type,
                                  Partner.services).order_by(Partner.name, Partner.id)).all()
    return pd.DataFrame([(n, c, getattr(t, "value", t), s or "") for n, c, t, s in rows],
                        columns=["name", "country", "type", "services"])


def _in(column: Any, f: Filters) -> list[Any]:
    return [column >= f.start, column <= f.end]


def _countries(column: Any, f: Filters) -> list[Any]:
    return [column.in_(f.countries)] if f.countries else []


def delivered(session: Session, f: Filters) -> pd.DataFrame:
    """partner, measure, value (see the module docstring), every partner x measure."""
    asst, ts, att, fu, coop = Assistance, TrainingSession, Attendance, FollowUp, Cooperative
    counts: dict[tuple[int, str], float] = {}

    def add(measure: str, stmt: Any) -> None:
        for pid, value in session.execute(stmt).all():
            counts[(pid, measure)] = float(value or 0)

    # by partner id: partners are unique by name within a country only, and another
    # programme's countries may each have a partner of the same name
    delivered_in = [asst.status == AssistanceStatus.DELIVERED,
                    *_in(asst.delivered_date, f), *_countries(asst.country, f)]
    base = select(Partner.id).join(asst, asst.partner_id == Partner.id).where(*delivered_in)
    add("assistance", base.add_columns(func.count(asst.id)).group_by(Partner.id))
    add("grants", base.add_columns(func.sum(asst.amount_eur)).group_by(Partner.id))
    held = [*_in(ts.session_date, f), *_countries(ts.country, f)]
    add("sessions", select(Partner.id, func.count(ts.id))
        .join(ts, ts.partner_id == Partner.id).where(*held).group_by(Partner.id))
    add("attendances", select(Partner.id, func.count(att.id))
        .join(ts, ts.partner_id == Partner.id).join(att, att.session_id == ts.id)
        .where(*held).group_by(Partner.id))
    add("visits", select(Partner.id, func.count(fu.id))
        .join(fu, fu.partner_id == Partner.id)
        .where(*_in(fu.visit_date, f), *_countries(fu.country, f)).group_by(Partner.id))
    add("cooperatives", select(Partner.id, func.count(coop.id))
        .join(coop, coop.partner_id == Partner.id).where(*_countries(coop.country, f))
        .group_by(Partner.id))
    partners = session.execute(select(Partner.id, Partner.name, Partner.country)
                               .order_by(Partner.name, Partner.country)).all()
    shared = pd.Series([n for _i, n, _c in partners]).duplicated(keep=False).tolist()
    labels = [f"{n} ({c})" if twice else n
              for (_i, n, c), twice in zip(partners, shared, strict=True)]
    frame = pd.DataFrame([(label, m, counts.get((pid, m), 0.0))
                          for (pid, _n, _c), label in zip(partners, labels, strict=True)
                          for m in MEASURES],
                         columns=["partner", "measure", "value"])
    counted = disclose(frame[frame["measure"] != "grants"], session, "count",
                       ("partner", "measure"), name="partner_delivered")
    money = disclose(frame[frame["measure"] == "grants"], session, "money",
                     ("partner", "measure"), name="partner_grants")
    return pd.concat([counted, money]).sort_index().reset_index(drop=True)
