"""CAP-1, CAP-2: institutions supported and people reached by capacity building."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from data_access.models import CapacityActivity
from metrics.engine import country_filter, entity_dims, frame, in_period, indicator, key_sum
from metrics.filters import Filters


def activity_frame(session: Session, f: Filters, by: tuple[str, ...],
                   *measures: Any) -> pd.DataFrame:
    act = CapacityActivity
    columns = entity_dims(act, by, date=act.activity_date, filters=f)
    return frame(session, select(*columns, *measures)
                 .where(in_period(act.activity_date, f), *country_filter(act, f))
                 .group_by(*columns))


def institution_keys() -> Any:
    """Per institution (its name within its country): its key, the record key of its first
    recorded activity (the smallest id), whichever activities a question selects. So the
    key of a CAP-1 cell depends only on the set of institutions in it."""
    act, first = CapacityActivity, aliased(CapacityActivity)
    firsts = (select(act.country.label("country"), act.institution.label("institution"),
                     func.min(act.id).label("first_id"))
              .group_by(act.country, act.institution).subquery("first_activity"))
    return (select(firsts.c.country, firsts.c.institution,
                   first.record_key.label("institution_key"))
            .join(first, first.id == firsts.c.first_id).subquery("institution_key"))


@indicator("CAP-1")
def cap_1(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    """Distinct institutions with an activity in the period. An institution is its name
    within its country (the same name in two countries is two institutions); by type or
    activity it counts once in each type/activity it had. ``value_key``: the sum of the
    institutions' keys (``institution_keys``), each once per cell."""
    act = CapacityActivity
    columns = entity_dims(act, by, date=act.activity_date, filters=f)
    names = [c.name for c in columns]
    cells = (select(*columns, act.country.label("_country"),
                    act.institution.label("_institution"))
             .where(in_period(act.activity_date, f), *country_filter(act, f))
             .distinct().subquery("cells"))
    keys = institution_keys()
    dims = [cells.c[n] for n in names]
    stmt = (select(*dims, func.count().label("value"),
                   func.coalesce(func.sum(keys.c.institution_key), 0).label("value_key"))
            .select_from(cells)
            .join(keys, and_(keys.c.country == cells.c["_country"],
                             keys.c.institution == cells.c["_institution"])))
    return frame(session, stmt.group_by(*dims) if dims else stmt)


@indicator("CAP-2")
def cap_2(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    """Sum of people reached by activities in the period (blank counts as none).
    ``value_key``: the sum of the keys of the activities behind it."""
    act = CapacityActivity
    return activity_frame(session, f, by,
                          func.coalesce(func.sum(act.people_reached), 0).label("value"),
                          key_sum(act.record_key).label("value_key"))
