"""Periods: a portable SQL key for month/quarter/year, and its label and bounds.

The key is an integer computed in SQL on both SQLite and PostgreSQL (year*100+month,
year*10+quarter, or year), so grouping happens in the database; labels and bounds are
worked out afterwards from the small grouped result.

"By quarter" means the programme's own reporting periods when its file gives them
(``data_access.programme``: donor quarters such as Feb–Apr, labelled "Y1 Q1"), calendar
quarters otherwise. A reporting period's key is its first day as ``yyyymmdd`` (eight
digits, so never mistaken for a calendar quarter's five), its label the file's label.
A day outside every reporting period has no quarter (NULL key): a breakdown by quarter
leaves it out, as the programme's own quarters do.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, SQLColumnExpression, case, cast, extract, null
from sqlalchemy.sql.elements import ColumnElement

from data_access.programme import ReportingPeriod, programme
from metrics.filters import Granularity


def reporting_periods(granularity: Granularity) -> tuple[ReportingPeriod, ...]:
    """The programme's own periods when ``granularity`` is "quarter" and its file gives
    them, else () (calendar periods)."""
    if granularity != "quarter":
        return ()
    return programme().reporting_periods


def own_key(period: ReportingPeriod) -> int:
    return period.start.year * 10000 + period.start.month * 100 + period.start.day


def _own(key: int) -> ReportingPeriod | None:
    for period in programme().reporting_periods:
        if own_key(period) == key:
            return period
    return None


def month_aligned(own: tuple[ReportingPeriod, ...]) -> bool:
    """Every period starts on the 1st of a month and ends on a month's last day (then
    the monthly cubes answer by summing months)."""
    return all(p.start.day == 1 and (p.end + dt.timedelta(days=1)).day == 1 for p in own)


def period_key(column: SQLColumnExpression[dt.date], granularity: Granularity
               ) -> ColumnElement[int]:
    own = reporting_periods(granularity)
    if own:
        return cast(case(*[(column.between(p.start, p.end), own_key(p)) for p in own],
                         else_=null()), Integer)
    year = extract("year", column)
    if granularity == "year":
        return cast(year, Integer)
    month = extract("month", column)
    if granularity == "month":
        return cast(year * 100 + month, Integer)
    quarter = case((month <= 3, 1), (month <= 6, 2), (month <= 9, 3), else_=4)
    return cast(year * 10 + quarter, Integer)


def key_of(day: dt.date, granularity: Granularity) -> int:
    """The key of the period holding ``day`` (ValueError: outside every reporting period)."""
    own = reporting_periods(granularity)
    if own:
        for period in own:
            if period.start <= day <= period.end:
                return own_key(period)
        raise ValueError(f"{day} is outside every reporting period of the programme")
    if granularity == "year":
        return day.year
    if granularity == "month":
        return day.year * 100 + day.month
    return day.year * 10 + (day.month - 1) // 3 + 1


def bounds(key: int, granularity: Granularity) -> tuple[dt.date, dt.date]:
    """First and last day of the period with this key."""
    if granularity == "year":
        return dt.date(key, 1, 1), dt.date(key, 12, 31)
    if granularity == "quarter" and key >= 10_000_000:
        period = _own(key)
        if period is None:
            raise ValueError(f"no reporting period with key {key}")
        return period.start, period.end
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
    if granularity == "quarter" and key >= 10_000_000:
        period = _own(key)
        if period is None:
            raise ValueError(f"no reporting period with key {key}")
        return period.label
    if granularity == "month":
        year, month = divmod(key, 100)
        return f"{year}-{month:02d}"
    year, quarter = divmod(key, 10)
    return f"{year}Q{quarter}"


def keys_between(start: dt.date, end: dt.date, granularity: Granularity) -> list[int]:
    """Every period key from the one holding ``start`` to the one holding ``end`` (the
    reporting periods that overlap [start, end], when the programme gives them)."""
    own = reporting_periods(granularity)
    if own:
        return [own_key(p) for p in own if p.start <= end and p.end >= start]
    keys = []
    day = start
    while day <= end:
        key = key_of(day, granularity)
        keys.append(key)
        day = bounds(key, granularity)[1] + dt.timedelta(days=1)
    return keys
