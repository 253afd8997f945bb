"""Disclosure control for aggregate-only viewers (donors): the method, applied once.

Why: a dashboard is a table builder. Donors choose countries, periods and breakdowns, so
any two answers can be subtracted (all countries − two of them = the third; the whole
programme − 2016 = 2015; a rate × its denominator = its numerator). Hiding small cells table
by table does not survive that (issue 14: 803 of 1,707 hidden cells were recovered
exactly). The method below holds over every table a donor can ask for.

Method: consistent cell-key random rounding ("cell-key perturbation", as the ONS and the
ABS use for their table builders). Settings: ``SUPPRESSION_THRESHOLD`` = T (default 5)
and ``DISCLOSURE_ROUNDING_BASE`` = B (default 5), carried by the viewer's ``Scope``.

1. Every record that donor counts are made of (a returnee; a cooperative; a capacity
   activity) has a secret random *record key* (0 … 2**20 − 1), given once and never shown.
   A count's *cell key* is the sum of the keys of the records behind it, so the same set
   of records always gets the same key, whichever question produced it.
2. A count v with cell key k: 0 … T − 1 is not shown (value hidden, note "<T": fewer
   than T, possibly none); any other v is rounded to one of the two multiples of B
   around it:
   r = v mod B, u = k mod B, published p = v − r when u ≥ r, else v − r + B (and never
   below T: then the upper one). Multiples of B stay as they are. On average the rounding
   is zero (p = v in expectation), and a published p means the true count lies between
   p − (B − 1) and p + (B − 1) (and is at least T). Because the same records always give
   the same p, asking again, or asking the same cells another way, teaches nothing; and
   because totals are rounded on their own, subtracting published figures leaves an
   uncertainty of several units on each side: a small count cannot be pinned down.
   Zero is hidden like 1 … T − 1 because an exact 0 beside "<T" = "1 … T − 1" lets sums
   pin counts down: a hidden total (at most 4) split into three hidden cells (each at
   least 1) leaves each cell 1 or 2, and a few more such sums leave one value (the
   differencing test found 123 counts pinned that way on the demo data).
3. Everything else is built from protected counts: a rate is the protected numerator ÷
   the protected denominator, shown only when that denominator is at least T and the
   numerator is not hidden (so rate × denominator gives back only the protected
   numerator). Money sums (ASS-2), medians (ASS-3), mean scores (FUP-4) and any figure
   with a basis column (``records``/``beneficiaries``) are shown only when the protected
   basis is at least T; a mean is recomputed as sum ÷ protected basis; FUP-4's sustainable
   share is the protected sustainable count ÷ the protected number scored, and COOP-2's
   share the protected members ÷ the protected BEN-2.
4. No secondary suppression: rounding makes subtraction imprecise. So a table's cells need
   not add up to its total (each is rounded on its own); donors are told so.
5. What leaves: for every scope the ``*_key`` columns are dropped. For donors, every count
   column is protected, derived figures are recomputed as above, and a numeric column this
   module does not know is blanked (fail closed): ``donor_columns`` is the whitelist.
   Staff scopes get their values unchanged (``value_note`` empty).

Keys come from the queries: every raw frame carries, beside each count column ``c``, a
column ``c_key`` with the raw sum of the record keys behind it (``value`` when the kind is
"count", ``numerator``, ``denominator``, ``records``, ``beneficiaries``; FUP-4's sustainable
count as ``sustainable_key``). Where one is missing, a key is derived from a stable hash of
the row's breakdown values and the column name (deterministic, but the same records asked
another way may round the other way), and ``(name, column)`` is recorded in
``FALLBACK_KEYS`` so a test can insist that no indicator needs it.

Known limits (docs/disclosure.md): published counts are close to, not equal to, the
internal ones (at most B − 1 away); cells need not add up; money sums are exact once their
protected record count reaches T, so two large sums can still be subtracted to give the
money of a few records; the random rounding protects counts, not the identity of a
cooperative that the cooperative list names.

Every indicator result passes through ``apply`` (``metrics.engine.indicator``), and the
other donor figures (``metrics.pipeline.disclose``) too, so a page, chart, tooltip, table,
export or deck only ever sees protected figures. Hidden values are NaN and ``value_note``
says why ("<5", or "hidden (n<5)" for a figure whose basis is small).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence

import numpy as np
import pandas as pd

from data_access.scope import Scope

KEY_SUFFIX = "_key"
KEY_RANGE = 2 ** 20
COUNT_COLUMNS = ("numerator", "denominator", "records", "beneficiaries")
BASIS_COLUMNS = ("denominator", "records", "beneficiaries")
# Measures derived here from protected counts (anything else numeric is blanked for donors).
MEAN_COLUMNS = ("mean", "economic", "social", "psychosocial")
SHARE_COLUMNS = ("share", "sustainable_share")
LABEL_COLUMNS = ("value_note", "period", "period_start")
# (name, column) of every count that had no key column and used the hashed fallback.
FALLBACK_KEYS: set[tuple[str, str]] = set()


def small(series: pd.Series, threshold: int) -> pd.Series:
    values = pd.to_numeric(series, errors="coerce")
    return (values >= 1) & (values < threshold)


def round_count(value: float, key: int, base: int, threshold: int) -> float:
    """The published value of one count (NaN for 1 … threshold − 1)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return math.nan
    v = int(round(float(value)))
    if v < threshold:  # 0 too: see rule 2
        return math.nan
    if base <= 1:
        return float(v)
    r, u = v % base, int(key) % base
    p = v - r if u >= r else v - r + base
    if p < threshold:  # never publish a shown value below the threshold
        p = v - r + base if r else v
    return float(p)


