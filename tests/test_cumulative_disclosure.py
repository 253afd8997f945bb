"""A donor's cumulative series never reveals a small count by subtraction."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from data_access import db
from data_access.scope import Scope
from metrics import compute
from metrics.filters import Filters, Granularity
from tests.fixture_db import build_fixture

DONOR = Scope(aggregates_only=True, suppression_threshold=5)


@pytest.fixture(scope="module")
def url(make_database: Callable[[str, str], str]) -> str:
    url = make_database("sqlite", "cumulative_disclosure")
    build_fixture(url)
    return url


@pytest.mark.parametrize("code", ["BEN-1", "BEN-2", "ASS-1", "TRN-1"])
@pytest.mark.parametrize("granularity", ["month", "quarter"])
def test_steps_between_shown_cumulative_values_are_zero_or_large(
        url: str, code: str, granularity: Granularity) -> None:
    filters = Filters(granularity=granularity)
    with db.session(url, Scope.everything()) as session:
        raw = compute(code, session, filters, cumulative=True)
    with db.session(url, DONOR) as session:
        shown = compute(code, session, filters, cumulative=True)
    # The fixture is small: the raw series must have small steps for this to test anything.
    steps = pd.to_numeric(raw["value"]).diff().dropna()
    assert ((steps > 0) & (steps < 5)).any()
    values = pd.to_numeric(shown["value"]).dropna().tolist()
    for before, after in zip([0.0, *values], values, strict=False):
        assert after - before == 0 or after - before >= 5, (before, after, shown)
