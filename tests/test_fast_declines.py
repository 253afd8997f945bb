"""The fast path declines, generally, what the cells cannot answer (metrics.fast.answers):
a breakdown the cells have no column for (a partner, a service) and any filter besides the
period, the countries and the granularity. Before, a reader asked by ``partner`` crashed on
the missing column, and one that was not told to decline (``fast._variant`` ignored
breakdowns outside sector/modality/kind) could have answered from cells that ignore it.
On fresh cubes of the fixture: what the cells can answer, they do, and equal the case
tables (the control)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from analytics import cubes
from data_access import db
from data_access.scope import Scope
from metrics import Filters, compute, fast
from metrics.indicators.referrals import REFERRALS
from tests.fixture_db import build_fixture


@dataclass(frozen=True)
class WithPartner(Filters):
    """A filter the cells do not apply (as a partner filter would be)."""

    partner: int | None = None


@pytest.fixture(scope="module")
def url(make_database: Callable[[str, str], str]) -> str:
    url = make_database("sqlite", "fast_declines")
    build_fixture(url)
    cubes.refresh(url)
    return url


def test_a_breakdown_the_cells_do_not_keep_is_declined(url: str) -> None:
    reader = fast.count(REFERRALS)  # without REF-1's own "not by partner" guard
    with db.session(url, Scope.everything()) as s:
        assert fast.enabled(s)
        answered = reader(s, Filters(granularity="year"), ("country",))
        assert answered is not None  # the control: the cells answer by country
        by_country = dict(zip(answered["country"], answered["value"], strict=True))
        want = compute("REF-1", s, Filters(granularity="year"), ("country",))
        assert by_country == dict(zip(want["country"], want["value"], strict=True))
        assert by_country == {"MA": 4, "TN": 2, "SN": 3}  # R1-R4; R5 R6; R7 R8 R9
        for by in [("partner",), ("service",), ("country", "partner"), ("cooperative",)]:
            assert reader(s, Filters(granularity="year"), by) is None, by


def test_a_filter_the_cells_do_not_apply_is_declined(url: str) -> None:
    reader = fast.count(REFERRALS)
    with db.session(url, Scope.everything()) as s:
        assert reader(s, WithPartner(granularity="year"), ()) is not None  # not set: fine
        assert reader(s, WithPartner(granularity="year", partner=1), ()) is None
        assert reader(s, WithPartner(granularity="year", partner=1), ("country",)) is None


def test_answers_reads_the_variant() -> None:
    whole = Filters()
    assert fast.answers(whole, ("sector", "period"), "sector")
    assert not fast.answers(whole, ("sector",), "")
    assert fast.answers(whole, ("region", "sex", "age_group", "country"), "")
    assert not fast.answers(whole, ("partner",), "sector_modality_kind")
