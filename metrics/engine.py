"""What every indicator shares: the registry, breakdown columns, period labels, cumulation.

An indicator is a function ``(session, filters, by) -> DataFrame`` registered with
``@indicator("CODE")``. The wrapper checks the breakdowns against the catalogue, turns period
keys into labels, and passes the result through ``data_access.disclosure`` with the scope of
the session, so no caller can get an undisclosed figure. Results have one column per
breakdown (``period`` as a label such as ``2016Q3`` plus ``period_start``), ``value`` and the
indicator's secondary measures.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import SQLColumnExpression, String, cast, func, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from analytics import cubes as analytics_cubes
from analytics import shapes
from analytics.shapes import Cube
from data_access import disclosure
from data_access.models import BeneficiaryVulnerability
from data_access.vocab import age_group_case
from metrics import catalogue, periods
from metrics.filters import Filters

IndicatorFn = Callable[[Session, Filters, tuple[str, ...]], pd.DataFrame]
Reader = Callable[[Session, Filters, tuple[str, ...]], "pd.DataFrame | None"]
# code -> its reader from the analytics cubes (``indicator(..., fast=...)``).
FAST: dict[str, Reader] = {}
REGISTRY: dict[str, Callable[..., pd.DataFrame]] = {}
# The same functions before disclosure, for building derived figures (cumulation) that
# are disclosed once at the end. Never hand their results to a viewer.
_RAW: dict[str, Callable[..., pd.DataFrame]] = {}

# Distinct counts that can only grow as a range grows (unlike FUP-3's jobs at the latest
# visit): a donor's cumulative line of them never dips (``disclosure.cumulative``).
GROWING = frozenset({"COOP-2", "TRN-1", "CAP-1"})

UNKNOWN = "unknown"
NONE = "none"


def indicator(code: str, *, cubes: Sequence[Cube] = (), fast: Reader | None = None
              ) -> Callable[[IndicatorFn], Callable[..., pd.DataFrame]]:
    """Register an indicator: ``fn`` its case-table query; ``cubes`` the analytics cubes
    it is read from (declared beside it: ``analytics.shapes``), ``fast`` the reader that
    answers from them (``metrics.fast``), tried first on whole-month ranges."""
    spec = catalogue.get(code)
    for cube in cubes:
        shapes.declare(cube)
    if fast is not None:
        FAST[code] = fast

    def wrap(fn: IndicatorFn) -> Callable[..., pd.DataFrame]:
        def raw(session: Session, filters: Filters, by: Sequence[str] = ()) -> pd.DataFrame:
            by = tuple(by)
            unknown = [d for d in by if d not in spec.breakdowns]
            if unknown:
                raise ValueError(f"{code} has no breakdown {', '.join(unknown)}; "
                                 f"it has {', '.join(spec.breakdowns)}")
            result = from_cubes(code, session, filters, by)
            if result is None:
                result = fn(session, filters, by)
            return _finish(result, by, filters)

        @functools.wraps(fn)
        def run(session: Session, filters: Filters, by: Sequence[str] = ()) -> pd.DataFrame:
            return disclosure.apply(raw(session, filters, by), session.info["scope"],
                                    spec.kind, tuple(by), name=code)

        _RAW[code] = raw
        REGISTRY[code] = run
        return run

    return wrap


def from_cubes(code: str, session: Session, filters: Filters, by: tuple[str, ...]
               ) -> pd.DataFrame | None:
    """The indicator read from the analytics cubes, or None (then read the case tables):
    when it has a reader, the range is whole months (cells are monthly), the session may
    use the cubes and they are fresh (no case-table write since the last build)."""
    reader = FAST.get(code)
    if reader is None or filters.whole_months is None:
        return None
    if not session.info.get("analytics", True) or analytics_cubes.is_fresh(session) is None:
        return None
    own = periods.reporting_periods(filters.granularity)
    if "period" in by and own and not periods.month_aligned(own):
        return None  # cells are monthly: quarters not made of whole months need the days
    return reader(session, filters, by)


def compute(code: str, session: Session, filters: Filters, by: Sequence[str] = (),
            *, cumulative: bool = False) -> pd.DataFrame:
    """The one entry point pages, exports and the command line use."""
    code = catalogue.get(code).code
    if code not in REGISTRY:
        raise NotImplementedError(f"{code} is not computed yet")
    if cumulative:
        return _cumulative(code, session, filters, tuple(by))
    return REGISTRY[code](session, filters, by)


# --- breakdown columns ---------------------------------------------------------------

def age_group(ben: Any) -> ColumnElement[str]:
    """Age at return, in the groups of issue 3 (``unknown`` without a birth year)."""
    group: ColumnElement[str] = age_group_case(ben.return_date, ben.birth_year)
    return group


def beneficiary_dims(stmt: Select[*tuple[Any, ...]], by: Sequence[str], ben: Any, *,
                     date: SQLColumnExpression[Any], filters: Filters,
                     extra: Mapping[str, SQLColumnExpression[Any]] | None = None,
                     ) -> tuple[Select[*tuple[Any, ...]], list[ColumnElement[Any]]]:
    """Add the breakdown columns ``by`` to ``stmt``; ``ben`` must already be in its FROM.

    ``extra`` supplies breakdowns that come from the indicator's own tables (sector,
    kind, …). Returns the statement (with any join a breakdown needs) and the columns to
    select and group by.
    """
    extra = extra or {}
    columns: list[ColumnElement[Any]] = []
    for name in by:
        if name == "period":
            col: ColumnElement[Any] = periods.period_key(date, filters.granularity)
        elif name in extra:
            col = cast(extra[name], String)
        elif name == "age_group":
            col = age_group(ben)
        elif name == "vulnerability":
            vul = aliased(BeneficiaryVulnerability)
            stmt = stmt.outerjoin(vul, vul.beneficiary_id == ben.id)
            col = func.coalesce(cast(vul.vulnerability, String), NONE)
        elif name in ("region", "host_country"):
            col = func.coalesce(getattr(ben, name), UNKNOWN)
        elif name in ("country", "sex", "return_type"):
            col = func.coalesce(cast(getattr(ben, name), String), UNKNOWN)
        else:
            raise ValueError(f"no breakdown {name!r} here")
        columns.append(col.label("period_key" if name == "period" else name))
    return stmt, columns


def entity_dims(entity: Any, by: Sequence[str], *, date: SQLColumnExpression[Any],
                filters: Filters) -> list[ColumnElement[Any]]:
    """Breakdown columns taken from one table's own columns (cooperatives, capacity)."""
    columns: list[ColumnElement[Any]] = []
    for name in by:
        if name == "period":
            columns.append(periods.period_key(date, filters.granularity).label("period_key"))
        else:
            columns.append(func.coalesce(cast(getattr(entity, name), String), UNKNOWN)
                           .label(name))
    return columns


