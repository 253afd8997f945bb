"""Every figure on a page is right, complete and readable (issue 16): time axes complete
and in date order, whole-number count axes, 0–100 % rate axes, unpadded domains, long
labels not cut, hidden (donor) cells marked "<5" rather than dropped.

Unit tests on the ``views.charts`` builders with hand-made frames, and one AppTest run of
every page on the demo database that reads each chart's Vega-Lite spec and data as the
browser gets them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from metrics.filters import Filters
from views import chart_parts, charts
from views.time_axis import time_axis

ROOT = Path(__file__).resolve().parent.parent
YEARS = Filters(dt.date(2015, 1, 1), dt.date(2016, 12, 31))
QUARTERS = ["Q1 2015", "Q2 2015", "Q3 2015", "Q4 2015",
            "Q1 2016", "Q2 2016", "Q3 2016", "Q4 2016"]


def spec(chart: Any) -> dict[str, Any]:
    return chart.to_dict(validate=True)


def layers(spec_: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield spec_
    for layer in spec_.get("layer", []):
        yield from layers(layer)


def encodings(spec_: dict[str, Any], channel: str) -> list[dict[str, Any]]:
    return [layer["encoding"][channel] for layer in layers(spec_)
            if channel in layer.get("encoding", {})]


def data_of(spec_: dict[str, Any]) -> list[list[dict[str, Any]]]:
    return list(spec_.get("datasets", {}).values())


# --- the time axis -------------------------------------------------------------------------

def test_time_axis_has_every_period_in_date_order_with_zeros() -> None:
    # The frame comes sorted by country: Morocco has no Q3 2015, Tunisia has it. Taking the
    # order of first appearance put Q3 2015 after Q4 2016.
    frame = pd.DataFrame({"country": ["MA", "MA", "TN", "TN"],
                          "period": ["2015Q1", "2016Q4", "2015Q3", "2016Q4"],
                          "value": [2.0, 7.0, 3.0, 1.0], "value_note": ""})
    axis = time_axis(frame, YEARS, groups=("country",))
    assert list(dict.fromkeys(axis["period_label"])) == QUARTERS
    assert len(axis) == 8 * 2  # every period for both countries
    ma = axis[axis["country"] == "MA"].set_index("period")["value"]
    assert ma["2015Q1"] == 2 and ma["2016Q4"] == 7 and ma["2015Q3"] == 0
    assert (ma.drop(["2015Q1", "2016Q4"]) == 0).all()
    chart = spec(charts.stacked_periods(frame, "country", title="T", unit="u",
                                        filters=YEARS))
    for x in encodings(chart, "x"):
        assert x["sort"] == QUARTERS
    assert encodings(chart, "x")[0]["scale"]["domain"] == QUARTERS


def test_time_axis_by_month_is_in_date_order() -> None:
    months = Filters(dt.date(2015, 3, 1), dt.date(2016, 12, 31), granularity="month")
    frame = pd.DataFrame({"country": ["MA", "SN"], "period": ["2016-12", "2015-03"],
                          "value": [1.0, 4.0], "value_note": ""})
    axis = time_axis(frame, months, groups=("country",))
    starts = list(dict.fromkeys(axis["period_start"]))
    assert len(starts) == 22 and starts == sorted(starts)
    assert starts[0] == dt.date(2015, 3, 1) and starts[-1] == dt.date(2016, 12, 1)


def test_time_axis_empty_periods_of_a_rate_are_empty_and_beyond_the_data_no_data() -> None:
    frame = pd.DataFrame({"period": ["2016Q1"], "value": [12.0], "value_note": ""})
    axis = time_axis(frame, YEARS, kind="days", through=dt.date(2016, 8, 1))
    by = axis.set_index("period")
    assert by.loc["2016Q1", "value"] == 12
    assert by.loc["2015Q1", "value"] != by.loc["2015Q1", "value"]  # NaN: no median, not 0
    assert by.loc["2015Q1", "axis_note"] == ""
    assert by.loc["2016Q4", "axis_note"] == "no data"  # starts after the data's date
    counts = time_axis(frame, YEARS, through=dt.date(2016, 8, 1)).set_index("period")
    assert counts.loc["2015Q1", "value"] == 0 and counts.loc["2016Q4", "axis_note"]


def test_period_bars_show_the_quarter_with_nothing_in_it() -> None:
    # "Psychosocial coaching by period" jumped from Q2 to Q4 2016.
    frame = pd.DataFrame({"kind": "psychosocial_coaching", "period": ["2016Q2", "2016Q4"],
                          "value": [3.0, 6.0], "value_note": ""})
    chart = spec(charts.period_bars(frame, YEARS, title="T", unit="u"))
    assert encodings(chart, "x")[0]["sort"] == QUARTERS
    rows = [r for rows in data_of(chart) for r in rows if "period_label" in r and
            "value" in r]
    assert {r["period_label"]: r["value"] for r in rows}["Q3 2016"] == 0


# --- value axes ----------------------------------------------------------------------------

COUNT = pd.DataFrame({"sector": ["trade", "agriculture"], "value": [5.0, 2.0],
                      "value_note": ""})


@pytest.mark.parametrize("build", [
    lambda: charts.bars(COUNT, "sector", title="T", unit="u"),
    lambda: charts.grouped_bars(COUNT.assign(country="MA"), "sector", "country",
                                title="T", unit="u"),
    lambda: charts.grouped_bars(COUNT.assign(country="MA"), "sector", "country",
                                stacked=True, title="T", unit="u"),
    lambda: charts.stacked_periods(COUNT.assign(period="2016Q1", country="MA"), "country",
                                   title="T", unit="u", filters=YEARS),
    lambda: charts.period_bars(COUNT.assign(period="2016Q1").head(1), YEARS, title="T",
                               unit="u"),
    lambda: charts.histogram(COUNT.assign(label=["a", "b"]), title="T", unit="u",
                             band_title="b"),
    lambda: charts.funnel(COUNT.assign(label=["a", "b"]), title="T", unit="u"),
], ids=["bars", "grouped", "grouped_stacked", "stacked_periods", "period_bars",
        "histogram", "funnel"])
def test_count_axes_have_whole_number_ticks_and_no_padded_domain(
        build: Callable[[], Any]) -> None:
    chart = spec(build())
    measures = [e for channel in ("x", "y") for e in encodings(chart, channel)
                if e.get("field") == "value" and "axis" in e]
    assert measures
    for encoding in measures:
        assert encoding["axis"]["tickMinStep"] == 1
        assert encoding["axis"]["format"] == ",d"
        assert "domain" not in encoding.get("scale", {})  # Vega's own, from zero


def test_rate_axes_run_from_0_to_100_percent() -> None:
    rates = pd.DataFrame({"country": ["MA", "TN"], "value": [0.55, 0.68], "value_note": ""})
    for chart in (charts.bars(rates, "country", title="T", unit="%", value_format=".0%"),
                  charts.grouped_bars(rates.assign(horizon="6m"), "country", "horizon",
                                      title="T", unit="%", value_format=".0%")):
        x = [e for e in encodings(spec(chart), "x") if "scale" in e][0]
        assert x["scale"]["domain"] == [0, 1.0] and x["axis"]["format"] == ".0%"


def test_long_category_labels_wrap_instead_of_being_cut() -> None:
    frame = pd.DataFrame({"label": ["Assisted voluntary return and reintegration",
                                    "Short"], "value": [4.0, 2.0], "value_note": ""})
    chart = spec(charts.bars(frame, "label", title="T", unit="u"))
    axis = encodings(chart, "y")[0]["axis"]
    assert axis["labelLimit"] == 0  # never cut with "…" by Vega
    assert "['Assisted voluntary return', 'and reintegration']" in axis["labelExpr"]
    assert chart_parts.wrap("Assisted voluntary return and reintegration") == [
        "Assisted voluntary return", "and reintegration"]


# --- hidden cells ---------------------------------------------------------------------------

def test_a_hidden_cell_is_marked_not_dropped_and_its_value_is_not_in_the_chart() -> None:
    frame = pd.DataFrame({"sector": ["trade", "fishing", "agriculture"],
                          "value": [12.0, float("nan"), 7.0],
                          "value_note": ["", "<5", ""]})
    chart = spec(charts.bars(frame, "sector", title="T", unit="u"))
    assert "Fishing" in encodings(chart, "y")[0]["sort"]  # the category keeps its place
    texts = [layer for layer in layers(chart) if layer.get("mark", {}) == {} or
             (isinstance(layer.get("mark"), dict) and layer["mark"].get("type") == "text")]
    assert texts, "no text mark for the hidden cell"
    marked = [r for rows in data_of(chart) for r in rows if r.get("note_text") == "<5"]
    assert [r["sector_label"] for r in marked] == ["Fishing"]
    assert all(r["value"] is None for r in marked)
    # grouped: the country of the hidden cell stays in the legend, the category stays
    grouped = spec(charts.grouped_bars(frame.assign(country=["MA", "TN", "MA"]), "sector",
                                       "country", title="T", unit="u"))
    assert "Fishing" in encodings(grouped, "y")[0]["sort"]
    assert "TN" in encodings(grouped, "color")[0]["scale"]["domain"]
    stacked = spec(charts.stacked_periods(
        frame.assign(country=["MA", "TN", "SN"], period="2016Q1"), "country", title="T",
        unit="u", filters=YEARS))
    tops = [r for rows in data_of(stacked) for r in rows if "which" in r]
    assert tops and tops[0]["top"] == 19 and "<5" in tops[0]["which"]


# --- every time chart of every page ---------------------------------------------------------

@pytest.fixture(scope="module")
def demo_db(make_database: Callable[[str, str], str]) -> str:
    import demo
    url = make_database("sqlite", "charts_demo")
    demo.load(url, demo.generate(300, seed=7), progress=lambda _: None)
    return url


PAGES = ["pages/overview.py", "pages/beneficiaries.py", "pages/projects.py",
         "pages/cooperatives.py", "pages/training.py", "pages/outcomes.py",
         "pages/capacity.py", "pages/targets.py", "pages/data_quality.py",
         "pages/donor_report.py"]


def page_charts(url: str, monkeypatch: pytest.MonkeyPatch, path: str,
                user: str = "demo-manager") -> list[tuple[dict[str, Any], list[pd.DataFrame]]]:
    """Run ``path`` as ``user`` under AppTest; each chart's Vega-Lite spec and datasets."""
    import pyarrow as pa
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DEMO_MODE", "true")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = user
    at.session_state["name"] = user
    at.run()
    try:
        at = at.switch_page(path)
    except ValueError:  # a page this role does not have (data quality for donors)
        return []
    at = at.run()
    assert not at.exception, [e.value for e in at.exception]
    found: list[Any] = []

    def walk(node: Any) -> None:
        children = getattr(node, "children", None)
        for child in (children.values() if isinstance(children, dict) else []):
            if getattr(child, "type", "") == "vega_lite_chart":
                found.append(child)
            walk(child)
    walk(at._tree)
    out = []
    for element in found:
        frames = [pa.ipc.open_stream(d.data.data).read_all().to_pandas()
                  for d in element.proto.datasets]
        out.append((json.loads(element.proto.spec), frames))
    return out


