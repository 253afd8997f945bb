"""The logframe rule: achieved, pro-rating and traffic lights, on the fixture's targets."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

import pytest

from data_access import db
from data_access.scope import Scope
from metrics import Filters, compute, progress
from metrics.targets import Stretch, achievement, status
from tests.fixture_db import EXPECTED_PROGRESS, build_fixture

H1_2016 = Filters(dt.date(2016, 1, 1), dt.date(2016, 6, 30))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fixture_url(request: pytest.FixtureRequest,
                make_database: Callable[[str, str], str]) -> str:
    url = make_database(request.param, "fixture_" + request.module.__name__)
    build_fixture(url)
    return url


@pytest.mark.parametrize(("actual", "baseline", "target", "want"), [
    (10, 0, 20, 0.5),
    (30, 0, 20, 1.5),          # above target: more than 100 %
    (5, 5, 5, 1.0),            # target = baseline, reached: 100 %, no division
    (4, 5, 5, 0.0),            # target = baseline, missed: 0 %
    (0.45, 0.2, 0.6, 0.625),   # rates compare as fractions
    (90, 120, 60, 0.5),        # a figure that should fall (days to assistance)
])
def test_achievement(actual: float, baseline: float, target: float, want: float) -> None:
    assert math.isclose(achievement(actual, baseline, target), want)


def test_achievement_of_a_hidden_actual_is_unknown() -> None:
    assert math.isnan(achievement(math.nan, 0, 10))
    assert status(math.nan) == "unknown"


@pytest.mark.parametrize(("share", "light"), [
    (0.9, "on track"), (2.0, "on track"), (0.8999, "at risk"), (0.6, "at risk"),
    (0.5999, "off track"), (0.0, "off track")])
def test_traffic_light(share: float, light: str) -> None:
    assert status(share) == light


def test_stretch_is_linear_between_its_ends() -> None:
    line = Stretch(dt.date(2015, 12, 31), 12, dt.date(2016, 12, 31), 20)
    assert line.at(dt.date(2015, 12, 1)) == 12
    assert line.at(dt.date(2017, 6, 1)) == 20
    assert math.isclose(line.at(dt.date(2016, 6, 30)), 12 + 8 * 182 / 366)


def test_progress_for_the_whole_programme(fixture_url: str) -> None:
    with db.session(fixture_url, Scope.everything()) as session:
        df = progress(session, Filters())
    assert list(df.columns) == ["indicator", "title", "country", "period_end", "baseline",
                                "target", "prorated_target", "actual", "achieved", "status",
                                "as_of", "due_achieved"]
    got = {(r.indicator, r.country if isinstance(r.country, str) else None,
            r.period_end.isoformat()): (r.actual, r.achieved, r.status)
           for r in df.itertuples()}
    assert set(got) == set(EXPECTED_PROGRESS)
    for key, (actual, achieved, light) in EXPECTED_PROGRESS.items():
        assert math.isclose(got[key][0], actual), key
        assert math.isclose(got[key][1], achieved), key
        assert got[key][2] == light, key
    assert (df["prorated_target"] == df["target"]).all()  # the filter reaches every end


def test_progress_of_some_indicators_is_those_rows_of_the_whole_logframe(
        fixture_url: str) -> None:
    """KPI cards read only their indicators' targets; each row is as in the whole logframe."""
    with db.session(fixture_url, Scope.everything()) as session:
        whole = progress(session, Filters())
        some = progress(session, Filters(), ["ben-2", "TRN-1"])
    wanted = {"BEN-2", "TRN-1"}
    assert set(some["indicator"]) == wanted & set(whole["indicator"]) and not some.empty
    expected = whole[whole["indicator"].isin(wanted)].reset_index(drop=True)
    assert some.reset_index(drop=True).equals(expected)