def per_period(fn: IndicatorFn, session: Session, filters: Filters,
               by: tuple[str, ...]) -> pd.DataFrame:
    """``fn`` once per period of the filter (clipped to it), for a ``period`` breakdown.

    For indicators whose population depends on where the period ends (FUP-1: who is due
    a visit), so a period cannot be a GROUP BY key. Periods are few (≤ 24 months).
    """
    if "period" not in by:
        return fn(session, filters, by)
    dims = tuple(d for d in by if d != "period")
    parts = []
    for key in periods.keys_between(filters.start, filters.end, filters.granularity):
        first, last = periods.bounds(key, filters.granularity)
        part = fn(session, filters.with_period(max(first, filters.start),
                                               min(last, filters.end)), dims)
        part.insert(0, "period_key", key)
        parts.append(part)
    if not parts:  # a range outside every reporting period: no period, no row
        part = fn(session, filters, dims).iloc[0:0]
        part.insert(0, "period_key", pd.Series(dtype="int64"))
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def in_period(column: SQLColumnExpression[Any], filters: Filters) -> ColumnElement[bool]:
    return column.between(filters.start, filters.end)


def country_filter(entity: Any, filters: Filters) -> list[ColumnElement[bool]]:
    """The viewer's own country filter (the scope is applied separately, in data_access)."""
    return [entity.country.in_(filters.countries)] if filters.countries else []


def frame(session: Session, stmt: Select[*tuple[Any, ...]]) -> pd.DataFrame:
    result = session.execute(stmt)
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    num = pd.to_numeric(numerator, errors="coerce").astype(float)
    den = pd.to_numeric(denominator, errors="coerce").astype(float)
    return (num / den.where(den > 0)).astype(float)


