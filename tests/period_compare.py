"""Test helper (no page uses it, so it left metrics/): an indicator for a period next to
the previous period and the same period a year earlier.

``previous`` is the period of the same length ending the day before this one starts
(``Filters.previous``); ``year_earlier`` is the same dates one year back
(``Filters.year_earlier``). Values are the disclosed figures of ``metrics.compute``, so a
change involving a hidden figure is itself hidden (NaN). Relative changes are fractions
(0.25 = +25 %) and NaN where the earlier value is 0 or hidden. With a breakdown, a group
missing from one period counts as 0 for counts and sums, and as unknown for rates,
medians and scores.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sqlalchemy.orm import Session

from metrics import catalogue
from metrics.engine import compute
from metrics.filters import Filters

COLUMNS = ("value", "previous", "year_earlier", "previous_change", "previous_relative",
           "year_earlier_change", "year_earlier_relative")


def relative(change: pd.Series, base: pd.Series) -> pd.Series:
    base = pd.to_numeric(base, errors="coerce").astype(float)
    return (pd.to_numeric(change, errors="coerce").astype(float)
            / base.where(base != 0).abs())


def compare(code: str, session: Session, filters: Filters,
            by: Sequence[str] = ()) -> pd.DataFrame:
    """One row per group of ``by`` (one row without): this period, the two earlier ones,
    and the absolute and relative changes. ``by`` may not contain ``period``: periods of
    different ranges have different labels, so they cannot be lined up."""
    if "period" in by:
        raise ValueError("compare lines up groups, not periods: leave 'period' out of by")
    keys = list(by)
    parts = {
        "value": compute(code, session, filters, by),
        "previous": compute(code, session, filters.previous(), by),
        "year_earlier": compute(code, session, filters.year_earlier(), by),
    }
    frames = [df[keys + ["value"]].rename(columns={"value": name}).assign(**{f"_{name}": 1})
              for name, df in parts.items()]
    result = frames[0]
    for other in frames[1:]:
        result = (result.merge(other, on=keys, how="outer") if keys
                  else pd.concat([result, other], axis=1))
    # A group absent from a period had none of what a count or sum counts: 0, not unknown.
    # (A hidden figure is present, as NaN, and stays hidden.)
    zero_if_absent = catalogue.get(code).kind in ("count", "money")
    for name in parts:
        absent = result.pop(f"_{name}").isna()
        result[name] = result[name].astype(float)
        if zero_if_absent:
            result.loc[absent, name] = 0.0
    for earlier in ("previous", "year_earlier"):
        change = result["value"].astype(float) - result[earlier].astype(float)
        result[f"{earlier}_change"] = change
        result[f"{earlier}_relative"] = relative(change, result[earlier])
    if keys:
        result = result.sort_values(keys, kind="stable").reset_index(drop=True)
    return result[keys + list(COLUMNS)]
