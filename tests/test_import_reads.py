"""The import reads only the rows of the cases its file names: no SELECT on the
beneficiary or fact tables without a WHERE (a whole-table read took ~45 s and 2.8 GB for a
500-case file at a million beneficiaries), and reading the cases in chunks of bound values
gives the same result as reading them at once."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from data_access import db
from data_access.scope import Scope
from importing import Source
from importing.apply import apply, touched
from importing.problems import indicator_codes
from importing.validate import validate
from tests.test_import import CLEAN, TODAY, do_import, workbook_bytes

# the module (the package's ``validate`` is the function)
EXISTING = importlib.import_module("importing.existing")
BIG = ("beneficiary", "beneficiary_vulnerability", "assistance", "attendance", "follow_up")
FROM_BIG = re.compile(r"\b(?:FROM|JOIN)\s+(?:" + "|".join(BIG) + r")\b", re.IGNORECASE)


def _with_others(data: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """``data`` plus 20 other cases, each with assistance, training and a follow-up."""
    out = {k: [dict(r) for r in v] for k, v in data.items()}
    for i in range(20):
        case = f"B{i:02d}"
        out["beneficiaries"].append(dict(
            case_number=case, country="MA", sex="F" if i % 2 else "M", birth_year=1980 + i,
            return_date="2015-02-01", registration_date="2015-02-10",
            vulnerabilities="elderly" if i % 3 == 0 else None))
        out["assistance"].append(dict(
            case_number=case, modality="individual", kind="business_grant", sector="trade",
            amount_eur=500 + i, approved_date="2015-03-01", delivered_date="2015-04-01"))
        out["training"].append(dict(
            case_number=case, kind="business_management", session_date="2015-06-01",
            provider="P", completed="yes"))
        out["followups"].append(dict(
            case_number=case, visit_date="2015-12-01", business_operating="yes",
            jobs_created=1, score_economic=0.5, score_social=0.5, score_psychosocial=0.5))
    return out


def _corrected() -> dict[str, list[dict[str, Any]]]:
    """A file of two existing cases (A1 and A3 changed) and one new case. (A3 used to move
    to TN: case numbers are unique per country now, so a TN row would be another case.)"""
    fixed = {k: [dict(r) for r in v if r.get("case_number") in (None, "A1", "A3")]
             for k, v in CLEAN.items()}
    fixed["beneficiaries"][0]["vulnerabilities"] = "elderly; single_parent"
    fixed["beneficiaries"][1]["status"] = "closed"
    fixed["assistance"][0]["amount_eur"] = 1200
    fixed["beneficiaries"].append(dict(case_number="C1", country="SN", sex="F",
                                       birth_year=1990, return_date="2015-02-01",
                                       registration_date="2015-02-10"))
    fixed["training"].append(dict(case_number="C1", kind="business_management",
                                  session_date="2015-06-01", provider="P", completed="no"))
    fixed["followups"].append(dict(case_number="A3", visit_date="2016-01-05",
                                   business_operating="no", jobs_created=0))
    return fixed


@pytest.fixture
def recorded(empty_db_url: str) -> Iterator[tuple[str, list[tuple[str, Any]]]]:
    """A database holding CLEAN and 20 other cases; the statements run on its engine."""
    assert do_import(empty_db_url, workbook_bytes(_with_others(CLEAN))).ok
    statements: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any,
               _executemany: bool) -> None:
        statements.append((statement, parameters))

    engine = db.get_engine(empty_db_url)
    event.listen(engine, "before_cursor_execute", record)
    yield empty_db_url, statements
    event.remove(engine, "before_cursor_execute", record)


def _chunk(monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    monkeypatch.setattr(EXISTING, "IN_CHUNK", size)


@pytest.mark.parametrize("chunk", [1, 500])
def test_validate_and_apply_read_only_the_files_cases(
        chunk: int, monkeypatch: pytest.MonkeyPatch,
        recorded: tuple[str, list[tuple[str, Any]]]) -> None:
    _chunk(monkeypatch, chunk)
    url, statements = recorded
    with db.get_engine(url).connect() as conn:
        validated = validate(Source("fix.xlsx", data=workbook_bytes(_corrected())), conn,
                                  Scope.everything(), today=TODAY,
                                  indicator_codes=indicator_codes())
        assert validated.ok, validated.problems
        assert touched(conn, validated).case_numbers == {"A1", "A3", "C1"}
        counts = apply(conn, validated)
        conn.rollback()
    assert counts["beneficiaries"] == {"inserted": 1, "updated": 2, "unchanged": 0,
                                       "rejected": 0}
    assert counts["followups"] == {"inserted": 1, "updated": 0, "unchanged": 1,
                                   "rejected": 0}
    selects = [s for s, _p in statements if s.lstrip().upper().startswith("SELECT")]
    big = [s for s in selects if FROM_BIG.search(s)]
    assert big, "the import reads the beneficiary and fact tables"
    whole = [s for s in big if not re.search(r"\bWHERE\b", s, re.IGNORECASE)]
    assert not whole, whole
    bound = [len(p) for s, p in statements if s in big]
    assert max(bound) <= chunk  # never more values than IN_CHUNK in one statement


@pytest.mark.parametrize("chunk", [1, 2, 500])
def test_chunked_reads_give_the_same_counts(chunk: int, monkeypatch: pytest.MonkeyPatch,
                                            recorded: tuple[str, list[tuple[str, Any]]]
                                            ) -> None:
    _chunk(monkeypatch, chunk)
    url, _statements = recorded
    payload = workbook_bytes(_with_others(_corrected()))
    report = do_import(url, payload)
    assert report.ok, report.problems
    assert report.counts["beneficiaries"] == {"inserted": 1, "updated": 2, "unchanged": 20,
                                              "rejected": 0}
    assert report.counts["assistance"] == {"inserted": 0, "updated": 1, "unchanged": 21,
                                           "rejected": 0}
    # (A3's attendance no longer changes: it used to follow A3's move to TN)
    assert report.counts["training"] == {"inserted": 1, "updated": 0, "unchanged": 22,
                                         "rejected": 0}
    assert report.counts["followups"] == {"inserted": 1, "updated": 0, "unchanged": 21,
                                          "rejected": 0}
    again = do_import(url, payload)
    assert again.ok, again.problems
    assert all(c["inserted"] == 0 and c["updated"] == 0 for c in again.counts.values())
    assert again.counts["beneficiaries"]["unchanged"] == 23
