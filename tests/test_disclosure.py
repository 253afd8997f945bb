"""Disclosure control on hand-made tables that carry record-key sums (issue 14).

The method (data_access/disclosure.py): with threshold T = 5 and base B = 5, a count v with
cell key k is hidden when v < 5; otherwise r = v mod 5, u = k mod 5 and the published
value is v − r when u ≥ r, else v − r + 5. Every figure below is worked out by hand.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from data_access import disclosure
from data_access.scope import Scope

DONOR = Scope(countries=None, aggregates_only=True, suppression_threshold=5, rounding_base=5)
MANAGER = Scope.everything()


def nan(value: float) -> bool:
    return isinstance(value, float) and math.isnan(value)


@pytest.mark.parametrize(("value", "key", "shown"), [
    (7, 3, 5),  # r = 2, u = 3 ≥ 2: down
    (7, 1, 10),  # r = 2, u = 1 < 2: up
    (7, 1 + 5 * 1000, 10),  # only k mod 5 matters
    (10, 0, 10), (10, 4, 10),  # multiples of the base are exact
    (9, 4, 5), (9, 3, 10),  # r = 4: down only when u = 4
    (6, 0, 10), (6, 1, 5),  # r = 1: down unless u = 0
    (5, 2, 5), (12, 2, 10), (13, 2, 15),
])
def test_rounding_by_the_cell_key(value: int, key: int, shown: int) -> None:
    assert disclosure.round_count(value, key, 5, 5) == shown


@pytest.mark.parametrize("value", [0, 1, 2, 3, 4])
def test_counts_below_the_threshold_are_hidden_zero_included(value: int) -> None:
    assert nan(disclosure.round_count(value, 3, 5, 5))


def test_the_rounding_is_unbiased_over_the_keys() -> None:
    for value in range(5, 40):
        shown = [disclosure.round_count(value, key, 5, 5) for key in range(5)]
        assert sum(shown) / 5 == value
        assert all(abs(p - value) <= 4 and p % 5 == 0 for p in shown)


def test_a_shown_value_never_falls_below_the_threshold() -> None:
    # T = 7, B = 5: 8 would round down to 5, which looks small: it goes up to 10.
    assert disclosure.round_count(8, 4, 5, 7) == 10
    assert disclosure.round_count(12, 4, 5, 7) == 10


def test_staff_see_raw_values_and_no_keys() -> None:
    table = pd.DataFrame({"sector": ["a", "b"], "value": [2, 47], "value_key": [3, 9]})
    out = disclosure.apply(table, MANAGER, "count", ("sector",))
    assert out["value"].tolist() == [2, 47]
    assert out["value_note"].tolist() == ["", ""]
    assert "value_key" not in out


def test_donor_counts_are_rounded_with_their_keys_and_small_ones_hidden() -> None:
    table = pd.DataFrame({"sector": ["a", "b", "c", "d"], "value": [3, 7, 7, 0],
                          "value_key": [0, 3, 1, 4]})
    out = disclosure.apply(table, DONOR, "count", ("sector",))
    assert nan(out.loc[0, "value"]) and out.loc[0, "value_note"] == "<5"
    assert out.loc[1, "value"] == 5 and out.loc[2, "value"] == 10
    assert nan(out.loc[3, "value"]) and out.loc[3, "value_note"] == "<5"
    assert [c for c in out.columns if c.endswith("_key")] == []


def test_the_same_records_get_the_same_value_whatever_the_question() -> None:
    # A total asked alone and the same cell as a row of a breakdown: same key, same value.
    alone = disclosure.apply(pd.DataFrame({"value": [23], "value_key": [1234]}), DONOR,
                             "count", ())
    row = disclosure.apply(pd.DataFrame({"country": ["TN", "MA"], "value": [23, 40],
                                         "value_key": [1234, 77]}), DONOR, "count",
                           ("country",))
    assert alone.loc[0, "value"] == row.loc[0, "value"] == 20  # r = 3, u = 4 ≥ 3


def test_a_rate_comes_from_its_protected_numerator_and_denominator() -> None:
    # numerator 3 (hidden), 13 → u = 2 < 3: 15; 26 → u = 0 < 1: 30; denominators
    # 5 → 5, 23 → u = 4 ≥ 3: 20; 34 → u = 4 ≥ 4: 30; 4 hidden.
    table = pd.DataFrame({"country": ["MA", "SN", "TN", "XX"],
                          "numerator": [3, 13, 26, 2], "numerator_key": [0, 2, 0, 0],
                          "denominator": [5, 23, 34, 4], "denominator_key": [0, 4, 4, 0],
                          "value": [0.6, 13 / 23, 26 / 34, 0.5]})
    out = disclosure.apply(table, DONOR, "rate", ("country",))
    assert nan(out.loc[0, "value"]) and nan(out.loc[0, "numerator"])  # 0.6 × 5 = 3 no more
    assert out.loc[0, "denominator"] == 5 and out.loc[0, "value_note"] == "<5"
    assert out.loc[1, "value"] == 15 / 20 and out.loc[1, "numerator"] == 15
    assert out.loc[2, "value"] == 1.0  # 30 ÷ 30: the protected figures, not 26/34
    assert nan(out.loc[3, "value"]) and out.loc[3, "value_note"] == "hidden (n<5)"
    assert nan(out.loc[3, "denominator"]) and nan(out.loc[3, "numerator"])


def test_money_follows_its_protected_records_and_the_mean_is_recomputed() -> None:
    table = pd.DataFrame({"sector": ["a", "b"], "value": [2000.0, 12000.0],
                          "mean": [1000.0, 1000.0], "records": [2, 12],
                          "records_key": [0, 1]})  # 12, u = 1 < 2: 15
    out = disclosure.apply(table, DONOR, "money", ("sector",))
    assert nan(out.loc[0, "value"]) and nan(out.loc[0, "mean"]) and nan(out.loc[0, "records"])
    assert out.loc[1, "records"] == 15 and out.loc[1, "value"] == 12000.0
    assert out.loc[1, "mean"] == 800.0  # sum ÷ mean gives 15, the protected count


def test_scores_and_the_sustainable_share_follow_protected_counts() -> None:
    # 32 scored (u = 3 ≥ 2: 30), 26 sustainable (key 0 < 1: 30): share 30/30.
    table = pd.DataFrame({"value": [0.6], "economic": [0.7], "social": [0.5],
                          "psychosocial": [0.6], "sustainable_share": [26 / 32],
                          "beneficiaries": [32], "beneficiaries_key": [3],
                          "sustainable_key": [0]})
    out = disclosure.apply(table, DONOR, "score", ())
    assert out.loc[0, "beneficiaries"] == 30 and out.loc[0, "sustainable_share"] == 1.0
    assert out.loc[0, "value"] == 0.6 and out.loc[0, "economic"] == 0.7
    few = disclosure.apply(table.assign(beneficiaries=[4]), DONOR, "score", ())
    assert all(nan(few.loc[0, c]) for c in ("value", "economic", "sustainable_share",
                                            "beneficiaries"))


def test_a_share_beside_a_count_comes_from_protected_counts() -> None:
    # COOP-2: members 3 (hidden) and 21 (u = 0 < 1: 25) of BEN-2 30 and 52 (u = 2 ≥ 2: 50).
    table = pd.DataFrame({"country": ["MA", "SN"], "value": [3, 21], "value_key": [0, 0],
                          "share": [0.1, 21 / 52], "denominator": [30, 52],
                          "denominator_key": [0, 2]})
    out = disclosure.apply(table, DONOR, "count", ("country",))
    assert nan(out.loc[0, "share"]) and out.loc[0, "denominator"] == 30
    assert out.loc[1, "share"] == 25 / 50


def test_a_figure_without_a_basis_is_hidden_whole() -> None:
    out = disclosure.apply(pd.DataFrame({"value": [0.61]}), DONOR, "score", ())
    assert nan(out.loc[0, "value"])


def test_an_unknown_number_does_not_ride_along() -> None:
    table = pd.DataFrame({"sector": ["a"], "value": [12], "value_key": [1], "raw_total": [12],
                          "label": ["Agriculture"]})
    out = disclosure.apply(table, DONOR, "count", ("sector",))
    assert nan(out.loc[0, "raw_total"]) and out.loc[0, "label"] == "Agriculture"
    assert out.loc[0, "value"] == 15


def test_a_missing_key_falls_back_deterministically_and_is_recorded() -> None:
    disclosure.FALLBACK_KEYS.discard(("test-figure", "value"))
    table = pd.DataFrame({"sector": ["a", "b"], "value": [17, 23]})
    first = disclosure.apply(table, DONOR, "count", ("sector",), name="test-figure")
    again = disclosure.apply(table, DONOR, "count", ("sector",), name="test-figure")
    assert first["value"].tolist() == again["value"].tolist()
    assert set(first["value"]) <= {15.0, 20.0, 25.0}
    assert ("test-figure", "value") in disclosure.FALLBACK_KEYS


def test_a_cumulative_row_is_protected_like_its_own_range() -> None:
    # Running sums 7, 12, 13 with running keys 1, 3, 7: 10, 10, 15; steps are multiples
    # of 5, never the period's own count (5, 1).
    table = pd.DataFrame({"period": ["2015Q1", "2015Q2", "2015Q3"], "period_start": [1, 2, 3],
                          "value": [7, 12, 13], "value_key": [1, 3, 7]})
    out = disclosure.cumulative(table, DONOR, "count", ("period",))
    assert out["value"].tolist() == [10.0, 10.0, 15.0]
