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
   that group is hidden too, repeated until no group has exactly one hidden cell. Such a
   cell is noted "hidden" (its value is not small, it is hidden to protect another).
4. A hidden row hides every measure in it (a mean × records or a share × denominator
   would give the value back); a ``share`` beside a count is a rate and is hidden when
   its denominator is below the threshold; a non-count figure that carries no
   denominator/records/beneficiaries column is hidden whole (fail closed).
5. Cumulative series (``cumulative``): consecutive shown values never differ by a small
   count, since that difference is a period's own count.

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
SECONDARY_NOTE = "hidden"  # hidden so that a hidden small count cannot be worked out


def small(series: pd.Series, threshold: int) -> pd.Series:
    values = pd.to_numeric(series, errors="coerce")
    return (values >= 1) & (values < threshold)


def drop_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame without its cell-key columns (``*_key``): keys never reach a viewer."""
    return frame.drop(columns=[c for c in frame.columns if str(c).endswith("_key")])


def apply(frame: pd.DataFrame, scope: Scope, kind: str, by: Sequence[str]) -> pd.DataFrame:
    frame = drop_keys(frame)
    frame["value_note"] = ""
    if not scope.aggregates_only or frame.empty:
        return frame
    threshold = scope.suppression_threshold
    note = f"<{threshold}"
    dims = [d for d in by if d in frame.columns]
    if kind == "count":
        primary = small(frame["value"], threshold)
    else:
        basis = next((c for c in BASIS_COLUMNS if c in frame.columns), None)
        if basis is None:  # nothing says how many stand behind it: fail closed
            primary = pd.Series(True, index=frame.index)
        else:
            primary = pd.to_numeric(frame[basis], errors="coerce").fillna(0) < threshold
    hide = secondary(frame, primary, dims) if kind == "count" and dims else primary.copy()
    # A share next to a count (COOP-2) is a rate: hidden when its denominator is small.
    if "share" in frame.columns and "denominator" in frame.columns:
        small_base = pd.to_numeric(frame["denominator"], errors="coerce").fillna(0) < threshold
        frame["share"] = pd.to_numeric(frame["share"], errors="coerce").astype(float)
        frame.loc[small_base, "share"] = float("nan")
    # A hidden row hides every measure in it: a mean, share or numerator beside a hidden
    # value would give it back (mean × records, share × denominator).
    for column in frame.columns:
        if column in dims or column in ("value_note", "period_start", "period"):
            continue
        if pd.api.types.is_numeric_dtype(frame[column]) or column == "value":
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
        elif not hide.any():
            continue
        else:
            frame[column] = frame[column].astype(object)
        frame.loc[hide, column] = float("nan")
    for column in COUNT_COLUMNS:
        if column in frame.columns:
            frame.loc[small(frame[column], threshold), column] = float("nan")
    frame.loc[hide & ~primary, "value_note"] = SECONDARY_NOTE
    frame.loc[primary, "value_note"] = note if kind == "count" else f"hidden (n{note})"
    return frame


def cumulative(frame: pd.DataFrame, scope: Scope, kind: str, by: Sequence[str]) -> pd.DataFrame:
    """Disclosure of a cumulative series (``period`` in ``by``, periods in order).

    ``apply`` per period is not enough: the difference of two consecutive cumulative
    values is that period's own count, which may be small and hidden in the per-period
    table. So, for a count, a cumulative value is shown only when it differs from the
    last value shown in its series by 0 or at least the threshold.
    """
    frame = drop_keys(frame)
    dims = [d for d in by if d != "period" and d in frame.columns]
    if "period" not in by or "period" not in frame.columns or frame.empty:
        return apply(frame, scope, kind, by)
    # Each period's cumulative figures form their own table (they add up across the other
    # breakdowns, not across periods).
    frame = pd.concat([apply(part, scope, kind, dims)
                       for _, part in frame.groupby("period", sort=False, dropna=False)]
                      ).loc[frame.index]
    if not scope.aggregates_only or kind != "count":
        return frame
    threshold = scope.suppression_threshold
    raw = pd.to_numeric(frame["value"], errors="coerce")
    order = "period_start" if "period_start" in frame.columns else "period"
    for index in _groups(frame, dims):
        shown = 0.0
        for i in frame.loc[list(index)].sort_values(order, kind="stable").index:
            value = raw[i]
            if pd.isna(value):
                continue
            if value - shown == 0 or value - shown >= threshold:
                shown = float(value)
                continue
            frame.loc[i, "value"] = float("nan")
            frame.loc[i, "value_note"] = SECONDARY_NOTE
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
            for index in _groups(frame, keys):
                members = pd.Index(index)
                if int(hide[members].sum()) != 1:
                    continue
                candidates = values[members][(~hide[members]) & (values[members] > 0)]
                if candidates.empty:
                    continue
                hide[candidates.idxmin()] = True
                changed = True
    return hide


def _groups(frame: pd.DataFrame, keys: Sequence[str]) -> list[pd.Index]:
    """The row labels of each group of ``keys`` (all rows as one group without keys)."""
    if not keys:
        return [frame.index]
    by = keys[0] if len(keys) == 1 else list(keys)
    return [pd.Index(index) for index in frame.groupby(by, dropna=False).groups.values()]
