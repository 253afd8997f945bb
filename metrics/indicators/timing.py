"""ASS-3: time from return to first delivered assistance (median days).

SQLite has no median, so the database returns a histogram — one row per breakdown value
and number of days, with how many beneficiaries waited that long — and the exact median is
read off that small result. No row-level data leaves the database.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from analytics.shapes import HISTOGRAM, Cube, Rows
from analytics.sql import Build, days_between_sql, month_of
from data_access.models import AnalyticsCell, Beneficiary
from metrics import fast
from metrics.dates import days_between
from metrics.engine import beneficiary_dims, country_filter, frame, in_period, indicator
from metrics.filters import Filters
from metrics.indicators.beneficiaries import first_delivery


def median_of_histogram(values: pd.Series, counts: pd.Series) -> float:
    """The exact median of ``values`` repeated ``counts`` times (mean of the two middle
    values when the total is even); NaN when there is nothing."""
    order = np.argsort(values.to_numpy(dtype=float), kind="stable")
    sorted_values = values.to_numpy(dtype=float)[order]
    cumulative = np.cumsum(counts.to_numpy(dtype=np.int64)[order])
    total = int(cumulative[-1]) if len(cumulative) else 0
    if total == 0:
        return math.nan
    low = sorted_values[np.searchsorted(cumulative, (total + 1) // 2)]
    high = sorted_values[np.searchsorted(cumulative, total // 2 + 1)]
    return float((low + high) / 2)


def _wait_rows(build: Build, variant: str) -> Rows:
    fd, ben = build.first_deliveries(), build.ben
    return Rows(build.joined(fd), month=month_of(fd.c.fd),
                days=days_between_sql(ben.c.return_date, fd.c.fd))


WAIT = Cube("wait_days", HISTOGRAM, _wait_rows,
            about="returnees by first-delivery month and days from return to it")


def _ass_3_cells(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame | None:
    histogram = fast.cells(session, WAIT, f, by, {"n": fast.measure(WAIT),
                                                  "k": fast.key_of(WAIT)},
                           extra_keys=(AnalyticsCell.days,))
    if histogram is None:
        return None
    return medians(histogram[histogram["n"] > 0], fast.keys(by))


@indicator("ASS-3", cubes=[WAIT], fast=_ass_3_cells)
def ass_3(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    """Median of (first delivery − return date) in days, over beneficiaries whose first
    delivery falls in the period. A delivery recorded before the return (a data-quality
    error) counts with its negative delay rather than being dropped silently.
    ``beneficiaries`` is how many stand behind the median (the disclosure basis)."""
    ben, first = Beneficiary, first_delivery(by)
    stmt = select().select_from(ben).join(first, first.c.beneficiary_id == ben.id)
    stmt, dims = beneficiary_dims(stmt, by, ben, date=first.c.first_delivery, filters=f)
    days = days_between(ben.return_date, first.c.first_delivery).label("days")
    stmt = (stmt.add_columns(*dims, days, func.count(func.distinct(ben.id)).label("n"),
                             func.coalesce(func.sum(ben.record_key), 0).label("k"))
            .where(in_period(first.c.first_delivery, f), *country_filter(ben, f))
            .group_by(*dims, days))
    return medians(frame(session, stmt), [d.name for d in dims])


def medians(histogram: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per group of ``keys``: the median of ``days`` weighted by ``n``, the total n, and
    (from the histogram's key sums ``k``) the key sum behind it, ``beneficiaries_key``."""
    def keysum(part: pd.DataFrame) -> int:
        return int(pd.to_numeric(part["k"]).sum())

    if not keys:
        return pd.DataFrame({"value": [median_of_histogram(histogram["days"], histogram["n"])],
                             "beneficiaries": [int(histogram["n"].sum())],
                             "beneficiaries_key": [keysum(histogram)]})
    rows = [{**dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True)),
             "value": median_of_histogram(group["days"], group["n"]),
             "beneficiaries": int(group["n"].sum()), "beneficiaries_key": keysum(group)}
            for key, group in histogram.groupby(keys, dropna=False, sort=True)]
    return pd.DataFrame(rows, columns=[*keys, "value", "beneficiaries", "beneficiaries_key"])
