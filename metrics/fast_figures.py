"""The figures that are not catalogue indicators, read from their analytics cubes.

``analytics.figure_cubes`` builds the cubes. Each function here returns the same raw
figures the case-table query returns (before disclosure), or None when the cubes cannot
answer exactly — stale or absent cubes, a range that is not whole months, a breakdown the
cubes do not keep — and then the caller reads the case tables, as ``metrics.fast`` does for
the indicators. Cohorts are "in the period" by the cell's ``month``; "by the period end" is
``link <= `` the last month (signed rows make intervals of period ends count once).
Cells are read through the CountryScoped ``AnalyticsCell``: the scope applies to them.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from analytics import figure_cubes
from analytics.figure_cubes import STEPS
from data_access.models import AnalyticsCell as C
from metrics import fast
from metrics.filters import Filters

PIPELINE_STEPS = dict(zip(("registered", "counselled", "plan_approved", "assisted",
                           "monitored"), STEPS, strict=True))
ROUTE_BREAKDOWNS = {"country", "region", "sex", "age_group", "vulnerability"}


def usable(session: Session, f: Filters) -> bool:
    return fast.aligned(f) and fast.enabled(session)


def _months(f: Filters) -> tuple[int, int]:
    return fast.month(f.start), fast.month(f.end)


def _by_end(f: Filters) -> Any:
    """n of the cells whose ``link`` month is on or before the period's last month."""
    return func.coalesce(func.sum(case((C.link <= fast.month(f.end), C.n), else_=0)), 0)


def _by_end_key(f: Filters) -> Any:
    """The key sums (issue 14) of the cells ``_by_end`` counts."""
    return func.coalesce(func.sum(case((C.link <= fast.month(f.end), C.k), else_=0)), 0)


def _rows(session: Session, cube: str, f: Filters, *columns: Any, keys: tuple[Any, ...] = (),
          variants: tuple[str, ...] = ("",)) -> list[Any]:
    """SELECT keys, columns FROM the cube's rollup-0 cells in the filter's months (the
    variants named, so the index on cube, variant, rollup, month is used whole)."""
    first, last = _months(f)
    conditions = [C.cube == cube, C.variant.in_(variants), C.rollup == 0,
                  C.month.between(first, last)]
    if f.countries:
        conditions.append(C.country.in_(f.countries))
    stmt = select(*keys, *columns).where(*conditions)
    if keys:
        stmt = stmt.group_by(*keys)
    return list(session.execute(stmt).all())


def funnel(session: Session, f: Filters) -> tuple[dict[str, int], dict[str, pd.DataFrame]] | None:
    """Per step: returnees reached by the end, and the histogram (days, n) of its days."""
    if not usable(session, f):
        return None
    codes = {code: step for step, code in PIPELINE_STEPS.items()}
    counts = {name: 0 for step in PIPELINE_STEPS for name in (step, step + "_key")}
    for variant, value, key in _rows(session, figure_cubes.PIPELINE, f, _by_end(f), _by_end_key(f),
                                     keys=(C.variant,), variants=STEPS):
        counts[codes[variant]] = int(value)
        counts[codes[variant] + "_key"] = int(key)
    histograms = {step: pd.DataFrame({"days": pd.Series(dtype="int64"),
                                      "n": pd.Series(dtype="int64"),
                                      "k": pd.Series(dtype="int64")})
                  for step in PIPELINE_STEPS}
    rows = _rows(session, figure_cubes.PIPELINE_DAYS, f, _by_end(f).label("n"),
                 _by_end_key(f).label("k"), keys=(C.variant, C.days), variants=STEPS[1:])
    frame = pd.DataFrame(rows, columns=["variant", "days", "n", "k"])
    frame = frame[pd.to_numeric(frame["n"]) > 0]
    for variant, part in frame.groupby("variant"):
        histograms[codes[str(variant)]] = pd.DataFrame(
            {"days": part["days"].astype("int64"), "n": part["n"].astype("int64"),
             "k": pd.to_numeric(part["k"]).astype("int64")})
    return counts, histograms


def check_counts(session: Session, f: Filters) -> dict[str, int] | None:
    """Records failing each data-quality check, by check code."""
    if not usable(session, f):
        return None
    names = {"dbr": "delivery_before_return", "neg": "negative_amount",
             "bar": "birth_after_return", "ovd": "followup_overdue"}
    counts = {name: 0 for name in names.values()}
    for variant, value in _rows(session, figure_cubes.QUALITY, f, _by_end(f), keys=(C.variant,),
                                 variants=tuple(names)):
        counts[names[variant]] = int(value)
    for cube, name in ((figure_cubes.DUPLICATE_CASE, "duplicate_case_number"),
                       (figure_cubes.DUPLICATE_PERSON, "duplicate_person")):
        groups = _duplicate_groups(cube, f).subquery()
        counts[name] = int(session.execute(select(func.coalesce(func.sum(groups.c.n), 0)))
                           .scalar_one())
    return counts


