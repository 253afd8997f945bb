"""The fast path is exact: every indicator read from the analytics tables equals the same
indicator computed from the case tables — every breakdown, every granularity, whole
programme and month-aligned sub-ranges — on the hand-worked fixture (SQLite and
PostgreSQL) and on a 100k demo database (SQLite; bench-data/demo-100k.db is reused when
the benchmark made it, else one is made here).
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import insert, select

import demo
from analytics import cubes
from data_access import db
from data_access.models import AnalyticsState, Beneficiary
from data_access.scope import Scope
from metrics import catalogue, engine, fast
from metrics.engine import _RAW
from metrics.filters import Filters
from tests.fixture_db import build_fixture

ROOT = Path(__file__).resolve().parent.parent
D = dt.date
RANGES = [(D(2015, 1, 1), D(2016, 12, 31)), (D(2015, 4, 1), D(2016, 2, 29)),
          (D(2016, 1, 1), D(2016, 12, 31)), (D(2014, 12, 1), D(2017, 1, 31))]


def breakdowns(code: str) -> list[tuple[str, ...]]:
    dims = catalogue.get(code).breakdowns
    singles = [(d,) for d in dims]
    pairs = [(d, "period") for d in dims if d != "period"]
    return [(), *singles, *pairs, ("country", "sex")]


def _exact(session, code: str, f: Filters, by: tuple[str, ...]) -> pd.DataFrame:
    session.info["analytics"] = False
    try:
        return _RAW[code](session, f, by)
    finally:
        session.info["analytics"] = True


def compare_all(url: str, ranges: list[tuple[dt.date, dt.date]],
                codes: tuple[str, ...] | None = None) -> int:
    """Compares every case (of ``codes``, else every indicator the cubes answer); returns
    how many went through the fast path."""
    answered = 0
    with db.session(url, Scope.everything()) as session:
        assert cubes.is_fresh(session), "the analytics tables are not fresh"
        for code in codes or tuple(engine.FAST):
            for by in breakdowns(code):
                for granularity in (("month", "quarter", "year") if "period" in by
                                    else ("quarter",)):
                    for start, end in ranges:
                        f = Filters(start, end, (), granularity)
                        got = fast.answer(code, session, f, by)
                        if got is None:
                            continue
                        answered += 1
                        from metrics.engine import _finish

                        got = _finish(got, by, f)
                        want = _exact(session, code, f, by)
                        assert_same(got, want, f"{code} by {by} {granularity} {start}–{end}")
    return answered


# Key sums (issue 14): every count column c of the raw frame has c_key, on both paths.
# (TRN-2 included since its new definition was merged.)
NOT_KEYED_YET: tuple[str, ...] = ()


def assert_keyed(frame: pd.DataFrame, what: str) -> None:
    if what.split(" ")[0] in NOT_KEYED_YET:
        return
    counts = [c for c in ("numerator", "denominator", "records", "beneficiaries")
              if c in frame.columns]
    if catalogue.get(what.split(" ")[0]).kind == "count":
        counts.append("value")
    missing = [c for c in counts if c + "_key" not in frame.columns]
    assert not missing, f"{what}: no key sum for {missing}"


def assert_same(got: pd.DataFrame, want: pd.DataFrame, what: str) -> None:
    assert_keyed(want, what)
    assert_keyed(got, what)
    keys = [c for c in want.columns if c in ("period", "country", "region", "sex", "age_group",
                                              "vulnerability", "sector", "modality", "kind",
                                              "return_type")]
    got = got[list(want.columns)]
    if keys:
        got = got.sort_values(keys, kind="stable", na_position="first").reset_index(drop=True)
        want = want.sort_values(keys, kind="stable", na_position="first").reset_index(drop=True)
    for column in want.columns:  # counts stay integers (charts and exports print them)
        if pd.api.types.is_integer_dtype(want[column]):
            assert pd.api.types.is_integer_dtype(got[column]), f"{what}: {column} not integer"
    pd.testing.assert_frame_equal(got, want, check_dtype=False, rtol=1e-9, atol=1e-9,
                                  obj=what)


def test_fixture_fast_path_equals_case_tables(backend: str,
                                              make_database: Callable[[str, str], str]) -> None:
    url = make_database(backend, "exact_fixture")
    build_fixture(url)
    cubes.refresh(url)
    answered = compare_all(url, RANGES)
    assert answered > 300


def test_closed_cases_and_training_uptake_fast_path_equals_case_tables(
        backend: str, make_database: Callable[[str, str], str]) -> None:
    """FUP-1 leaves closed cases out of its due list (the follow-up rule), TRN-2 is a share
    of the cohort assisted by the period end ("upt" cube): both ways agree, every range,
    breakdown and granularity, with closed cases among the covered and the uncovered."""
    from sqlalchemy import update

    from data_access.vocab import CaseStatus

    url = make_database(backend, "exact_closed")
    build_fixture(url)
    with db.session(url, Scope.everything()) as session:
        session.execute(update(Beneficiary).where(Beneficiary.id.in_([1, 5, 16]))
                        .values(status=CaseStatus.CLOSED))
    cubes.refresh(url)
    ranges = [*RANGES, (D(2015, 7, 1), D(2015, 9, 30)), (D(2016, 7, 1), D(2016, 9, 30))]
    assert compare_all(url, ranges, ("FUP-1", "TRN-2")) > 60


def test_a_write_makes_the_analytics_stale(make_database: Callable[[str, str], str]) -> None:
    url = make_database("sqlite", "exact_stale")
    build_fixture(url)
    cubes.refresh(url)
    with db.session(url, Scope.everything()) as session:
        assert cubes.is_fresh(session)
    with db.get_engine(url).begin() as conn:
        row = conn.execute(select(Beneficiary.__table__)).mappings().first()
        assert row is not None
        values = dict(row)
        values.update(id=9999, case_number="NEW-1")
        conn.execute(insert(Beneficiary.__table__).values(**values))
    with db.session(url, Scope.everything()) as session:
        assert cubes.is_fresh(session) is None
        assert session.scalar(select(AnalyticsState.dirty)) == 1
        f = Filters()
        assert fast.answer("BEN-1", session, f, ()) is None


def test_a_refresh_on_an_engine_that_already_ran_queries(tmp_path: Path) -> None:
    """SQLite refuses to change temp_store inside a transaction: the build must not need to
    (it failed on the first import into a database the same process had just migrated)."""
    url = f"sqlite:///{tmp_path / 'used_engine.db'}"
    db.upgrade(url)  # the same engine (pool) as the refresh below: no dispose in between
    build_fixture(url)
    with db.get_engine(url).begin() as conn:
        conn.exec_driver_sql("SELECT count(*) FROM beneficiary")
        assert cubes.refresh(conn, force=True) > 0
    with db.session(url, Scope.everything()) as session:
        assert cubes.is_fresh(session)


def test_scoped_viewers_get_their_countries_cells(make_database: Callable[[str, str], str]
                                                  ) -> None:
    from metrics import compute

    url = make_database("sqlite", "exact_scope")
    build_fixture(url)
    cubes.refresh(url)
    scope = Scope.for_countries(["SN"])
    with db.session(url, scope) as session:
        fast_total = compute("BEN-1", session, Filters(), ("country",))
        session.info["analytics"] = False
        session.info.pop("_analytics_fresh", None)
        exact_total = compute("BEN-1", session, Filters(), ("country",))
    assert list(fast_total["country"]) == ["SN"]
    pd.testing.assert_frame_equal(fast_total, exact_total)


def test_coop_3_reads_the_cooperatives_sector_once_per_returnee_and_sector(
        backend: str, make_database: Callable[[str, str], str]) -> None:
    """COOP-3 (cooperative members by sector) by hand, on the cubes and on the case tables,
    where the fixture alone cannot tell it from COOP-2 by sector (there every collective
    delivery has its cooperative's sector): C1 becomes a trade cooperative (its members'
    assistance stays agriculture) and b4 also gets a delivery, sector left blank, to C4
    (handicraft) on 2016-03-01, so b4 is a member in two sectors."""
    from decimal import Decimal

    from sqlalchemy import update

    from data_access.models import Assistance, Cooperative
    from data_access.vocab import AssistanceKind, AssistanceStatus, Modality, Sector
    from metrics import compute

    url = make_database(backend, "exact_coop_3")
    build_fixture(url)
    with db.session(url, Scope.everything()) as session:
        session.execute(update(Cooperative).where(Cooperative.id == 1)
                        .values(sector=Sector("trade")))
        session.add(Assistance(beneficiary_id=4, country="MA", modality=Modality("collective"),
                               kind=AssistanceKind("business_grant"), sector=None,
                               amount_eur=Decimal(300), approved_date=D(2016, 2, 1),
                               delivered_date=D(2016, 3, 1), cooperative_id=4,
                               status=AssistanceStatus("delivered")))
    cubes.refresh(url)
    # memberships: b4 b5 b6 trade (C1: 2015-06-30, 06-30, 07-01), b15 b16 livestock (C2:
    # 2016-01-01, 01-15), b4 handicraft (C4: 2016-03-01); COOP-2 still counts b4 once.
    by_hand = {(): {"": 6}, ("sector",): {"trade": 3, "livestock": 2, "handicraft": 1},
               ("country",): {"MA": 4, "SN": 2},
               ("period",): {"2015": 3, "2016": 3}}
    f = Filters(granularity="year")
    with db.session(url, Scope.everything()) as session:
        assert fast.answer("COOP-3", session, f, ("sector",)) is not None, "no cube answer"
        for analytics in (True, False):
            session.info["analytics"] = analytics
            for by, want in by_hand.items():
                got = compute("COOP-3", session, f, by)
                key = by[0] if by else None
                values = {str(r[key]) if key else "": r["value"] for _, r in got.iterrows()}
                assert values == want, f"COOP-3 by {by}, cubes {analytics}"
            assert compute("COOP-2", session, f)["value"].iloc[0] == 5
        session.info["analytics"] = True
    assert compare_all(url, RANGES, ("COOP-3", "COOP-2")) > 40


@pytest.fixture(scope="module")
def demo_100k(tmp_path_factory: pytest.TempPathFactory) -> str:
    cached = ROOT / "bench-data" / "demo-100k.db"
    path = tmp_path_factory.mktemp("demo100k") / "demo.db"
    url = f"sqlite:///{path}"
    if cached.exists():
        shutil.copyfile(cached, path)
        db.upgrade(url)
        with db.get_engine(url).connect() as conn:
            count = conn.execute(select(Beneficiary.id).order_by(Beneficiary.id.desc())
                                 .limit(1)).scalar()
        if count == 100_000:
            cubes.refresh(url)
            return url
        path.unlink()
    db.upgrade(url)
    demo.load(url, demo.generate(100_000, 2015), progress=lambda _line: None)
    return url


def test_demo_100k_fast_path_equals_case_tables(demo_100k: str) -> None:
    answered = compare_all(demo_100k, RANGES[:1])
    assert answered > 100


# --- the figures that are not catalogue indicators (metrics.fast_figures) -----------------

def _months_ranges() -> list[tuple[dt.date, dt.date]]:
    """Whole-month ranges from three starts to every month end of 2016 and January 2017:
    the "by the period end" figures change from one end to the next."""
    ends = [D(2016, m + 1, 1) - dt.timedelta(days=1) for m in range(1, 12)]
    ends += [D(2016, 12, 31), D(2017, 1, 31)]
    return [(start, end) for start in (D(2015, 1, 1), D(2016, 1, 1), D(2016, 3, 1))
            for end in ends if end > start]


def _figures() -> dict[str, Callable[..., pd.DataFrame]]:
    from metrics import cooperatives, distributions, pipeline, quality

    return {"funnel": pipeline.funnel, "checks": quality.checks,
            "amount bands": distributions.amount_bands,
            "host countries": distributions.host_countries,
            "completeness": quality.completeness,
            "route": cooperatives.assisted_by_route,
            "route by country": lambda s, f: cooperatives.assisted_by_route(s, f, ("country",)),
            "route by sex, vulnerability": lambda s, f: cooperatives.assisted_by_route(
                s, f, ("sex", "vulnerability"))}


def compare_figures(url: str, ranges: list[tuple[dt.date, dt.date]],
                    countries: list[tuple[str, ...]]) -> int:
    """Each figure through the cubes equals the case-table figure; returns how many."""
    from metrics import fast_figures

    compared = 0
    with db.session(url, Scope.everything()) as session:
        assert cubes.is_fresh(session), "the analytics tables are not fresh"
        for start, end in ranges:
            for chosen in countries:
                f = Filters(start, end, chosen)
                assert fast_figures.funnel(session, f) is not None  # the cubes answer
                for name, figure in _figures().items():
                    got = figure(session, f)
                    want = _exact_figure(session, figure, f)
                    keys = [c for c in ("country", "field", "sex", "vulnerability", "route",
                                        "host_country")
                            if c in want.columns]
                    if keys:
                        got = got.sort_values(keys).reset_index(drop=True)
                        want = want.sort_values(keys).reset_index(drop=True)
                    pd.testing.assert_frame_equal(got, want, check_dtype=False,
                                                  obj=f"{name} {start}–{end} {chosen}")
                    compared += 1
    return compared


def _exact_figure(session, figure: Callable[..., pd.DataFrame], f: Filters) -> pd.DataFrame:
    session.info["analytics"] = False
    try:
        return figure(session, f)
    finally:
        session.info["analytics"] = True


def _out_of_order(url: str) -> None:
    """Two more returnees whose step dates are out of order (counselled after the plan,
    delivered before both), a follow-up before and after the visit fell due, and a
    duplicate case number across countries."""
    from decimal import Decimal

    from data_access.models import Assistance, FollowUp
    from data_access.vocab import AssistanceKind, AssistanceStatus, CaseStatus, Modality, Sex

    with db.session(url, Scope.everything()) as session:
        late = Beneficiary(case_number="MA-008", country="MA", registration_date=D(2016, 1, 5),
                           return_date=D(2016, 1, 1), status=CaseStatus.MONITORED, sex=Sex.F,
                           counselled_date=D(2016, 7, 3), plan_approved_date=D(2016, 4, 2))
        other = Beneficiary(case_number="ma-007", country="SN", registration_date=D(2016, 2, 5),
                            return_date=D(2016, 1, 1), status=CaseStatus.REGISTERED, sex=Sex.M,
                            counselled_date=D(2016, 2, 6))
        session.add_all([late, other])
        session.flush()
        session.add_all([
            Assistance(beneficiary_id=late.id, country="MA", modality=Modality.INDIVIDUAL,
                       kind=AssistanceKind.BUSINESS_GRANT, amount_eur=Decimal("300"),
                       delivered_date=D(2016, 3, 9), status=AssistanceStatus.DELIVERED),
            FollowUp(beneficiary_id=late.id, country="MA", visit_date=D(2016, 5, 1)),
            FollowUp(beneficiary_id=late.id, country="MA", visit_date=D(2016, 11, 20))])


def test_figures_fast_path_equals_case_tables(backend: str,
                                              make_database: Callable[[str, str], str]) -> None:
    from metrics import quality
    from tests.test_pipeline_quality import YEAR_2016, fill

    url = make_database(backend, "exact_figures")
    fill(url)
    cubes.refresh(url)
    with db.session(url, Scope.everything()) as session:  # the hand-worked figures
        result = quality.checks(session, YEAR_2016).set_index("check")
    assert result["value"].to_dict() == {
        "duplicate_case_number": 2, "duplicate_person": 2, "delivery_before_return": 1,
        "negative_amount": 1, "birth_after_return": 2, "followup_overdue": 2}
    _out_of_order(url)
    cubes.refresh(url)
    assert compare_figures(url, _months_ranges(), [(), ("MA",), ("SN",)]) > 500
    url = make_database(backend, "exact_figures_fixture")
    build_fixture(url)
    cubes.refresh(url)
    assert compare_figures(url, RANGES, [(), ("SN",)]) > 40


def test_demo_100k_figures_equal_case_tables(demo_100k: str) -> None:
    assert compare_figures(demo_100k, [RANGES[0], (D(2016, 1, 1), D(2016, 6, 30))],
                           [(), ("SN",)]) > 20
