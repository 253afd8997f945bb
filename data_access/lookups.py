"""Small look-ups for filter choices, read through the viewer's scoped session."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access.models import Assistance, Beneficiary


def countries_present(session: Session) -> list[str]:
    """Countries that have at least one beneficiary the scope lets the viewer see."""
    rows = session.execute(select(Beneficiary.country).distinct().order_by(Beneficiary.country))
    return [r[0] for r in rows]


def data_period(session: Session) -> tuple[dt.date, dt.date] | None:
    """First registration and last registration or delivery date (None when empty)."""
    first, last_reg = session.execute(
        select(func.min(Beneficiary.registration_date),
               func.max(Beneficiary.registration_date))).one()
    if first is None:
        return None
    last_delivery = session.execute(select(func.max(Assistance.delivered_date))).scalar()
    last = max(d for d in (last_reg, last_delivery) if d is not None)
    return _as_date(first), _as_date(last)


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))
