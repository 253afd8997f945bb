"""Periods: a portable SQL key for month/quarter/year, and its label and bounds.

The key is an integer computed in SQL on both SQLite and PostgreSQL (year*100+month,
year*10+quarter, or year), so grouping happens in the database; labels and bounds are
worked out afterwards from the small grouped result.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, SQLColumnExpression, case, cast, extract
from sqlalchemy.sql.elements import ColumnElement

from metrics.filters import Granularity


def period_key(column: SQLColumnExpression[dt.date], granularity: Granularity
               ) -> ColumnElement[int]:
    year = extract("year", column)
    if granularity == "year":
        return cast(year, Integer)
    month = extract("month", column)
    if granularity == "month":
        return cast(year * 100 + month, Integer)
    quarter = case((month <= 3, 1), (month <= 6, 2), (month <= 9, 3), else_=4)
    return cast(year * 10 + quarter, Integer)


def key_of(day: dt.date, granularity: Granularity) -> int:
    if granularity == "year":
        return day.year
    if granularity == "month":
        return day.year * 100 + day.month
    return day.year * 10 + (day.month - 1) // 3 + 1


def bounds(key: int, granularity: Granularity) -> tuple[dt.date, dt.date]:
    """First and last day of the period with this key."""
    if granularity == "year":
        return dt.date(key, 1, 1), dt.date(key, 12, 31)
    if granularity == "month":
        year, month = divmod(key, 100)
        first_month = last_month = month
    else:
        year, quarter = divmod(key, 10)
        first_month, last_month = 3 * quarter - 2, 3 * quarter
    start = dt.date(year, first_month, 1)
    end = (dt.date(year + 1, 1, 1) if last_month == 12
           else dt.date(year, last_month + 1, 1)) - dt.timedelta(days=1)
    return start, end


def label(key: int, granularity: Granularity) -> str:
    if granularity == "year":
        return str(key)
    if granularity == "month":
        year, month = divmod(key, 100)
        return f"{year}-{month:02d}"
    year, quarter = divmod(key, 10)
    return f"{year}Q{quarter}"


def keys_between(start: dt.date, end: dt.date, granularity: Granularity) -> list[int]:
    """Every period key from the one holding ``start`` to the one holding ``end``."""
    keys = []
    day = start
    while day <= end:
        key = key_of(day, granularity)
        keys.append(key)
        day = bounds(key, granularity)[1] + dt.timedelta(days=1)
    return keys
