"""Chart builders remember what they built (``views.chart_memo.remembered``): the same figures,
arguments and language give the same chart back; anything else builds a new one."""

from __future__ import annotations

import pandas as pd

from i18n import language
from views import chart_memo, charts


def _frame(values: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"sector": ["agriculture", "trade"], "value": values,
                         "value_note": ["", ""]})


def _values(chart) -> list[float]:
    spec = chart.to_dict(validate=False)
    return sorted(row["value"] for rows in spec["datasets"].values() for row in rows)


def test_the_same_figures_give_the_same_chart_back() -> None:
    first = charts.bars(_frame([3.0, 5.0]), "sector", title="Returnees", unit="returnees")
    again = charts.bars(_frame([3.0, 5.0]), "sector", title="Returnees", unit="returnees")
    assert again is first


def test_other_values_arguments_or_language_build_anew() -> None:
    base = charts.bars(_frame([3.0, 5.0]), "sector", title="Returnees", unit="returnees")
    other = charts.bars(_frame([3.0, 6.0]), "sector", title="Returnees", unit="returnees")
    assert other is not base
    assert _values(base) == [3.0, 5.0] and _values(other) == [3.0, 6.0]
    titled = charts.bars(_frame([3.0, 5.0]), "sector", title="Others", unit="returnees")
    assert titled is not base and titled.to_dict(validate=False)["title"]["text"] \
        == "Others (returnees)"
    assert charts.bars(_frame([3.0, 5.0]), "sector", title="Returnees", unit="returnees",
                       colour=False) is not base
    with language("fr"):
        french = charts.bars(_frame([3.0, 5.0]), "sector", title="Returnees",
                             unit="returnees")
    assert french is not base
    labels = {row["sector_label"] for rows in french.to_dict(validate=False)["datasets"]
              .values() for row in rows}
    assert "Commerce" in labels, labels  # the builder's own words, in French


def test_a_hidden_value_is_part_of_the_key() -> None:
    shown = charts.bars(_frame([3.0, 5.0]), "sector", title="T", unit="u")
    hidden = _frame([3.0, float("nan")]).assign(value_note=["", "<5"])
    assert charts.bars(hidden, "sector", title="T", unit="u") is not shown


def test_old_charts_are_let_go() -> None:
    for i in range(chart_memo.BUILT_MAX + 10):
        charts.bars(_frame([float(i), 1.0]), "sector", title="T", unit="u")
    assert len(chart_memo._built) <= chart_memo.BUILT_MAX
