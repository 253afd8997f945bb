"""Sidebar look-ups (countries present, data period): exact and scoped, on both backends.

Figures worked out by hand from tests/fixture_db.py: registrations run from 2015-01-01 (b1,
MA) to 2017-01-02 (b18, SN, outside the programme); the last delivery is 2017-01-10 (b17,
SN). Senegal: registered 2015-01-10 (b14) to 2017-01-02; Tunisia: registered 2015-02-15
(b9) to 2016-06-01 (b13), last delivery 2016-07-01 (b13's housing).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from data_access import db, lookups
from data_access.scope import Scope
from tests.fixture_db import build_fixture

D = dt.date


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fixture_url(request: pytest.FixtureRequest,
                make_database: Callable[[str, str], str]) -> str:
    """The hand-worked fixture database (tests/fixture_db.py), on both engines."""
    url = make_database(request.param, "fixture_" + request.module.__name__)
    build_fixture(url)
    return url


@pytest.mark.parametrize(("scope", "countries", "period"), [
    (Scope.everything(), ["MA", "SN", "TN"], (D(2015, 1, 1), D(2017, 1, 10))),
    (Scope.for_countries(["SN"]), ["SN"], (D(2015, 1, 10), D(2017, 1, 10))),
    (Scope.for_countries(["TN"], aggregates_only=True), ["TN"],
     (D(2015, 2, 15), D(2016, 7, 1))),
    (Scope.for_countries(["MA", "TN"]), ["MA", "TN"], (D(2015, 1, 1), D(2016, 7, 1))),
    (Scope.for_countries(["FR"]), [], None),  # a country with no data: nothing
])
def test_lookups_are_exact_and_scoped(fixture_url: str, scope: Scope, countries: list[str],
                                      period: tuple[dt.date, dt.date] | None) -> None:
    with db.session(fixture_url, scope) as session:
        assert lookups.countries_present(session) == countries
        assert lookups.data_period(session) == period


def test_lookups_of_an_empty_database(empty_db_url: str) -> None:
    with db.session(empty_db_url, Scope.everything()) as session:
        assert lookups.countries_present(session) == []
        assert lookups.data_period(session) is None