def merge_ratio(num: pd.DataFrame, den: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """value = numerator ÷ denominator on the same breakdown (missing numerator = 0).
    Their key sums (``value_key``), when given, become numerator_key/denominator_key."""
    keys = ["period_key" if d == "period" else d for d in by]
    num = num.rename(columns={"value": "numerator", "value_key": "numerator_key"})
    den = den.rename(columns={"value": "denominator", "value_key": "denominator_key"})
    if keys:
        merged = den.merge(num, on=keys, how="outer")
    else:
        merged = pd.concat([den.reset_index(drop=True), num.reset_index(drop=True)], axis=1)
    merged["numerator"] = pd.to_numeric(merged.get("numerator"), errors="coerce").fillna(0)
    merged["denominator"] = pd.to_numeric(merged.get("denominator"),
                                          errors="coerce").fillna(0)
    for column in ("numerator_key", "denominator_key"):
        if column in merged:
            merged[column] = keys_of(merged[column])
    merged["value"] = ratio(merged["numerator"], merged["denominator"])
    return merged


# --- record keys (issue 14) ----------------------------------------------------------
# Every count column c of a raw result has c + "_key": the sum of the record keys behind it
# (data_access.models.KEY_RANGE); data_access.disclosure perturbs c with it and drops it.
KEY_SUFFIX = "_key"


def keys_of(series: pd.Series) -> pd.Series:
    """A key-sum column as int64 (missing = no record = 0)."""
    return pd.to_numeric(series, errors="coerce").fillna(0).round().astype("int64")


def key_sum(key: SQLColumnExpression[Any], where: ColumnElement[bool] | None = None
            ) -> ColumnElement[Any]:
    """SUM of the record keys of the grouped rows (those matching ``where``), 0 for none.
    Only where each counted record or beneficiary is one row of its group."""
    total = func.sum(key) if where is None else func.sum(key).filter(where)
    return func.coalesce(total, 0)


def distinct_counts(session: Session, stmt: Select[*tuple[Any, ...]],
                    entity: SQLColumnExpression[Any], key: SQLColumnExpression[Any],
                    by: Sequence[str],
                    value: str = "value") -> pd.DataFrame:
    """``value`` = COUNT(DISTINCT entity) per group of ``stmt`` (grouped by the breakdown
    columns ``by``, with no measures of its own), and ``value_key`` the sum of the keys of
    those entities, each once per group however many rows it has there."""
    names = ["period_key" if d == "period" else d for d in by]
    inner = stmt.add_columns(entity.label("_entity"), key.label("_key")).group_by(
        entity, key).subquery("per_entity")
    dims = [inner.c[n] for n in names]
    outer = select(*dims, func.count().label(value),
                   func.coalesce(func.sum(inner.c["_key"]), 0).label(value + KEY_SUFFIX))
    return frame(session, outer.group_by(*dims) if dims else outer)


# --- result shape --------------------------------------------------------------------

def _finish(df: pd.DataFrame, by: Sequence[str], filters: Filters) -> pd.DataFrame:
    df = df.copy()
    if "period" in by:
        if "period_key" in df:  # a day outside every reporting period has no quarter
            df = df[df["period_key"].notna()].reset_index(drop=True)
        keys = df.pop("period_key").astype(int) if "period_key" in df else pd.Series(dtype=int)
        df.insert(list(by).index("period"), "period",
                  [periods.label(k, filters.granularity) for k in keys])
        df["period_start"] = [periods.bounds(k, filters.granularity)[0] for k in keys]
    if not by and df.empty:
        df = pd.DataFrame({"value": [0]})
    dims = list(by)
    if dims and not df.empty:
        sort = ["period_start" if d == "period" else d for d in dims]
        df = df.sort_values(sort, kind="stable").reset_index(drop=True)
    for col in df.columns:
        if str(col).endswith(KEY_SUFFIX) and col not in dims:
            df[col] = keys_of(df[col])
        elif col not in dims and col != "period_start" and df[col].dtype == object:
            # Decimal sums and the like come back as objects
            with contextlib.suppress(TypeError, ValueError):
                df[col] = pd.to_numeric(df[col]).astype(float)
    return df


def _cumulative(code: str, session: Session, filters: Filters,
                by: tuple[str, ...]) -> pd.DataFrame:
    """Cumulative value at the end of each period, from the start of the filter.

    Additive indicators: the running sum of per-period values (and of their raw key sums,
    so each cumulative count gets the key of the records behind it). Others (distinct counts
    dated by repeatable events, rates, medians): the indicator recomputed over
    [filters.start, end of each period], which is exact by construction.
    """
    spec = catalogue.get(code)
    dims = [d for d in by if d != "period"]
    keys = periods.keys_between(filters.start, filters.end, filters.granularity)
    scope = session.info["scope"]
    if spec.additive:
        per = _RAW[code](session, filters, tuple(dims) + ("period",))
        # Every count and its raw key sum (``*_key``) cumulates; a mean is recomputed.
        summed = [c for c in per.columns if c not in (*dims, "period", "period_start",
                                                      "mean")
                  and pd.api.types.is_numeric_dtype(per[c])]
        rows = []
        groups = per.groupby(dims, dropna=False) if dims else [((), per)]
        for group_key, group in groups:
            by_period = group.set_index("period")
            running = dict.fromkeys(summed, 0.0)
            for key in keys:
                label = periods.label(key, filters.granularity)
                for column in summed:
                    value = by_period[column].get(label, 0) if label in by_period.index \
                        else 0
                    running[column] += 0 if pd.isna(value) else float(value)
                row = dict(zip(dims, group_key if isinstance(group_key, tuple)
                               else (group_key,), strict=False))
                row.update(period=label,
                           period_start=periods.bounds(key, filters.granularity)[0],
                           **running)
                if "mean" in per.columns:
                    records = running.get("records", 0.0)
                    row["mean"] = running["value"] / records if records else float("nan")
                rows.append(row)
        columns = dims + ["period", "period_start"] + summed + (
            ["mean"] if "mean" in per.columns else [])
        result = pd.DataFrame(rows, columns=columns)
    else:
        parts = []
        for key in keys:
            end = min(periods.bounds(key, filters.granularity)[1], filters.end)
            part = _RAW[code](session, filters.with_period(filters.start, end), dims)
            part.insert(0, "period", periods.label(key, filters.granularity))
            part["period_start"] = periods.bounds(key, filters.granularity)[0]
            parts.append(part)
        result = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
            columns=["period", "period_start", "value"])
    # Each row is the figure of its own range, protected on its own (with the range's key).
    return disclosure.cumulative(result, scope, spec.kind, tuple(dims) + ("period",),
                                 name=code, monotone=spec.additive or code in GROWING)