def _duplicate_groups(cube: str, f: Filters) -> Any:
    """SELECT link, n: the duplicate groups (``link``: the group's smallest id) with two or
    more of the cohort's returnees, and how many."""
    first, last = _months(f)
    conditions = [C.cube == cube, C.variant == "", C.rollup == 0, C.month.between(first, last)]
    if f.countries:
        conditions.append(C.country.in_(f.countries))
    return (select(C.link.label("link"), func.sum(C.n).label("n")).where(*conditions)
            .group_by(C.link).having(func.sum(C.n) > 1))


def duplicate_links(session: Session, f: Filters, cube: str) -> Any | None:
    """SELECT link of the duplicate groups of the cohort, or None when the cubes cannot say
    exactly. Only in an unrestricted scope: a group's link may be a returnee of a country
    the viewer does not see, whose key the caller then could not read."""
    if session.info["scope"].countries is not None or not usable(session, f):
        return None
    return select(_duplicate_groups(cube, f).subquery().c.link)


def completeness(session: Session, f: Filters) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The two per-country frames ``metrics.quality.completeness`` builds: returnees and
    their fields filled; delivered assistance and grants and their fields filled."""
    if not usable(session, f):
        return None
    sums = [func.coalesce(func.sum(c), 0) for c in (C.n, C.s1, C.s2, C.s3, C.s4)]
    rows = _rows(session, figure_cubes.COMPLETENESS, f, *sums, keys=(C.country, C.variant),
                 variants=("ben", "hh", "asst"))
    cells = pd.DataFrame(rows, columns=["country", "variant", "n", "s1", "s2", "s3", "s4"])
    columns = {"ben": {"n": "expected", "s1": "region", "s2": "birth_year",
                       "s3": "host_country", "s4": "return_type"},
               "hh": {"s1": "household_size"},
               "asst": {"n": "delivered", "s1": "delivered_date", "s2": "amount_eur",
                        "s3": "grants", "s4": "sector"}}

    def part(variant: str) -> pd.DataFrame:
        chosen = cells[cells["variant"] == variant].set_index("country")
        out = chosen[list(columns[variant])].rename(columns=columns[variant])
        return out.apply(pd.to_numeric).round().astype("int64")

    people = part("ben").join(part("hh"), how="left").fillna(0).astype("int64")
    return (people.sort_index().reset_index(),
            part("asst").sort_index().reset_index())


def route(session: Session, f: Filters, by: tuple[str, ...]) -> pd.DataFrame | None:
    """by-columns, individual, cooperative: BEN-2 split by a collective delivery by the end."""
    if not usable(session, f) or not set(by) <= ROUTE_BREAKDOWNS:
        return None
    frame = fast.cells(session, figure_cubes.ROUTE, f, by, {"cooperative": _by_end(f),
                                                  "_n": func.coalesce(func.sum(C.n), 0),
                                                  "cooperative_key": _by_end_key(f),
                                                  "_k": func.coalesce(func.sum(C.k), 0)},
                       variant="")
    if frame is None:
        return None
    frame = fast.drop_zero(frame, by, "_n")
    total = pd.to_numeric(frame.pop("_n")).round().astype("int64")
    total_key = pd.to_numeric(frame.pop("_k")).round().astype("int64")
    frame["cooperative"] = pd.to_numeric(frame["cooperative"]).round().astype("int64")
    frame["cooperative_key"] = pd.to_numeric(frame["cooperative_key"]).round().astype("int64")
    frame.insert(len(by), "individual", total - frame["cooperative"])
    frame["individual_key"] = total_key - frame["cooperative_key"]
    if by:
        frame = frame.sort_values(list(by), kind="stable").reset_index(drop=True)
    return frame


def host_countries(session: Session, f: Filters) -> pd.DataFrame | None:
    """host_country, value: returnees registered in the period by host country."""
    if not usable(session, f):
        return None
    rows = _rows(session, figure_cubes.HOST_COUNTRY, f, func.sum(C.n), func.sum(C.k),
                 keys=(C.kind,))
    frame = pd.DataFrame(rows, columns=["host_country", "value", "value_key"])
    frame["value"] = pd.to_numeric(frame["value"]).astype(float)
    frame["value_key"] = pd.to_numeric(frame["value_key"]).fillna(0).astype("int64")
    return frame[frame["value"] > 0]


def amount_bands(session: Session, f: Filters) -> dict[int, tuple[int, int]] | None:
    """band -> (delivered records with an amount, delivered in the period; their key sum)."""
    if not usable(session, f):
        return None
    rows = _rows(session, figure_cubes.AMOUNT_BAND, f, func.sum(C.n), func.sum(C.k), keys=(C.kind,))
    return {int(band): (int(n), int(k or 0)) for band, n, k in rows if n}
