"""Disclosure control for aggregate-only viewers (donors): the rules, applied once.

Rules (domain.md, "Privacy rules"), for a scope with ``aggregates_only``:

1. Primary: a count between 1 and threshold − 1 is hidden and shown as "<threshold"
   (zero stays zero: it reveals no person).
2. Rates are hidden when their denominator is below the threshold; money, days and scores
   (means, medians) are hidden when fewer than threshold records or people stand behind
   them. Their numerator/denominator/count columns are counts and follow rule 1.
3. Secondary: within every group of a breakdown that adds up to a total shown elsewhere
   (all rows of a one-way table; each row and each column of a two-way table), a single
   hidden cell could be recovered by subtraction, so the next-smallest non-zero cell of
   that group is hidden too, repeated until no group has exactly one hidden cell.

Every indicator result passes through ``apply`` (see ``metrics.engine.indicator``), so a
page, chart, tooltip, table or export only ever sees disclosed figures. Hidden values are
NaN and ``value_note`` says why ("<5"); other scopes get ``value_note`` empty.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from data_access.scope import Scope

COUNT_COLUMNS = ("numerator", "denominator", "records", "beneficiaries")
BASIS_COLUMNS = ("denominator", "records", "beneficiaries")


def small(series: pd.Series, threshold: int) -> pd.Series:
    values = pd.to_numeric(series, errors="coerce")
    return (values >= 1) & (values < threshold)


def apply(frame: pd.DataFrame, scope: Scope, kind: str, by: Sequence[str]) -> pd.DataFrame:
    frame = frame.copy()
    frame["value_note"] = ""
    if not scope.aggregates_only or frame.empty:
        return frame
    threshold = scope.suppression_threshold
    note = f"<{threshold}"
    hide = pd.Series(False, index=frame.index)
    if kind == "count":
        hide |= small(frame["value"], threshold)
    else:
        basis = next((c for c in BASIS_COLUMNS if c in frame.columns), None)
        if basis is not None:
            hide |= pd.to_numeric(frame[basis], errors="coerce").fillna(0) < threshold
    dims = [d for d in by if d in frame.columns]
    if kind == "count" and dims:
        hide = secondary(frame, hide, dims)
    frame.loc[hide, "value"] = float("nan")
    frame.loc[hide, "value_note"] = note if kind == "count" else f"hidden (n{note})"
    for column in frame.columns:
        if column in COUNT_COLUMNS:
            hidden = small(frame[column], threshold)
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
            frame.loc[hidden, column] = float("nan")
    if kind != "count":
        for column in frame.columns:
            if column not in dims and column not in ("value", "value_note", "period_start") \
                    and column not in COUNT_COLUMNS:
                frame.loc[hide, column] = float("nan")
    return frame


def secondary(frame: pd.DataFrame, hide: pd.Series, dims: Sequence[str]) -> pd.Series:
    """Hide the next-smallest cell wherever a group has exactly one hidden cell."""
    hide = hide.copy()
    values = pd.to_numeric(frame["value"], errors="coerce").fillna(0)
    groupings: list[list[str]] = [[]] if len(dims) == 1 else [
        [d for d in dims if d != free] for free in dims]
    changed = True
    while changed:
        changed = False
        for keys in groupings:
            groups = frame.groupby(keys, dropna=False).groups.values() if keys \
                else [frame.index]
            for index in groups:
                members = pd.Index(index)
                if int(hide[members].sum()) != 1:
                    continue
                candidates = values[members][(~hide[members]) & (values[members] > 0)]
                if candidates.empty:
                    continue
                hide[candidates.idxmin()] = True
                changed = True
    return hide