def test_progress_pro_rates_a_target_the_filter_stops_short_of(fixture_url: str) -> None:
    with db.session(fixture_url, Scope.everything()) as session:
        df = progress(session, H1_2016)
    rows = {(r.indicator, r.country if isinstance(r.country, str) else None): r
            for r in df.itertuples()}
    assert ("BEN-2", None) in rows and len(df) == 6  # the 2015 target is over: not listed
    # from the 2015 target (12 at 2015-12-31) to 20 at 2016-12-31, read at 2016-06-30;
    # actual: the 10 of 2015 + b8 b15 b16 (b13 is July)
    ben2 = rows[("BEN-2", None)]
    assert math.isclose(ben2.prorated_target, 12 + 8 * 182 / 366)
    assert ben2.actual == 13 and math.isclose(ben2.achieved, 13 / 20)
    assert ben2.status == "at risk"  # 13 / 15.98 = 81 %
    # no earlier target, no baseline: from 0 at the programme start (731 days to the end)
    ma = rows[("BEN-2", "MA")]
    assert math.isclose(ma.prorated_target, 7 * 547 / 731) and ma.status == "on track"
    # target = baseline = 3 and only 2 TN institutions by June 2016 (K5 is December)
    tn = rows[("CAP-1", "TN")]
    assert (tn.prorated_target, tn.actual, tn.achieved, tn.status) == (3, 2, 0, "off track")


def test_progress_follows_the_scope_and_the_country_filter(fixture_url: str) -> None:
    with db.session(fixture_url, Scope.for_countries(["MA"])) as session:
        scoped = progress(session, Filters())
    with db.session(fixture_url, Scope.everything()) as session:
        filtered = progress(session, Filters(countries=("TN",)))
    assert scoped[["indicator", "country"]].values.tolist() == [["BEN-2", "MA"]]
    assert filtered[["indicator", "country"]].values.tolist() == [["CAP-1", "TN"]]


Q3_2016 = Filters(dt.date(2016, 7, 1), dt.date(2016, 9, 30))


def test_the_comparison_is_to_date_against_the_target_due_then(fixture_url: str) -> None:
    """The cards' and the Targets page's comparison (issue 16): COOP-1 formed no
    cooperative in Q3 2016, but the comparison is the 2 formed since the programme start
    (C1 2015-06-30, C2 2016-01-01) against the target due on 30 September 2016 — 1 by the
    end of 2016 from 0 at the programme start, 639 of 731 days along — never Q3's 0
    against the December target."""
    from metrics.targets import comparison, in_force

    with db.session(fixture_url, Scope.everything()) as session:
        logframe = progress(session, Q3_2016)
        assert compute("COOP-1", session, Q3_2016)["value"].iloc[0] == 0
    coop = comparison(logframe, "COOP-1", (), Q3_2016.end)
    assert coop is not None
    assert coop["as_of"] == dt.date(2016, 9, 30) and coop["actual"] == 2
    assert math.isclose(coop["prorated_target"], 639 / 731)
    assert math.isclose(coop["due_achieved"], 2 / (639 / 731))
    # BEN-2: the 2016 target (from 12 at the end of 2015 to 20), 274 of 366 days along;
    # assisted by 30 September 2016: all 14 (b13 on 1 July).
    ben = comparison(logframe, "ben-2", (), Q3_2016.end)
    assert ben is not None and ben["period_end"] == dt.date(2016, 12, 31)
    assert ben["actual"] == 14
    assert math.isclose(ben["prorated_target"], 12 + 8 * 274 / 366)
    assert ben["status"] == "at risk"  # 14 / 17.99 = 78 %
    # Morocco's own target with Morocco chosen (7 by the end of 2016 from 0, 639 / 731 days
    # along; Morocco's 7 assisted were all assisted by 2016-02-29); none with two
    # countries, none for BEN-1 (no target).
    morocco = Filters(Q3_2016.start, Q3_2016.end, ("MA",))
    with db.session(fixture_url, Scope.everything()) as session:
        ma = comparison(progress(session, morocco), "BEN-2", ("MA",), morocco.end)
    assert ma is not None and ma["country"] == "MA" and ma["actual"] == 7
    assert math.isclose(ma["prorated_target"], 7 * 639 / 731)
    assert comparison(logframe, "BEN-2", ("MA", "TN"), Q3_2016.end) is None
    assert comparison(logframe, "BEN-1", (), Q3_2016.end) is None
    # The Targets page's rows in force are the same rows.
    now = in_force(logframe, Q3_2016.end)
    assert now[(now["indicator"] == "COOP-1")].iloc[0].equals(coop)


