"""The referral indicators (issue 21) beyond the hand-worked figures of tests/fixture_db.py:
REF-1 read from its cube equals the case tables (every breakdown the cube keeps, every
granularity, whole and part ranges) and stays exact after a referral is added and the
cubes refreshed; by partner or service the cube does not answer (it has no such column)
and the case tables do; donors see protected figures only (no count below 5, no median
or share of fewer than 5 referrals)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

import pytest

from analytics import cubes
from data_access import db
from data_access.models import Referral
from data_access.scope import Scope
from data_access.vocab import ReferralStatus, ServiceKind
from metrics import Filters, compute, fast
from tests.fixture_db import build_fixture
from tests.test_analytics_exactness import RANGES, compare_all

DONOR = Scope(countries=None, aggregates_only=True, suppression_threshold=5, rounding_base=5)


@pytest.fixture
def fixture_url(backend: str, make_database: Callable[[str, str], str]) -> str:
    url = make_database(backend, "referrals")
    build_fixture(url)
    cubes.refresh(url)
    return url


def test_ref_1_cube_is_exact_and_stays_exact_after_a_new_referral(fixture_url: str) -> None:
    assert compare_all(fixture_url, RANGES, ("REF-1",)) > 40
    with db.session(fixture_url, Scope.everything()) as session:
        f = Filters(granularity="year")
        assert fast.answer("REF-1", session, f, ("country",)) is not None
        assert fast.answer("REF-1", session, f, ("partner",)) is None
        assert fast.answer("REF-1", session, f, ("service", "period")) is None
        # b11 (TN) referred to ANETI on 2016-07-01: TN 2 → 3, 2016 4 → 5
        session.add(Referral(beneficiary_id=11, country="TN", partner_id=3,
                             service=ServiceKind.EMPLOYMENT, referral_date=dt.date(2016, 7, 1),
                             status=ReferralStatus.REFERRED))
    cubes.refresh(fixture_url)
    with db.session(fixture_url, Scope.everything()) as session:
        assert cubes.is_fresh(session)
        for analytics in (True, False):
            session.info["analytics"] = analytics
            got = compute("REF-1", session, Filters(granularity="year"), ("period",))
            assert dict(zip(got["period"], got["value"], strict=True)) == {"2015": 5,
                                                                             "2016": 5}
            got = compute("REF-1", session, Filters(), ("country",))
            assert dict(zip(got["country"], got["value"], strict=True)) == {
                "MA": 4, "SN": 3, "TN": 3}
    assert compare_all(fixture_url, RANGES, ("REF-1",)) > 40


def test_donors_see_protected_referral_figures(fixture_url: str) -> None:
    with db.session(fixture_url, DONOR) as session:
        by_partner = compute("REF-1", session, Filters(), ("partner",))
        # every partner has fewer than 5 referrals (2, 2, 2, 3): all "<5"
        assert by_partner["value"].isna().all()
        assert set(by_partner["value_note"]) == {"<5"}
        total = compute("REF-1", session, Filters())
        assert total["value"].iloc[0] in (5, 10)  # 9, rounded to a multiple of 5
        # REF-3 by partner: 1 or 2 referrals behind each median: none shown
        medians = compute("REF-3", session, Filters(), ("partner",))
        assert medians["value"].isna().all()
        # REF-2 by country: denominators 4, 2, 3: no share shown
        shares = compute("REF-2", session, Filters(), ("country",))
        assert shares["value"].isna().all()
        assert not any(c.endswith("_key") for c in total.columns)
    with db.session(fixture_url, Scope.everything()) as session:
        assert math.isclose(compute("REF-3", session, Filters())["value"].iloc[0], 20)
