"""CAP-1, CAP-2: institutions supported and people reached by capacity building."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access.models import CapacityActivity
from metrics.engine import country_filter, entity_dims, frame, in_period, indicator
from metrics.filters import Filters


def activity_frame(session: Session, f: Filters, by: tuple[str, ...],
                   measure: Any) -> pd.DataFrame:
    act = CapacityActivity
    columns = entity_dims(act, by, date=act.activity_date, filters=f)
    return frame(session, select(*columns, measure.label("value"))
                 .where(in_period(act.activity_date, f), *country_filter(act, f))
                 .group_by(*columns))


@indicator("CAP-1")
def cap_1(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    """Distinct institutions with an activity in the period. An institution is its name
    within its country (the same name in two countries is two institutions); by type or
    activity it counts once in each type/activity it had."""
    act = CapacityActivity
    return activity_frame(session, f, by,
                          func.count(func.distinct(act.country + "|" + act.institution)))


@indicator("CAP-2")
def cap_2(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    """Sum of people reached by activities in the period (blank counts as none)."""
    return activity_frame(session, f, by,
                          func.coalesce(func.sum(CapacityActivity.people_reached), 0))