@pytest.fixture(scope="module")
def two_country_url(make_database: Callable[[str, str], str]) -> str:
    """The fixture plus a Tunisian BEN-2 target (6 by the end of 2016, baseline 1), so
    Morocco and Tunisia both have one."""
    from data_access.models import Target

    url = make_database("sqlite", "fixture_two_country_targets")
    build_fixture(url)
    with db.session(url, Scope.everything()) as session:
        session.add(Target(indicator="BEN-2", country="TN", period_end=dt.date(2016, 12, 31),
                           baseline=1, target=6))
    return url


def test_two_countries_get_one_target_on_the_card_and_in_the_report(
        two_country_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """One rule (metrics.targets.applicable) for the KPI card and the donor report: with
    Morocco and Tunisia chosen, BEN-2 is set against the sum of their targets (every chosen
    country has one and BEN-2 counts people, who belong to one country each).

    Hand-worked for Q3 2016 (to 30 September 2016, 639 of 731 days from the programme
    start): Morocco 7 × 639/731 = 6.12 due, Tunisia 1 + 5 × 639/731 = 5.37 due, together
    11.49 ≈ 11; actual: Morocco's 7 + Tunisia's assisted by then. Before this rule the card
    and the headline figure had no target with two countries while the report's
    cumulative chart drew the sum."""
    from metrics.targets import comparison, target_points
    from reports import content
    from ui import data, kpi

    both = Filters(Q3_2016.start, Q3_2016.end, ("MA", "TN"))
    with db.session(two_country_url, Scope.everything()) as session:
        logframe = progress(session, both)
        tunisia = compute("BEN-2", session, Filters(dt.date(2015, 1, 1), Q3_2016.end,
                                                    ("TN",)))["value"].iloc[0]
        report = content.build(content.SessionSource(session), both, ["headline"],
                               scope=Scope.everything(), programme="Test",
                               data_as_of=dt.datetime(2017, 1, 1))
        monkeypatch.setattr(data, "progress",
                            lambda f, codes=None: progress(session, f, codes))
        card = kpi.target_note("BEN-2", both)
    due = 7 * 639 / 731 + 1 + 5 * 639 / 731
    row = comparison(logframe, "BEN-2", both.countries, both.end)
    assert row is not None
    assert math.isclose(row["prorated_target"], due) and row["target"] == 13
    assert row["actual"] == 7 + tunisia and row["baseline"] == 1
    assert math.isclose(row["due_achieved"], (7 + tunisia - 1) / (due - 1))
    figure = next(f for s in report.sections for f in s.figures if f.code == "BEN-2")
    assert figure.target == f"{7 + tunisia} of 11 due by Sep 2016, since the programme start"
    assert card is not None and f": {7 + tunisia} of 11 due then (" in card
    assert figure.achieved in card and figure.status in card
    # The cumulative chart draws the same target due at the period end.
    points = target_points(logframe, "BEN-2", both.countries, both.start, both.end)
    assert points is not None and math.isclose(points["value"].iloc[-1], due)
    # Not every chosen country has a target (Senegal none): nothing, on the chart too.
    three = ("MA", "SN", "TN")
    assert comparison(logframe, "BEN-2", three, both.end) is None
    assert target_points(logframe, "BEN-2", three, both.start, both.end) is None