@pytest.mark.parametrize("user", ["demo-manager", "demo-donor"])
def test_every_time_chart_of_every_page_has_every_period_in_order(
        demo_db: str, monkeypatch: pytest.MonkeyPatch, user: str) -> None:
    from ui import data

    data.clear_cache()
    expected = QUARTERS  # the sidebar's default: the demo data's whole period
    time_charts = 0
    for path in PAGES:
        for chart, frames in page_charts(demo_db, monkeypatch, path, user):
            xs = [x for x in encodings(chart, "x") if x.get("field") == "period_label"]
            periodic = any("period" in f for f in frames)
            if not xs and not periodic:
                continue
            title = chart.get("title", {}).get("text")
            if any(x.get("type") == "temporal" for x in encodings(chart, "x")):
                continue  # the cumulative line: a time scale, in order by construction
            assert xs, (path, title)
            time_charts += 1
            for x in xs:
                assert x["sort"] == expected, (path, title, x["sort"])
            assert xs[0]["scale"]["domain"] == expected, (path, title)
            main = next(f for f in frames if "period_label" in f and "value" in f)
            assert set(main["period_label"]) == set(expected), (path, title)
            assert main["value"].notna().any()
    assert time_charts >= 6  # overview, capacity, cooperatives, projects, 2 × training


def test_a_chart_caption_names_its_own_periods_or_none(monkeypatch: pytest.MonkeyPatch) -> None:
    """'by quarter' under every chart, even a bar chart by sector and the monthly
    cumulative line: now the chart's own granularity, or none without a time axis."""
    from ui import page

    captions: list[str] = []
    monkeypatch.setattr(page.st, "altair_chart", lambda *a, **k: None)
    monkeypatch.setattr(page.st, "caption", captions.append)
    monkeypatch.setattr("ui.exports.chart_downloads", lambda *a, **k: None)
    page.chart(charts.bars(COUNT, "sector", title="T", unit="u"), COUNT, "x", YEARS)
    monthly = pd.DataFrame({"period": ["2016-01", "2016-02"], "value": [1.0, 2.0],
                            "value_note": ""})
    page.chart(charts.period_bars(monthly, YEARS, title="T", unit="u"), monthly, "x", YEARS)
    quarterly = monthly.assign(period=["2016Q1", "2016Q2"])
    page.chart(charts.period_bars(quarterly, YEARS, title="T", unit="u"), quarterly, "x",
               YEARS)
    assert "by " not in captions[0]
    assert captions[1].endswith("by month") and captions[2].endswith("by quarter")
