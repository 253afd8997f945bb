"""The fast path: indicators answered from the analytics tables (``analytics.cubes``).

``answer(code, session, filters, by)`` returns the same frame the indicator's case-table
query returns (before ``_finish`` and disclosure), or None when it cannot answer exactly —
then the caller reads the case tables. It answers when:

- the analytics tables are fresh (no case-table write since the last refresh) and, for
  FUP-4, were built with the current score weights and threshold;
- the date range is whole months (first day of a month to the last day of a month);
  every sidebar preset is; other ranges read the case tables, which are exact to the day;
- the breakdowns are ones a cube keeps (region and vulnerability together are not, nor
  two assistance breakdowns at once for distinct counts); any other breakdown (a partner,
  a service: the cells have no such column) or any filter besides the period, the
  countries and the granularity declines, generally, in ``cells`` (``answers``), so a new
  breakdown or filter can never be answered from cells that ignore it.

The cells are read through the ORM model ``AnalyticsCell``, which is CountryScoped: the
scope listener restricts them like any case table.

Typing: ``Any`` stands for SQLAlchemy SQL expressions (sums, CASEs, labels).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
from sqlalchemy import Integer, case, func, literal, null, select
from sqlalchemy.orm import Session

from analytics import cubes, shapes
from analytics.shapes import Cube
from analytics.sql import DIMS, GROUPS, REGION, SEXAGE, VULNERABILITY
from data_access.models import AnalyticsCell as C
from data_access.programme import ReportingPeriod
from metrics import engine, periods
from metrics.engine import KEY_SUFFIX, keys_of, per_period, ratio
from metrics.filters import Filters

ASSISTANCE = ("sector", "modality", "kind")
Reader = Callable[[Session, Filters, tuple[str, ...]], "pd.DataFrame | None"]


def aligned(f: Filters) -> bool:
    return f.whole_months is not None  # the one whole-month test (metrics.filters)


def month(day: dt.date) -> int:
    return day.year * 100 + day.month


def answer(code: str, session: Session, f: Filters, by: tuple[str, ...]
           ) -> pd.DataFrame | None:
    """The indicator from the analytics cubes, or None (then use the case tables)."""
    return engine.from_cubes(code, session, f, by)


def enabled(session: Session) -> bool:
    return session.info.get("analytics", True) and cubes.is_fresh(session) is not None


# What the cells keep, whatever the cube: the period, the beneficiary dimensions; the
# assistance breakdowns only in the variant that keeps them. The filters they can apply.
KEPT = frozenset({"period", *DIMS})
FILTERED = frozenset({"start", "end", "countries", "granularity"})


def answers(f: Filters, by: tuple[str, ...], variant: str) -> bool:
    """Whether cells of ``variant`` can answer breakdowns ``by`` under filters ``f``: every
    breakdown a column they keep, every filter set (not at its default) one they apply."""
    if not set(by) <= KEPT | set(GROUPS.get(variant, ())):
        return False
    return all(field.name in FILTERED or getattr(f, field.name) == field.default
               for field in dataclasses.fields(f))


def _rollup(by: tuple[str, ...]) -> int | None:
    if "region" in by and "vulnerability" in by:
        return None
    rollup = 0
    if "region" in by:
        rollup |= REGION
    if "vulnerability" in by:
        rollup |= VULNERABILITY
    if "sex" in by or "age_group" in by:
        rollup |= SEXAGE
    return rollup


def _variant(cube: Cube, by: tuple[str, ...]) -> str | None:
    """The variant of ``cube`` that keeps the assistance/training breakdowns of ``by``; a
    finer one for a summable cube (events: summing over a breakdown is exact); else None."""
    groups = tuple(d for d in ASSISTANCE if d in by)
    wanted = ("sector_modality_kind" if len(groups) > 1
              else groups[0] if groups else "")
    if wanted in cube.variants:
        return wanted
    if cube.summable:
        finest = max(cube.variants, key=lambda v: len(GROUPS[v]))
        if set(groups) <= set(GROUPS[finest]):
            return finest
    return None


def _own(granularity: str, value: Callable[[ReportingPeriod], int]) -> Any:
    """The cell month's reporting period (``periods.reporting_periods``, month-aligned:
    ``engine.from_cubes`` reads the case tables otherwise) as ``value`` of it; NULL for a
    month outside every one; None when "quarter" is a calendar quarter."""
    own = periods.reporting_periods(granularity)  # type: ignore[arg-type]
    if not own:
        return None
    return case(*[(C.month.between(month(p.start), month(p.end)), value(p)) for p in own],
                else_=null())


def _period_key(granularity: str) -> Any:
    m = C.month
    own = _own(granularity, periods.own_key)
    if own is not None:
        return own
    if granularity == "month":
        return m
    if granularity == "year":
        return m // 100
    return (m // 100) * 10 + ((m % 100) + 2) // 3


def _period_first(granularity: str) -> Any:
    m = C.month
    own = _own(granularity, lambda p: month(p.start))
    if own is not None:
        return own
    if granularity == "month":
        return m
    if granularity == "year":
        return (m // 100) * 100 + 1
    return (m // 100) * 100 + (((m % 100) - 1) // 3) * 3 + 1


def _period_last(granularity: str) -> Any:
    m = C.month
    own = _own(granularity, lambda p: month(p.end))
    if own is not None:
        return own
    if granularity == "month":
        return m
    if granularity == "year":
        return (m // 100) * 100 + 12
    return (m // 100) * 100 + (((m % 100) - 1) // 3) * 3 + 3


def cells(session: Session, cube: Cube | str, f: Filters, by: tuple[str, ...],
          measures: dict[str, Any], *, months: tuple[int, int] | None = None,
          variant: str | None = None, extra_keys: tuple[Any, ...] = ()
          ) -> pd.DataFrame | None:
    """SELECT by-columns, measures FROM the cube's cells in the filter's months, read as
    its shape says: DISTINCT_IN_RANGE keeps events whose previous event is before the start
    of the range (or of the event's period), LATEST_IN_RANGE those whose next one is after
    its end, UP_TO_END every month up to the range's last. ``cube`` may be the name of a
    figure cube (``analytics.figure_cubes``: no shape), read with the ``variant`` given."""
    link = None
    if isinstance(cube, str):
        assert variant is not None, "a figure cube is read with its variant"
        cube_name = cube
    else:
        cube_name = cube.name
        link = {shapes.DISTINCT_IN_RANGE: "previous",
                shapes.LATEST_IN_RANGE: "next"}.get(cube.shape)
        if months is None and cube.shape == shapes.UP_TO_END:
            months = (0, month(f.end))
    rollup = _rollup(by)
    if variant is None:
        variant = _variant(cube, by) if isinstance(cube, Cube) else None
    if rollup is None or variant is None or not answers(f, by, variant):
        return None
    first, last = months or (month(f.start), month(f.end))
    columns = []
    for name in by:
        if name == "period":
            columns.append(_period_key(f.granularity).label("period_key"))
        else:
            columns.append(getattr(C, name).label(name))
    conditions = [C.cube == cube_name, C.variant == variant, C.rollup == rollup,
                  C.month.between(first, last)]
    if f.countries:
        conditions.append(C.country.in_(f.countries))
    if link == "previous":
        start = (case((_period_first(f.granularity) > first, _period_first(f.granularity)),
                      else_=first) if "period" in by else literal(first, Integer))
        conditions.append(C.link < start)
    elif link == "next":
        end = (case((_period_last(f.granularity) < last, _period_last(f.granularity)),
                    else_=last) if "period" in by else literal(last, Integer))
        conditions.append(C.link > end)
    stmt = (select(*columns, *extra_keys, *[v.label(k) for k, v in measures.items()])
            .where(*conditions))
    if columns or extra_keys:
        stmt = stmt.group_by(*columns, *extra_keys)
    result = session.execute(stmt)
    frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    return frame


def measure(cube: Cube, name: str = "n") -> Any:
    """SUM of a named measure of the cube's cells ("n": the count), 0 for none."""
    return func.coalesce(func.sum(getattr(C, cube.column(name))), 0)


def raw_sum(cube: Cube, name: str) -> Any:
    """SUM of a named measure, NULL when every cell's is (a mean's numerator)."""
    return func.sum(getattr(C, cube.column(name)))


def key_of(cube: Cube, name: str = "n") -> Any:
    """The key sum behind a count (issue 14): k behind n, k1… behind s1…."""
    return func.coalesce(func.sum(getattr(C, cube.key_column(name))), 0)


def key_ints(frame: pd.DataFrame) -> pd.DataFrame:
    for column in frame.columns:
        if str(column).endswith(KEY_SUFFIX) and column != "period_key":
            frame[column] = keys_of(frame[column])
    return frame


def keys(by: tuple[str, ...]) -> list[str]:
    return ["period_key" if d == "period" else d for d in by]


def ints(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Counts summed from FLOAT cells come back as floats; the case tables give integers."""
    for column in columns:
        frame[column] = pd.to_numeric(frame[column]).round().astype("int64")
    return frame


def drop_zero(frame: pd.DataFrame, by: tuple[str, ...], column: str) -> pd.DataFrame:
    """Groups the case-table query would not return (no qualifying row) have 0 here."""
    if not by:
        return frame
    return frame[pd.to_numeric(frame[column]) > 0].reset_index(drop=True)


class NoAnswer(Exception):
    """Raised inside a per-period reader when one period cannot be read from the cubes."""


def or_raise(reader: Reader) -> Callable[[Session, Filters, tuple[str, ...]], pd.DataFrame]:
    def run(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
        result = reader(session, f, by)
        if result is None:
            raise NoAnswer
        return result
    return run


def each_period(reader: Reader) -> Reader:
    """``reader`` once per period (``engine.per_period``): for the indicators whose
    population depends on where the period ends (a cohort, a due list)."""
    def run(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame | None:
        try:
            return per_period(or_raise(reader), session, f, by)
        except NoAnswer:
            return None
    return run


# --- the readers of the common cases ----------------------------------------------------

def count(cube: Cube, name: str = "n") -> Reader:
    """value = a count of the cube (its rows, or a counted measure), with its key sum."""
    def run(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame | None:
        frame = cells(session, cube, f, by, {"value": measure(cube, name),
                                             "value_key": key_of(cube, name)})
        return None if frame is None else key_ints(drop_zero(frame, by, "value"))
    return run


def share(cube: Cube, numerator: str, denominator: str = "n") -> Reader:
    """value = numerator ÷ denominator, two counts of the same cube, with their keys."""
    def run(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame | None:
        frame = cells(session, cube, f, by, {
            "numerator": measure(cube, numerator), "denominator": measure(cube, denominator),
            "numerator_key": key_of(cube, numerator),
            "denominator_key": key_of(cube, denominator)})
        if frame is None:
            return None
        frame = ints(key_ints(drop_zero(frame, by, "denominator")), "numerator",
                     "denominator")
        frame["value"] = ratio(frame["numerator"], frame["denominator"])
        return frame
    return run


def total(cube: Cube, name: str) -> Reader:
    """value = the sum of a measure (whole numbers) over the cube's rows; the key is that
    of the rows ("n"), which a row with nothing to sum still has."""
    def run(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame | None:
        frame = cells(session, cube, f, by, {"value": measure(cube, name),
                                             "_n": measure(cube), "value_key": key_of(cube)})
        if frame is None:
            return None
        return key_ints(ints(drop_zero(frame, by, "_n").drop(columns="_n"), "value"))
    return run


__all__ = ["aligned", "answer", "cells", "count", "each_period", "enabled", "key_of", "measure",
           "share", "total"]