def protect(values: pd.Series, keys: pd.Series, scope: Scope) -> pd.Series:
    """Each count of ``values`` rounded with its cell key (``keys``) for ``scope``."""
    return pd.Series([round_count(v, k, scope.rounding_base, scope.suppression_threshold)
                      for v, k in zip(pd.to_numeric(values, errors="coerce"), keys,
                                      strict=True)],
                     index=values.index, dtype=float)


def published_bounds(shown: float, scope: Scope) -> tuple[float, float]:
    """What a shown count says about the true value: the smallest and largest possible."""
    if shown == 0:
        return 0.0, 0.0
    spread = max(scope.rounding_base, 1) - 1
    return max(shown - spread, scope.suppression_threshold), shown + spread


def _fallback_key(frame: pd.DataFrame, column: str, dims: Sequence[str]) -> pd.Series:
    texts = ["|".join(str(v) for v in row) for row in
             frame[list(dims)].itertuples(index=False, name=None)] if dims else \
        [""] * len(frame)
    return pd.Series([zlib.crc32(f"{text}#{column}".encode()) % KEY_RANGE for text in texts],
                     index=frame.index, dtype="int64")


def _keys(frame: pd.DataFrame, column: str, dims: Sequence[str], name: str) -> pd.Series:
    key = column + KEY_SUFFIX
    if key in frame.columns:
        return pd.to_numeric(frame[key], errors="coerce").fillna(0).astype("int64")
    FALLBACK_KEYS.add((name, column))
    return _fallback_key(frame, column, dims)


def _counts(frame: pd.DataFrame, kind: str) -> list[str]:
    return [c for c in (("value",) if kind == "count" else ()) + COUNT_COLUMNS
            if c in frame.columns]


def donor_columns(frame: pd.DataFrame, dims: Sequence[str], kind: str) -> list[str]:
    """The columns a donor frame may carry with their values: breakdowns, labels (text),
    protected counts and the figures derived from them here."""
    allowed = set(dims) | set(LABEL_COLUMNS) | set(_counts(frame, kind)) | {"value"}
    allowed |= set(MEAN_COLUMNS) | set(SHARE_COLUMNS)
    return [c for c in frame.columns if c in allowed or not (
        pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c]))]


