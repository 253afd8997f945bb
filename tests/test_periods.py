"""Period keys, labels and bounds, and the comparison periods of a filter."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Date, literal, select

from data_access import db
from metrics import Filters, periods
from metrics.dates import days_between
from metrics.filters import Granularity

D = dt.date
GRANULARITIES: tuple[Granularity, ...] = ("month", "quarter", "year")


@pytest.mark.parametrize(("day", "granularity", "label", "first", "last"), [
    (D(2016, 2, 29), "month", "2016-02", D(2016, 2, 1), D(2016, 2, 29)),
    (D(2015, 3, 31), "quarter", "2015Q1", D(2015, 1, 1), D(2015, 3, 31)),
    (D(2015, 4, 1), "quarter", "2015Q2", D(2015, 4, 1), D(2015, 6, 30)),
    (D(2016, 12, 31), "quarter", "2016Q4", D(2016, 10, 1), D(2016, 12, 31)),
    (D(2016, 7, 1), "year", "2016", D(2016, 1, 1), D(2016, 12, 31)),
])
def test_key_label_bounds(day: dt.date, granularity: Granularity, label: str, first: dt.date,
                          last: dt.date) -> None:
    key = periods.key_of(day, granularity)
    assert periods.label(key, granularity) == label
    assert periods.bounds(key, granularity) == (first, last)


@given(st.dates(D(2000, 1, 1), D(2040, 12, 31)), st.sampled_from(GRANULARITIES))
def test_every_day_lies_within_its_period(day: dt.date, granularity: Granularity) -> None:
    first, last = periods.bounds(periods.key_of(day, granularity), granularity)
    assert first <= day <= last


def test_keys_between_covers_partial_periods() -> None:
    assert periods.keys_between(D(2015, 2, 15), D(2015, 7, 1), "quarter") == [
        20151, 20152, 20153]


@pytest.mark.parametrize(("start", "end", "previous_start", "previous_end"), [
    # Whole months: the same number of whole months just before.
    (D(2016, 1, 1), D(2016, 6, 30), D(2015, 7, 1), D(2015, 12, 31)),  # 182 → 184 days
    (D(2016, 1, 1), D(2016, 3, 31), D(2015, 10, 1), D(2015, 12, 31)),  # Q1 → Q4
    (D(2016, 4, 1), D(2016, 6, 30), D(2016, 1, 1), D(2016, 3, 31)),  # Q2 → Q1
    (D(2016, 3, 1), D(2016, 3, 31), D(2016, 2, 1), D(2016, 2, 29)),  # March → February
    (D(2016, 1, 1), D(2016, 12, 31), D(2015, 1, 1), D(2015, 12, 31)),  # year → year
    (D(2016, 2, 1), D(2017, 1, 31), D(2015, 2, 1), D(2016, 1, 31)),  # last 12 months
    (D(2015, 1, 1), D(2016, 12, 31), D(2013, 1, 1), D(2014, 12, 31)),  # 24 months
    # Not whole months: the same number of days just before.
    (D(2016, 1, 1), D(2016, 6, 29), D(2015, 7, 4), D(2015, 12, 31)),  # 181 days
    (D(2016, 1, 15), D(2016, 2, 20), D(2015, 12, 9), D(2016, 1, 14)),
    (D(2016, 3, 2), D(2016, 3, 31), D(2016, 2, 1), D(2016, 3, 1)),
])
def test_previous_period(start: dt.date, end: dt.date, previous_start: dt.date,
                         previous_end: dt.date) -> None:
    previous = Filters(start, end, ("MA",), "month").previous()
    assert (previous.start, previous.end) == (previous_start, previous_end)
    assert (previous.countries, previous.granularity) == (("MA",), "month")


def test_whole_months() -> None:
    assert Filters(D(2016, 1, 1), D(2016, 12, 31)).whole_months == 12
    assert Filters(D(2016, 2, 1), D(2016, 2, 29)).whole_months == 1
    assert Filters(D(2016, 2, 1), D(2016, 2, 28)).whole_months is None
    assert Filters(D(2016, 2, 2), D(2016, 2, 29)).whole_months is None


@pytest.mark.parametrize(("start", "end", "months"), [
    (D(2015, 1, 1), D(2016, 12, 31), 24), (D(2016, 2, 1), D(2016, 2, 29), 1),
    (D(2015, 12, 1), D(2016, 1, 31), 2), (D(2016, 2, 1), D(2016, 2, 28), None),
    (D(2016, 1, 2), D(2016, 1, 31), None), (D(2016, 1, 1), D(2016, 1, 1), None)])
def test_one_whole_month_test_for_the_filters_and_the_cubes(
        start: dt.date, end: dt.date, months: int | None) -> None:
    """The KPI cards' previous period (Filters.whole_months) and the cubes' fast path
    (metrics.fast.aligned) read the same test (metrics.filters.whole_months)."""
    from metrics import fast
    from metrics.filters import whole_months

    f = Filters(start, end)
    assert whole_months(start, end) == f.whole_months == months
    assert fast.aligned(f) is (months is not None)


@given(st.dates(D(2000, 1, 1), D(2040, 12, 31)), st.dates(D(2000, 1, 1), D(2040, 12, 31)))
def test_previous_period_ends_the_day_before(a: dt.date, b: dt.date) -> None:
    f = Filters(min(a, b), max(a, b))
    previous = f.previous()
    assert previous.end == f.start - dt.timedelta(days=1)
    if f.whole_months is None:
        assert previous.days == f.days
    else:
        assert previous.whole_months == f.whole_months


def test_year_earlier_of_29_february() -> None:
    leap = Filters(D(2016, 2, 29), D(2016, 2, 29))
    assert (leap.year_earlier().start, leap.year_earlier().end) == (
        D(2015, 2, 28), D(2015, 2, 28))


@pytest.fixture
def connection(backend: str, make_database) -> Iterator:
    with db.get_engine(make_database(backend, "periods")).connect() as conn:
        yield conn


@pytest.mark.parametrize(("day", "granularity", "key"), [
    (D(2016, 2, 29), "month", 201602), (D(2015, 3, 31), "quarter", 20151),
    (D(2015, 4, 1), "quarter", 20152), (D(2016, 12, 31), "year", 2016)])
def test_sql_period_key_matches_python(connection, day: dt.date, granularity: Granularity,
                                       key: int) -> None:
    value = connection.execute(select(periods.period_key(
        literal(day, Date()), granularity))).scalar_one()
    assert value == key == periods.key_of(day, granularity)


@pytest.mark.parametrize(("start", "end", "days"), [
    (D(2016, 2, 29), D(2016, 8, 29), 182), (D(2015, 12, 31), D(2016, 12, 31), 366),
    (D(2015, 6, 30), D(2015, 12, 28), 181), (D(2015, 3, 1), D(2015, 1, 5), -55)])
def test_days_between_on_both_backends(connection, start: dt.date, end: dt.date,
                                       days: int) -> None:
    got = connection.execute(select(days_between(literal(start, Date()),
                                                 literal(end, Date())))).scalar_one()
    assert got == days == (end - start).days


def test_sidebar_presets_are_whole_months() -> None:
    from ui.filters import LAST_12, WHOLE, presets

    choices = presets(D(2015, 1, 19), D(2016, 12, 20))  # the data's first and last day
    assert choices[WHOLE] == (D(2015, 1, 1), D(2016, 12, 31))
    assert choices[LAST_12] == (D(2016, 1, 1), D(2016, 12, 31))
    assert all(Filters(a, b).whole_months for a, b in choices.values())
