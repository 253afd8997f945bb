"""The fast path: indicators answered from the analytics tables (``analytics.cubes``).

``answer(code, session, filters, by)`` returns the same frame the indicator's case-table
query returns (before ``_finish`` and disclosure), or None when it cannot answer exactly —
then the caller reads the case tables. It answers when:

- the analytics tables are fresh (no case-table write since the last refresh) and, for
  FUP-4, were built with the current score weights and threshold;
- the date range is whole months (first day of a month to the last day of a month);
  every sidebar preset is; other ranges read the case tables, which are exact to the day;
- the breakdowns are ones a cube keeps (region and vulnerability together are not, nor
  two assistance breakdowns at once for distinct counts).

The cells are read through the ORM model ``AnalyticsCell``, which is CountryScoped: the
scope listener restricts them like any case table.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import Integer, case, func, literal, select
from sqlalchemy.orm import Session

from analytics import cubes
from analytics.cubes import NO_NEXT, REGION, SEXAGE, VULNERABILITY
from data_access.models import AnalyticsCell as C
from metrics.filters import Filters

ASSISTANCE = ("sector", "modality", "kind")
SUMMABLE = {"reg", "dlv", "att"}  # plain event counts: a finer variant may be summed


def aligned(f: Filters) -> bool:
    return f.whole_months is not None  # the one whole-month test (metrics.filters)


def month(day: dt.date) -> int:
    return day.year * 100 + day.month


def enabled(session: Session) -> bool:
    return session.info.get("analytics", True) and cubes.is_fresh(session) is not None


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


def _variant(cube: str, by: tuple[str, ...]) -> str | None:
    groups = tuple(d for d in ASSISTANCE if d in by)
    if cube == "trn" or cube == "att":
        groups = ("kind",) if "kind" in by else ()
    wanted = "smk" if len(groups) > 1 else (groups[0] if groups else "")
    built = cubes.CUBES[cube]
    if wanted in built:
        return wanted
    if cube in SUMMABLE:
        return "smk" if "smk" in built else built[-1]
    return None


def _period_key(granularity: str) -> Any:
    m = C.month
    if granularity == "month":
        return m
    if granularity == "year":
        return m // 100
    return (m // 100) * 10 + ((m % 100) + 2) // 3


def _period_first(granularity: str) -> Any:
    m = C.month
    if granularity == "month":
        return m
    if granularity == "year":
        return (m // 100) * 100 + 1
    return (m // 100) * 100 + (((m % 100) - 1) // 3) * 3 + 1


def _period_last(granularity: str) -> Any:
    m = C.month
    if granularity == "month":
        return m
    if granularity == "year":
        return (m // 100) * 100 + 12
    return (m // 100) * 100 + (((m % 100) - 1) // 3) * 3 + 3


def cells(session: Session, cube: str, f: Filters, by: tuple[str, ...],
          measures: dict[str, Any], *, link: str | None = None,
          months: tuple[int, int] | None = None, variant: str | None = None,
          extra_keys: tuple[Any, ...] = ()) -> pd.DataFrame | None:
    """SELECT by-columns, measures FROM the cube's cells in the filter's months.

    ``link``: "previous" keeps events whose previous qualifying event is before the start
    of the range (or of the event's period); "next" those whose next one is after its end.
    """
    rollup = _rollup(by)
    variant = _variant(cube, by) if variant is None else variant
    if rollup is None or variant is None:
        return None
    first, last = months or (month(f.start), month(f.end))
    columns = []
    for name in by:
        if name == "period":
            columns.append(_period_key(f.granularity).label("period_key"))
        else:
            columns.append(getattr(C, name).label(name))
    conditions = [C.cube == cube, C.variant == variant, C.rollup == rollup,
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


def _count(column: Any = None) -> Any:
    return func.coalesce(func.sum(C.n if column is None else column), 0)


def _ksum(column: Any) -> Any:
    """A key sum of the cells (issue 14): k behind n, k1… behind the counts s1…."""
    return func.coalesce(func.sum(column), 0)


def _key_ints(frame: pd.DataFrame) -> pd.DataFrame:
    from metrics.engine import KEY_SUFFIX, keys_of

    for column in frame.columns:
        if str(column).endswith(KEY_SUFFIX) and column != "period_key":
            frame[column] = keys_of(frame[column])
    return frame


def _keys(by: tuple[str, ...]) -> list[str]:
    return ["period_key" if d == "period" else d for d in by]


def _ints(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Counts summed from FLOAT cells come back as floats; the case tables give integers."""
    for column in columns:
        frame[column] = pd.to_numeric(frame[column]).round().astype("int64")
    return frame


def _drop_zero(frame: pd.DataFrame, by: tuple[str, ...], column: str) -> pd.DataFrame:
    """Groups the case-table query would not return (no qualifying row) have 0 here."""
    if not by:
        return frame
    return frame[pd.to_numeric(frame[column]) > 0].reset_index(drop=True)


# --- per indicator ---------------------------------------------------------------------

class _NoAnswer(Exception):
    pass


def _simple(cube: str, link: str | None = None):  # type: ignore[no-untyped-def]
    def run(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame | None:
        frame = cells(session, cube, f, by, {"value": _count(), "value_key": _ksum(C.k)},
                      link=link)
        return None if frame is None else _key_ints(_drop_zero(frame, by, "value"))
    return run


def ass_2(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame | None:
    frame = cells(session, "dlv", f, by, {"value": func.coalesce(func.sum(C.s1), 0),
                                         "records": _count(C.s2), "_n": _count(),
                                         "records_key": _ksum(C.k2)})
    if frame is None:
        return None
    frame = _drop_zero(frame, by, "_n").drop(columns="_n")
    total = pd.to_numeric(frame["value"]).astype(float)
    records = pd.to_numeric(frame["records"]).astype(float)
    frame["value"] = total.round(2)
    frame["mean"] = (total / records.where(records > 0)).astype(float).round(2)
    frame["records"] = frame["records"].astype(int)
    return _key_ints(frame[[*_keys(by), "value", "mean", "records", "records_key"]])


def ben_3(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame | None:
    frame = cells(session, "first", f, by, {"numerator": _count(C.s1),
                                           "denominator": _count(),
                                           "numerator_key": _ksum(C.k1),
                                           "denominator_key": _ksum(C.k)})
    if frame is None:
        return None
    frame = _key_ints(_drop_zero(frame, by, "denominator"))
    frame = _ints(frame, "numerator", "denominator")
    frame["value"] = frame["numerator"] / frame["denominator"].where(frame["denominator"] > 0)
    return frame


def _merge(num: pd.DataFrame, den: pd.DataFrame, by: tuple[str, ...]) -> pd.DataFrame:
    from metrics.engine import merge_ratio

    return merge_ratio(num, den, by)


def coop_2(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame | None:
    from metrics.indicators.assistance import members_share

    keyed = {"value": _count(), "value_key": _ksum(C.k)}
    members = cells(session, "coll", f, by, keyed)
    assisted = cells(session, "first", f, by, keyed)
    if members is None or assisted is None:
        return None
    return members_share(_merge(_drop_zero(members, by, "value"),
                                _drop_zero(assisted, by, "value"), by))


# TRN-2, training uptake: its own cube "upt" (analytics.cubes), read like FUP-1's
# due list: everything up to the period's last month, one pair of reads per period.

def _uptake(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame | None:
    from metrics.engine import ratio

    up_to = (0, month(f.end))
    cohort = cells(session, "first", f, by, {"denominator": _count(),
                                             "denominator_key": _ksum(C.k)},
                   months=up_to, variant="")
    trained = cells(session, "upt", f, by, {"numerator": _count(),
                                           "numerator_key": _ksum(C.k)}, months=up_to)
    if cohort is None or trained is None:
        return None
    keys = _keys(by)
    result = (cohort.merge(trained, on=keys, how="left") if keys
              else pd.concat([cohort, trained], axis=1))
    result["numerator"] = pd.to_numeric(result["numerator"]).fillna(0).astype(int)
    result["denominator"] = pd.to_numeric(result["denominator"]).fillna(0).astype(int)
    result = result[result["denominator"] > 0].reset_index(drop=True)
    result = result[[*keys, "numerator", "denominator", "numerator_key", "denominator_key"]]
    result["numerator_key"] = pd.to_numeric(result["numerator_key"]).fillna(0)
    result = _key_ints(result)
    result["value"] = ratio(result["numerator"], result["denominator"])
    return result


def _uptake_or_raise(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    result = _uptake(session, f, by)
    if result is None:
        raise _NoAnswer
    return result


def trn_2(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame | None:
    from metrics.engine import per_period

    try:
        return per_period(_uptake_or_raise, session, f, by)
    except _NoAnswer:
        return None


def trn_3(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame | None:
    from metrics.engine import ratio

    frame = cells(session, "att", f, by, {"numerator": _count(C.s1), "denominator": _count(),
                                         "numerator_key": _ksum(C.k1),
                                         "denominator_key": _ksum(C.k)})
    if frame is None:
        return None
    frame = _ints(_drop_zero(frame, by, "denominator"), "numerator", "denominator")
    frame = _key_ints(frame)
    frame["value"] = ratio(frame["numerator"], frame["denominator"])
    return frame


def ass_3(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame | None:
    from metrics.indicators.timing import medians

    histogram = cells(session, "wait", f, by, {"n": _count(), "k": _ksum(C.k)},
                      extra_keys=(C.days,))
    if histogram is None:
        return None
    return medians(histogram[histogram["n"] > 0], _keys(by))


def _coverage(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame | None:
    from metrics.engine import ratio

    # Due: first delivery + 182 days falls in a month up to the period's last month.
    due = cells(session, "due", f, by, {"denominator": _count(),
                                        "denominator_key": _ksum(C.k)},
                months=(0, month(f.end)))
    covered = cells(session, "cov", f, by, {"numerator": _count(),
                                            "numerator_key": _ksum(C.k)}, link="previous")
    if due is None or covered is None:
        return None
    keys = _keys(by)
    result = due.merge(covered, on=keys, how="left") if keys else pd.concat([due, covered], axis=1)
    result["numerator"] = pd.to_numeric(result["numerator"]).fillna(0).astype(int)
    result = result[pd.to_numeric(result["denominator"]) > 0].reset_index(drop=True)
    result = _key_ints(result[[*keys, "numerator", "denominator", "numerator_key",
                               "denominator_key"]])
    result["value"] = ratio(result["numerator"], result["denominator"])
    return result


def _coverage_or_raise(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    result = _coverage(session, f, by)
    if result is None:
        raise _NoAnswer
    return result


def fup_1(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame | None:
    """Each period has its own due list: one pair of cube reads per period."""
    from metrics.engine import per_period

    try:
        return per_period(_coverage_or_raise, session, f, by)
    except _NoAnswer:
        return None


def _survival(visited: str, operating: str):  # type: ignore[no-untyped-def]
    # The key sums behind s1…s3 are k1…k3, behind n it is k.
    keyed = ("k" + operating[1:], "k" if visited == "n" else "k" + visited[1:])

    def run(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame | None:
        from metrics.engine import ratio

        frame = cells(session, "f2", f, by, {"numerator": _count(getattr(C, operating)),
                                            "denominator": _count(getattr(C, visited)),
                                            "numerator_key": _ksum(getattr(C, keyed[0])),
                                            "denominator_key": _ksum(getattr(C, keyed[1]))},
                      link="next")
        if frame is None:
            return None
        frame = _key_ints(_drop_zero(frame, by, "denominator"))
        frame = _ints(frame, "numerator", "denominator")
        frame["value"] = ratio(frame["numerator"], frame["denominator"])
        return frame
    return run


def fup_3(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame | None:
    frame = cells(session, "f3", f, by, {"value": func.coalesce(func.sum(C.s1), 0),
                                        "_n": _count(), "value_key": _ksum(C.k)}, link="next")
    if frame is None:
        return None
    return _key_ints(_ints(_drop_zero(frame, by, "_n").drop(columns="_n"), "value"))


def fup_4(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame | None:
    weights, threshold = cubes.current_settings()
    if cubes.is_fresh(session) != cubes.settings_key(weights, threshold):
        return None
    frame = cells(session, "f4", f, by, {"n": _count(), "e": func.sum(C.s1),
                                        "s": func.sum(C.s2), "p": func.sum(C.s3),
                                        "ok": func.sum(C.s4), "nk": _ksum(C.k),
                                        "okk": _ksum(C.k4)},
                  link="next")
    if frame is None:
        return None
    frame = _drop_zero(frame, by, "n")
    n = pd.to_numeric(frame["n"]).astype(float)
    n = n.where(n > 0)
    e, s, p = (pd.to_numeric(frame[c]).astype(float) for c in ("e", "s", "p"))
    total = float(sum(weights))
    out = frame[_keys(by)].copy()
    out["value"] = (weights[0] * e + weights[1] * s + weights[2] * p) / n / total
    out["economic"] = e / n
    out["social"] = s / n
    out["psychosocial"] = p / n
    out["sustainable_share"] = pd.to_numeric(frame["ok"]).astype(float) / n
    out["beneficiaries"] = frame["n"].astype(int)
    out["beneficiaries_key"] = frame["nk"]
    out["sustainable_key"] = frame["okk"]  # the key behind the sustainable count
    out = _key_ints(out)
    from metrics.indicators.followup import round_means

    return round_means(out)


ANSWERS = {
    "BEN-1": _simple("reg"), "BEN-2": _simple("first"), "BEN-3": ben_3,
    "ASS-1": _simple("dlv"), "ASS-2": ass_2, "ASS-3": ass_3, "COOP-2": coop_2,
    "TRN-1": _simple("trn", link="previous"), "TRN-2": trn_2, "TRN-3": trn_3,
    "FUP-1": fup_1, "FUP-2": _survival("n", "s1"), "FUP-2-12M": _survival("s2", "s3"),
    "FUP-3": fup_3, "FUP-4": fup_4,
}


def answer(code: str, session: Session, f: Filters, by: tuple[str, ...]
           ) -> pd.DataFrame | None:
    """The indicator from the analytics tables, or None (then use the case tables)."""
    fn = ANSWERS.get(code)
    if fn is None or not aligned(f) or not enabled(session):
        return None
    return fn(session, f, by)


__all__ = ["ANSWERS", "NO_NEXT", "aligned", "answer", "enabled"]