def apply(frame: pd.DataFrame, scope: Scope, kind: str, by: Sequence[str], *,
          name: str = "") -> pd.DataFrame:
    """``frame`` as ``scope`` may see it (see the module docstring); ``name`` names the
    figure in ``FALLBACK_KEYS``."""
    frame = frame.copy()
    dims = [d for d in by if d in frame.columns]
    counts = _counts(frame, kind)
    keys = {c: _keys(frame, c, dims, name or kind) for c in counts}
    sustainable_key = None
    if "sustainable_share" in frame.columns and "beneficiaries" in frame.columns:
        sustainable_key = _keys(frame, "sustainable", dims, name or kind)
    frame = frame.drop(columns=[c for c in frame.columns if str(c).endswith(KEY_SUFFIX)])
    frame["value_note"] = ""
    if not scope.aggregates_only or frame.empty:
        return frame
    threshold = scope.suppression_threshold
    note = f"<{threshold}"
    basis_note = f"hidden (n{note})"
    raw = {c: pd.to_numeric(frame[c], errors="coerce").astype(float) for c in counts}
    shown = {c: protect(raw[c], keys[c], scope) for c in counts}
    allowed = donor_columns(frame, dims, kind)
    for column in frame.columns:
        if column not in allowed:  # fail closed: a number this module does not protect
            frame[column] = float("nan")
        elif column not in dims and column not in LABEL_COLUMNS and (
                pd.api.types.is_numeric_dtype(frame[column]) or column == "value"):
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    for column in counts:
        frame[column] = shown[column]
    basis = next((c for c in BASIS_COLUMNS if c in frame.columns), None)
    enough = (shown[basis] >= threshold) if basis else pd.Series(False, index=frame.index)
    if kind == "count":
        frame.loc[frame["value"].isna() & raw["value"].notna(), "value_note"] = note
        if "share" in frame.columns:  # COOP-2: members ÷ BEN-2, from protected counts
            frame["share"] = _ratio(shown["value"], shown.get("denominator"), threshold)
        if basis in ("records", "beneficiaries"):  # a sum with a count behind it
            hide = ~enough & frame["value"].notna()
            frame.loc[hide, "value"] = float("nan")
            frame.loc[hide, "value_note"] = basis_note
    elif kind == "rate":
        numerator = shown.get("numerator")
        if numerator is None or "denominator" not in shown:
            frame["value"] = float("nan")
            frame["value_note"] = basis_note
        else:
            frame["value"] = _ratio(numerator, shown["denominator"], threshold)
            frame.loc[frame["value"].isna() & numerator.isna(), "value_note"] = note
            frame.loc[~(shown["denominator"] >= threshold), "value_note"] = basis_note
    else:  # money, days, score: shown only with enough records or people behind them
        if basis is None:
            frame["value"] = float("nan")
            frame["value_note"] = basis_note
        else:
            frame.loc[~enough, "value"] = float("nan")
            frame.loc[~enough, "value_note"] = basis_note
    if basis is not None:
        for column in MEAN_COLUMNS:
            if column not in frame.columns:
                continue
            if column == "mean" and kind == "money":  # sum ÷ protected records
                frame[column] = frame["value"] / shown[basis].where(enough)
            else:
                frame.loc[~enough, column] = float("nan")
        if sustainable_key is not None:
            count = (pd.to_numeric(frame["sustainable_share"], errors="coerce")
                     * raw["beneficiaries"]).round()
            frame["sustainable_share"] = _ratio(protect(count, sustainable_key, scope),
                                                shown["beneficiaries"], threshold)
    else:
        for column in MEAN_COLUMNS + SHARE_COLUMNS:
            if column in frame.columns and not (column == "share" and kind == "count"):
                frame[column] = float("nan")
    return frame


def _ratio(numerator: pd.Series, denominator: pd.Series | None,
           threshold: int) -> pd.Series:
    """numerator ÷ denominator where the denominator reaches the threshold and the
    numerator is shown; NaN elsewhere."""
    if denominator is None:
        return pd.Series(np.nan, index=numerator.index, dtype=float)
    ok = (denominator >= threshold) & numerator.notna()
    return (numerator / denominator.where(ok)).astype(float)


def cumulative(frame: pd.DataFrame, scope: Scope, kind: str, by: Sequence[str], *,
               name: str = "", monotone: bool = False) -> pd.DataFrame:
    """Disclosure of a cumulative series (``period`` in ``by``, periods in order).

    Each row is the figure of its own range (start of the filter to the end of its period:
    ``metrics.engine._cumulative`` cumulates raw counts with their raw keys, or recomputes
    the range), so each is protected on its own, exactly as if that range had been asked
    for: consecutive values differ by a multiple of the base, never by the true count of
    a period. ``monotone`` (additive counts, whose true running total never falls): a
    donor's shown value is the largest shown so far in its series, so the line never dips
    because of rounding; it stays within B − 1 of the true value (the true total only
    grows), so it says nothing a single range would not."""
    out = apply(frame, scope, kind, by, name=name)
    if not (monotone and scope.aggregates_only and kind == "count") or out.empty \
            or "period" not in out.columns:
        return out
    dims = [d for d in by if d != "period" and d in out.columns]
    order = "period_start" if "period_start" in out.columns else "period"
    out = out.sort_values([*dims, order], kind="stable")
    values = out["value"]
    running = values.groupby([out[d] for d in dims], dropna=False).cummax() if dims \
        else values.cummax()
    out["value"] = running.where(values.notna())
    return out.loc[frame.index]
