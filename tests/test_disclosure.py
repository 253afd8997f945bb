"""Disclosure control on hand-made tables (domain.md, "Privacy rules")."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from data_access import disclosure
from data_access.scope import Scope

DONOR = Scope(countries=None, aggregates_only=True, suppression_threshold=5)
MANAGER = Scope.everything()


def hidden(frame: pd.DataFrame) -> list[bool]:
    return [bool(math.isnan(v)) for v in frame["value"].astype(float)]


def recoverable(frame: pd.DataFrame, total: float) -> bool:
    """Could exactly one hidden cell be worked out as total − the shown cells?"""
    return sum(hidden(frame)) == 1 and total - frame["value"].sum() > 0


def test_other_scopes_see_every_figure() -> None:
    table = pd.DataFrame({"sector": ["a", "b"], "value": [2, 40]})
    out = disclosure.apply(table, MANAGER, "count", ("sector",))
    assert out["value"].tolist() == [2, 40]
    assert out["value_note"].tolist() == ["", ""]


def test_primary_small_counts_are_hidden_and_zero_stays() -> None:
    table = pd.DataFrame({"value": [3]})
    out = disclosure.apply(table, DONOR, "count", ())
    assert hidden(out) == [True] and out["value_note"][0] == "<5"
    assert disclosure.apply(pd.DataFrame({"value": [0]}), DONOR, "count", ())["value"][0] == 0
    assert disclosure.apply(pd.DataFrame({"value": [5]}), DONOR, "count", ())["value"][0] == 5


def test_one_way_secondary_suppression() -> None:
    # Total 3 + 12 + 20 + 0 = 35 is shown elsewhere: hiding only the 3 would leave it as
    # 35 − 12 − 20. The next-smallest non-zero cell (12) is hidden too; the zero is not.
    table = pd.DataFrame({"sector": ["trade", "crafts", "farming", "fishing"],
                          "value": [3, 12, 20, 0]})
    out = disclosure.apply(table, DONOR, "count", ("sector",))
    assert hidden(out) == [True, True, False, False]
    assert out["value_note"].tolist() == ["<5", disclosure.SECONDARY_NOTE, "", ""]
    assert not recoverable(out, 35)
    assert out.loc[2, "value"] == 20 and out.loc[3, "value"] == 0


def test_one_way_with_two_small_cells_needs_no_secondary() -> None:
    table = pd.DataFrame({"sector": ["a", "b", "c"], "value": [2, 4, 30]})
    out = disclosure.apply(table, DONOR, "count", ("sector",))
    assert hidden(out) == [True, True, False]
    assert out["value_note"].tolist() == ["<5", "<5", ""]


def test_two_way_secondary_suppression_covers_rows_and_columns() -> None:
    #            F    M   (row totals shown elsewhere)
    #   MA       2   30
    #   SN      10   40
    #   TN      20   50
    table = pd.DataFrame({"country": ["MA", "MA", "SN", "SN", "TN", "TN"],
                          "sex": ["F", "M", "F", "M", "F", "M"],
                          "value": [2, 30, 10, 40, 20, 50]})
    out = disclosure.apply(table, DONOR, "count", ("country", "sex"))
    grid = out.set_index(["country", "sex"])["value"]
    # Every row and every column has zero or at least two hidden cells.
    for key in ("country", "sex"):
        for _, group in out.groupby(key):
            assert sum(hidden(group)) != 1, (key, group)
    assert math.isnan(grid["MA", "F"]) and math.isnan(grid["MA", "M"])  # row MA
    assert math.isnan(grid["SN", "F"])  # column F: the next-smallest is SN's 10
    assert math.isnan(grid["SN", "M"])  # which leaves row SN with one: hide SN M too
    assert grid["TN", "F"] == 20 and grid["TN", "M"] == 50


def test_rates_with_small_denominators_are_hidden_with_their_measures() -> None:
    table = pd.DataFrame({"country": ["MA", "SN"], "value": [0.5, 0.2],
                          "numerator": [2, 10], "denominator": [4, 50]})
    out = disclosure.apply(table, DONOR, "rate", ("country",))
    assert hidden(out) == [True, False]
    assert math.isnan(out.loc[0, "numerator"]) and math.isnan(out.loc[0, "denominator"])
    assert out.loc[1, "value"] == 0.2 and out.loc[1, "denominator"] == 50
    assert out.loc[0, "value_note"].startswith("hidden")


def test_a_small_numerator_is_hidden_even_when_the_rate_is_shown() -> None:
    table = pd.DataFrame({"value": [0.04], "numerator": [2], "denominator": [50]})
    out = disclosure.apply(table, DONOR, "rate", ())
    assert out.loc[0, "value"] == 0.04 and math.isnan(out.loc[0, "numerator"])


def test_money_and_means_follow_their_records() -> None:
    table = pd.DataFrame({"sector": ["a", "b"], "value": [2000.0, 9000.0],
                          "mean": [1000.0, 900.0], "records": [2, 10]})
    out = disclosure.apply(table, DONOR, "money", ("sector",))
    assert hidden(out) == [True, False]
    assert math.isnan(out.loc[0, "mean"]) and math.isnan(out.loc[0, "records"])
    assert out.loc[1, "mean"] == 900.0


def test_a_figure_without_a_basis_is_hidden_whole() -> None:
    out = disclosure.apply(pd.DataFrame({"value": [0.61]}), DONOR, "score", ())
    assert hidden(out) == [True]


def test_a_share_beside_a_hidden_count_is_hidden() -> None:
    # COOP-2: members (a count), share of BEN-2. share × denominator would give the count.
    table = pd.DataFrame({"country": ["MA", "SN", "TN"], "value": [3, 20, 30],
                          "share": [0.1, 0.5, 0.6], "denominator": [30, 40, 50]})
    out = disclosure.apply(table, DONOR, "count", ("country",))
    assert hidden(out) == [True, True, False]
    assert math.isnan(out.loc[0, "share"]) and math.isnan(out.loc[1, "share"])
    assert out.loc[2, "share"] == 0.6


def test_a_share_with_a_small_denominator_is_hidden() -> None:
    table = pd.DataFrame({"value": [0], "share": [0.0], "denominator": [3]})
    out = disclosure.apply(table, DONOR, "count", ())
    assert math.isnan(out.loc[0, "share"]) and math.isnan(out.loc[0, "denominator"])


@pytest.mark.parametrize(("values", "shown"), [
    ([10, 12, 20, 21], [True, False, True, False]),  # +2 and +1 would be period counts
    ([10, 10, 15, 30], [True, True, True, True]),  # +0, +5, +15 reveal nothing small
    ([3, 8, 9, 20], [False, True, False, True]),
])
def test_cumulative_series_never_step_by_a_small_count(values: list[int],
                                                       shown: list[bool]) -> None:
    table = pd.DataFrame({"period": ["2015Q1", "2015Q2", "2015Q3", "2015Q4"],
                          "period_start": [1, 2, 3, 4], "value": values})
    out = disclosure.cumulative(table, DONOR, "count", ("period",))
    assert [not h for h in hidden(out)] == shown
    steps = out["value"].dropna().diff().dropna()
    assert not ((steps > 0) & (steps < 5)).any()
