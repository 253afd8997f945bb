"""Every page of issue 3 renders under AppTest, on SQLite and PostgreSQL, with the default
filters, one country, an empty period and a one-day period — and shows the same figures
as ``metrics`` computes on the same database.

The database is the demo generator's (``demo``) at 300 beneficiaries, made
once per backend. Sign-in is set in session state (the keys streamlit-authenticator
leaves, see docs/stack-notes.md); charts are unknown elements to AppTest, so figures are
checked on the KPI cards and chart presence through the absence of exceptions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import demo
from data_access import db
from data_access.scope import Scope
from metrics import catalogue, compute, quality
from metrics.filters import Filters
from ui.kpi import MEASURES
from views.format import by_kind

ROOT = Path(__file__).resolve().parent.parent
D = dt.date

# page -> the indicator (or measure) of its first KPI card; None: cards that are not one.
PAGES: dict[str, str | None] = {
    "pages/overview.py": "BEN-1",
    "pages/beneficiaries.py": "BEN-1",
    "pages/projects.py": "ASS-1",
    "pages/cooperatives.py": "COOP-1",
    "pages/training.py": "TRN-1",
    "pages/outcomes.py": "FUP-1",
    "pages/capacity.py": "CAP-1",
    "pages/targets.py": None,
    "pages/data_quality.py": None,
}
# name -> (sidebar session state, the Filters it makes)
FILTERS: dict[str, tuple[dict[str, object], Filters]] = {
    "default": ({}, Filters(D(2015, 1, 1), D(2016, 12, 31))),
    "one_country": ({"f_countries": ["MA"]}, Filters(D(2015, 1, 1), D(2016, 12, 31), ("MA",))),
    "empty_period": ({"f_period": "Custom range", "f_range": (D(1990, 1, 1), D(1990, 12, 31))},
                     Filters(D(1990, 1, 1), D(1990, 12, 31))),
    "one_day": ({"f_period": "Custom range", "f_range": (D(2016, 6, 15), D(2016, 6, 15))},
                Filters(D(2016, 6, 15), D(2016, 6, 15))),
}
_urls: dict[str, str] = {}


@pytest.fixture
def demo_url(backend: str, make_database: Callable[[str, str], str]) -> str:
    """A demo database (300 beneficiaries) per backend, made once for this module."""
    if backend not in _urls:
        url = make_database(backend, "pages_demo")
        demo.load(url, demo.generate(300, seed=7), progress=lambda _: None)
        _urls[backend] = url
    return _urls[backend]


def open_page(url: str, monkeypatch: pytest.MonkeyPatch, path: str,
              state: Mapping[str, object] | None = None, user: str = "demo-manager"
              ) -> AppTest:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DEMO_MODE", "true")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = user
    at.session_state["name"] = user
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at.switch_page(path).run()


def expected_card(url: str, code: str, filters: Filters) -> str:
    base, _, measure = code.partition(".")
    with db.session(url, Scope.everything()) as session:
        row = compute(base, session, filters).iloc[0]
    if measure:
        return by_kind(row[measure], MEASURES[code][1])
    return by_kind(row["value"], catalogue.get(base).kind, row["value_note"])


def card(at: AppTest, label: str) -> str:
    values = [m.value for m in at.metric if m.label == label]
    assert values, f"no card {label!r}; cards: {[m.label for m in at.metric]}"
    return values[0]


@pytest.mark.parametrize("filter_name", list(FILTERS))
@pytest.mark.parametrize("path", list(PAGES))
def test_page_renders_with_its_figures(demo_url: str, monkeypatch: pytest.MonkeyPatch,
                                       path: str, filter_name: str) -> None:
    state, filters = FILTERS[filter_name]
    at = open_page(demo_url, monkeypatch, path, state)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title, f"{path} has no title"
    code = PAGES[path]
    if code is not None:
        title = catalogue.get(code).title
        assert card(at, title) == expected_card(demo_url, code, filters)
    if filter_name == "empty_period":
        messages = [i.value for i in at.info]
        assert any(m.startswith("No ") and "1990" in m for m in messages), messages
        assert not at.error, [e.value for e in at.error]


def test_data_quality_counts_match_the_metrics(demo_url: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(demo_url, monkeypatch, "pages/data_quality.py")
    filters = FILTERS["default"][1]
    with db.session(demo_url, Scope.everything()) as session:
        checks = quality.checks(session, filters)
    assert card(at, "Records with a problem") == f"{checks['value'].sum():,.0f}"
    failing = int((checks["value"] > 0).sum())
    assert card(at, "Checks with problems") == f"{failing} of {len(checks)}"
    # The offending cases are listed (case numbers only) in one expander per failing check.
    assert len(at.expander) == failing


def test_targets_page_shows_the_logframe(demo_url: str,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from metrics import targets

    at = open_page(demo_url, monkeypatch, "pages/targets.py")
    with db.session(demo_url, Scope.everything()) as session:
        logframe = targets.progress(session, FILTERS["default"][1])
    pairs = logframe[["indicator", "country"]].drop_duplicates()
    assert card(at, "Targets") == f"{len(pairs):,}"
    assert at.dataframe, "the logframe table is missing"


def test_donors_see_the_figures_pages_but_not_data_quality(
        demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(demo_url, monkeypatch, "pages/beneficiaries.py", user="demo-donor")
    assert not at.exception, [e.value for e in at.exception]
    assert card(at, "Returnees registered")
    fresh = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    fresh.session_state["authentication_status"] = True
    fresh.session_state["username"] = fresh.session_state["name"] = "demo-donor"
    fresh.run()
    with pytest.raises(ValueError):
        fresh.switch_page("pages/data_quality.py")


def test_long_tables_show_their_first_rows_and_say_so(demo_url: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from metrics import cooperatives
    from ui import page

    with db.session(demo_url, Scope.everything()) as session:
        listing = cooperatives.cooperative_list(session, FILTERS["default"][1])
    assert len(listing) > 2
    monkeypatch.setattr(page, "TABLE_LIMIT", 2)
    at = open_page(demo_url, monkeypatch, "pages/cooperatives.py")
    assert not at.exception, [e.value for e in at.exception]
    shown = at.dataframe[-1].value
    assert list(shown["Name"]) == list(listing["name"].head(2))
    captions = [c.value for c in at.caption]
    assert f"Showing the first 2 of {len(listing)} rows. The CSV and Excel downloads hold " \
           f"all {len(listing)}." in captions, captions


def test_a_download_reads_the_whole_list_later_in_the_viewers_scope(
        demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The cooperative list's downloads read it on click, on a thread of Streamlit's own
    # outside the page run: the scope must be the one taken when the page was drawn.
    import threading

    from metrics import cooperatives
    from ui import data, viewer

    senegal = Scope.for_countries(["SN"])
    monkeypatch.setattr(data, "database_url", lambda: demo_url)
    monkeypatch.setattr(viewer, "current_scope", lambda: senegal)
    later = data.derived_later("cooperative_list", FILTERS["default"][1])
    monkeypatch.setattr(viewer, "current_scope", Scope.everything)  # what the click sees
    got: list[pd.DataFrame] = []
    thread = threading.Thread(target=lambda: got.append(later()))
    thread.start()
    thread.join(60)
    with db.session(demo_url, senegal) as session:
        expected = cooperatives.cooperative_list(session, FILTERS["default"][1])
    assert len(got[0]) == len(expected) > 0
    assert set(got[0]["country"]) == {"SN"}
    pd.testing.assert_frame_equal(got[0], expected)


@pytest.mark.parametrize(("filter_name", "against"), [
    # 2015-01-01 – 2016-12-31 is 24 whole months: compared with the 24 months before.
    # The whole programme has no previous period (2013–2014 is before the programme).
    ("default", "No change is shown: the period before this one lies before the programme "
                "start."),
    ("one_day", "Change against 2016-06-14 – 2016-06-14, the same number of days just "
                "before."),
])
def test_kpi_cards_say_which_period_they_compare_with(
        demo_url: str, monkeypatch: pytest.MonkeyPatch, filter_name: str,
        against: str) -> None:
    state, _filters = FILTERS[filter_name]
    at = open_page(demo_url, monkeypatch, "pages/overview.py", state)
    helps = [m.proto.help for m in at.metric]
    assert helps and all(h.endswith(against) for h in helps), helps


# --- issue 16: one logframe comparison, no change against nothing --------------------------

COMPARED = {  # name -> (sidebar state, the Filters it makes)
    "whole programme": ({}, Filters(D(2015, 1, 1), D(2016, 12, 31))),
    "Q3 2016 Morocco": ({"f_period": "2016 Q3", "f_countries": ["MA"]},
                        Filters(D(2016, 7, 1), D(2016, 9, 30), ("MA",))),
    "2015 Senegal": ({"f_period": "2015", "f_countries": ["SN"]},
                     Filters(D(2015, 1, 1), D(2015, 12, 31), ("SN",))),
}


@pytest.mark.parametrize("name", list(COMPARED))
def test_kpi_cards_and_the_targets_page_show_the_same_comparison(
        demo_url: str, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Each Overview card's target line has the actual, the target due and the % of the
    Targets page's row in force for that indicator and country (read off both pages)."""
    from metrics import targets
    from ui.kpi import target_words

    state, filters = COMPARED[name]
    overview = open_page(demo_url, monkeypatch, "pages/overview.py", state)
    captions = [c.value for c in overview.caption if c.value.startswith("Since the programme")]
    page = open_page(demo_url, monkeypatch, "pages/targets.py", state)
    in_force = [d.value for d in page.dataframe if "Target due then" in d.value.columns]
    assert in_force, "the Targets page has no table of the targets in force"
    table = in_force[0]
    where = "All countries" if not filters.countries else {
        "MA": "Morocco", "SN": "Senegal"}[filters.countries[0]]
    shown = 0
    with db.session(demo_url, Scope.everything()) as session:
        logframe = targets.progress(session, filters)
    for code in ("BEN-1", "BEN-2", "COOP-1", "COOP-2", "TRN-1"):  # Overview cards with
        # demo targets
        row = table[table["Indicator"].str.startswith(code + " ")
                    & (table["Country"] == where)]
        comparison = targets.comparison(logframe, code, filters.countries, filters.end)
        if row.empty:
            assert comparison is None, (code, name)
            continue
        row = row.iloc[0]
        assert comparison is not None
        # The card's words hold the page's actual, due target and % of the target due.
        words = target_words(comparison, catalogue.get(code).kind)
        assert words in captions, (code, name, captions)
        assert f": {row['Actual since the programme start']} of {row['Target due then']} " \
            f"due then ({row['% of the target due']}, " in words, (code, words, dict(row))
        shown += 1
    assert shown >= 3, name


@pytest.mark.parametrize(("state", "deltas"), [
    ({}, False),                                                     # whole programme
    ({"f_period": "2015 Q1"}, False),                                # Q4 2014: before it
    ({"f_period": "2016 Q1"}, True),                                 # against Q4 2015
])
def test_no_change_is_shown_against_a_period_before_the_programme(
        demo_url: str, monkeypatch: pytest.MonkeyPatch, state: dict[str, object],
        deltas: bool) -> None:
    at = open_page(demo_url, monkeypatch, "pages/overview.py", state)
    shown = [m.proto.delta for m in at.metric if m.proto.delta]
    assert bool(shown) == deltas, shown
    helps = [m.proto.help for m in at.metric]
    if not deltas:
        assert all(h.endswith("lies before the programme start.") for h in helps), helps
