"""The partner scope (issue 21, data_access.scope rule 4): a partner user sees only what
its partner delivered or was referred, on every indicator and breakdown. The proof is the
one the country scope has: every figure a partner's session computes on the whole fixture
equals the figure an unrestricted session computes on a partner-only copy of it (the
fixture with everything else deleted), for each of the four partners, on SQLite and
PostgreSQL; and direct reads of another partner's rows, the capacity activities, the
targets and the analytics cells return nothing."""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd
import pytest
from sqlalchemy import delete, func, select, update

from analytics import cubes
from data_access import db
from data_access.models import (
    AnalyticsCell,
    Assistance,
    Attendance,
    Beneficiary,
    BeneficiaryVulnerability,
    CapacityActivity,
    Cooperative,
    FollowUp,
    Partner,
    Referral,
    Target,
    TrainingSession,
)
from data_access.scope import Scope
from metrics import Filters, catalogue, compute
from tests.fixture_db import PARTNERS, build_fixture

WHOLE = Filters(granularity="year")


def _served(url: str, partner: int) -> set[int]:
    """Worked from the rule, on an unrestricted session: the beneficiaries of the records
    the partner delivered or was referred."""
    with db.session(url, Scope.everything()) as s:
        ids = set(s.scalars(select(Referral.beneficiary_id).where(Referral.partner_id == partner)))
        ids |= set(s.scalars(select(Assistance.beneficiary_id)
                             .where(Assistance.partner_id == partner)))
        ids |= set(s.scalars(select(FollowUp.beneficiary_id).where(FollowUp.partner_id == partner)))
        ids |= set(s.scalars(select(Attendance.beneficiary_id).join(
            TrainingSession, TrainingSession.id == Attendance.session_id)
            .where(TrainingSession.partner_id == partner)))
    return ids


def partner_only_copy(url: str, partner: int) -> None:
    """Delete from the database at ``url`` everything the partner may not see."""
    served = _served(url, partner)
    with db.session(url, Scope.everything()) as s:
        mine = select(TrainingSession.id).where(TrainingSession.partner_id == partner)
        s.execute(delete(Referral).where(Referral.partner_id != partner))
        s.execute(delete(Attendance).where(Attendance.session_id.not_in(mine)))
        s.execute(delete(FollowUp).where(func.coalesce(FollowUp.partner_id, 0) != partner))
        s.execute(delete(Assistance).where(func.coalesce(Assistance.partner_id, 0) != partner))
        s.execute(delete(TrainingSession).where(
            func.coalesce(TrainingSession.partner_id, 0) != partner))
        theirs = select(Cooperative.id).where(
            func.coalesce(Cooperative.partner_id, 0) != partner)
        s.execute(update(Assistance).where(Assistance.cooperative_id.in_(theirs))
                  .values(cooperative_id=None))
        s.execute(delete(Cooperative).where(func.coalesce(Cooperative.partner_id, 0) != partner))
        s.execute(delete(BeneficiaryVulnerability).where(
            BeneficiaryVulnerability.beneficiary_id.not_in(served)))
        s.execute(delete(Beneficiary).where(Beneficiary.id.not_in(served)))
        s.execute(delete(CapacityActivity))
        s.execute(delete(Target))
        s.execute(delete(Partner).where(Partner.id != partner))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def full_url(request: pytest.FixtureRequest, make_database: Callable[[str, str], str]) -> str:
    url = make_database(request.param, "partner_scope_full")
    build_fixture(url)
    cubes.refresh(url)  # fresh cubes: a partner's session must still not read them
    return url


def _frames_equal(a: pd.DataFrame, b: pd.DataFrame, what: str) -> None:
    a = a.reset_index(drop=True)
    b = b.reset_index(drop=True)
    assert list(a.columns) == list(b.columns), what
    assert len(a) == len(b), f"{what}: {a} != {b}"
    for column in a.columns:
        for x, y in zip(a[column], b[column], strict=True):
            if isinstance(x, float) and isinstance(y, float):
                assert (math.isnan(x) and math.isnan(y)) or math.isclose(x, y), \
                    f"{what} {column}: {x} != {y}"
            else:
                assert x == y, f"{what} {column}: {x!r} != {y!r}"


@pytest.mark.parametrize("partner", sorted(PARTNERS))
def test_a_partners_figures_equal_those_of_a_partner_only_copy(
        full_url: str, partner: int, make_database: Callable[[str, str], str]) -> None:
    backend = "sqlite" if full_url.startswith("sqlite") else "postgresql"
    copy_url = make_database(backend, f"partner_only_{partner}")
    build_fixture(copy_url)
    partner_only_copy(copy_url, partner)
    compared = 0
    with db.session(full_url, Scope.for_partner(partner)) as scoped, \
            db.session(copy_url, Scope.everything()) as alone:
        alone.info["analytics"] = False
        assert scoped.info["analytics"] is False
        for spec in catalogue.CATALOGUE:
            for by in [(), *[(d,) for d in spec.breakdowns]]:
                got = compute(spec.code, scoped, WHOLE, by)
                want = compute(spec.code, alone, WHOLE, by)
                _frames_equal(got, want, f"partner {partner} {spec.code} by {by}")
                compared += 1
    assert compared > 150


def test_direct_reads_see_the_partners_records_only(full_url: str) -> None:
    amal = 1  # Association Amal (MA): a6 a7 a8, S2, the visit of b4, R2 R4, C1
    with db.session(full_url, Scope.for_partner(amal)) as s:
        assert s.scalars(select(Partner.name)).all() == ["Association Amal"]
        assert s.get(Partner, 2) is None
        assert sorted(s.scalars(select(Referral.beneficiary_id))) == [2, 3]
        assert sorted(s.scalars(select(Assistance.beneficiary_id))) == [4, 5, 6]
        # served: b2 b3 (referred), b4 b5 b6 (assistance, visit), b1 b5 b6 (session S2)
        assert sorted(s.scalars(select(Beneficiary.id))) == [1, 2, 3, 4, 5, 6]
        assert s.scalars(select(Cooperative.name)).all() == ["Coopérative Atlas"]
        assert s.scalar(select(func.count()).select_from(CapacityActivity)) == 0
        assert s.scalar(select(func.count()).select_from(Target)) == 0
        s.info["analytics"] = True  # even forced on, the cells are out of scope
        assert s.scalar(select(func.count()).select_from(AnalyticsCell)) == 0
        # a tampered country filter can only narrow
        tn = compute("REF-1", s, Filters(countries=("TN",)))
        assert tn.empty or tn["value"].fillna(0).sum() == 0
    with db.session(full_url, Scope.for_partner(amal, ["TN"])) as s:
        assert s.scalar(select(func.count()).select_from(Beneficiary)) == 0
