"""One follow-up rule (domain.md, data_access.followups): the Caseload's overdue list, Data
quality's "follow-up overdue" and FUP-1's due-but-not-covered count agree, for every focal
point and for all countries, read from the case tables and from the analytics cubes.

Hand-worked on the fixture (tests/fixture_db.py) with two cases closed: b1 (MA, visited in
time) and b16 (SN, never visited). As of 2016-12-31 every one of the 14 assisted is due
(first delivery on or before 2016-07-02); met by a visit at least 182 days after it: 1 2 3
4 6 8 9 10 11 13 14. Not met: b5 (MA, 181 days), b15 (SN, 91 days), b16 (closed: not due).
As of 2016-06-30: due 1 2 3 4 5 6 9 10 11 14 (first delivery by 2015-12-31), b1 closed;
not met by then: b5, b11 (TN, visited only on 2016-12-31).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import update

from analytics import cubes
from casework import caseload
from data_access import db
from data_access.models import Beneficiary
from data_access.scope import Scope
from data_access.vocab import CaseStatus
from metrics import compute, quality
from metrics.filters import Filters, programme_start
from tests.fixture_db import build_fixture

D = dt.date
EXPECTED = {  # as-of date -> overdue per country
    D(2016, 12, 31): {"MA": 1, "TN": 0, "SN": 1},
    D(2016, 6, 30): {"MA": 1, "TN": 1, "SN": 0},
}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, make_database: Callable[[str, str], str]) -> str:
    url = make_database(request.param, "followup_rule")
    build_fixture(url)
    with db.session(url, Scope.everything()) as session:
        session.execute(update(Beneficiary).where(Beneficiary.id.in_([1, 16]))
                        .values(status=CaseStatus.CLOSED))
    cubes.refresh(url, force=True)
    return url


def _three_counts(session, as_of: dt.date, countries: tuple[str, ...]) -> tuple[int, ...]:
    listed = caseload.cases(session, today=as_of, countries=countries, due_within=0)
    assert all(state.startswith("overdue") for state in listed.rows["follow_up"])
    f = Filters(programme_start(), as_of, countries)
    checks = quality.checks(session, f).set_index("check")["value"]
    coverage = compute("FUP-1", session, f).iloc[0]
    return (listed.total, int(checks["followup_overdue"]),
            int(coverage["denominator"] - coverage["numerator"]))


@pytest.mark.parametrize("as_of", list(EXPECTED))
@pytest.mark.parametrize("cubes", [True, False], ids=["cubes", "case-tables"])
def test_caseload_data_quality_and_fup1_agree(url: str, as_of: dt.date, cubes: bool) -> None:
    expected = EXPECTED[as_of]
    for country, count in expected.items():  # each focal point, and that country's filter
        with db.session(url, Scope.for_countries([country])) as session:
            session.info["analytics"] = cubes
            assert _three_counts(session, as_of, ()) == (count,) * 3, (country, as_of)
        with db.session(url, Scope.everything()) as session:
            session.info["analytics"] = cubes
            assert _three_counts(session, as_of, (country,)) == (count,) * 3, (country, as_of)
    with db.session(url, Scope.everything()) as session:
        session.info["analytics"] = cubes
        total = sum(expected.values())
        assert _three_counts(session, as_of, ()) == (total,) * 3, as_of


def test_closed_cases_are_never_due(url: str) -> None:
    with db.session(url, Scope.everything()) as session:
        rows = caseload.cases(session, today=D(2016, 12, 31), search="SN-016").rows
        assert rows["next_due"].tolist() == [None] and rows["follow_up"].tolist() == [""]
        listed = caseload.cases(session, today=D(2016, 12, 31), due_within=0, limit=50)
        assert sorted(listed.rows["case_number"]) == ["MA-005", "SN-015"]
        coverage = compute("FUP-1", session, Filters()).iloc[0]
        assert (coverage["numerator"], coverage["denominator"]) == (10, 12)


def test_the_rule_s_days_are_written_once() -> None:
    """The due delay (182 days) and the twelve-month delay (365 days) are constants of
    data_access.followups: the indicators' SIX_MONTHS/TWELVE_MONTHS are those, the
    Caseload's help and Data quality's description say them, and no other module of the
    dashboard spells 182 as a number (analytics/ keeps its own 365 until its owner
    switches; its six months already read DUE_DAYS)."""
    import ast
    from pathlib import Path

    from data_access import followups
    from i18n import _
    from metrics import dates

    assert dates.SIX_MONTHS == followups.DUE and followups.DUE.days == followups.DUE_DAYS
    assert dates.TWELVE_MONTHS.days == followups.TWELVE_MONTH_DAYS == 365
    overdue = quality.BY_CODE["followup_overdue"].description
    assert _(overdue).format(days=followups.DUE_DAYS).count(f"{followups.DUE_DAYS} days") == 2
    root = Path(__file__).resolve().parent.parent
    spelled = []
    packages = [d for d in root.iterdir() if d.is_dir() and any(d.glob("*.py"))
                and d.name not in {"tests", "benchmarks"}]
    for path in sorted(p for d in packages for p in d.rglob("*.py")):
        if path.name == "followups.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        spelled += [f"{path.relative_to(root)}:{node.lineno}" for node in ast.walk(tree)
                    if isinstance(node, ast.Constant) and node.value == followups.DUE_DAYS
                    and type(node.value) is int]
    assert not spelled, f"182 spelled outside data_access/followups.py: {spelled}"
    page = (root / "pages" / "caseload.py").read_text(encoding="utf-8")
    assert "182" not in page and "days=followups.DUE_DAYS" in page
