"""`manage.py indicators` on the fixture: JSON and CSV, with and without --by, and the
figures equal to metrics.compute's."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable

import pytest

import cli
from data_access import db
from data_access.scope import Scope
from metrics import Filters, catalogue, compute
from tests.fixture_db import EXPECTED, build_fixture


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fixture_url(request: pytest.FixtureRequest,
                make_database: Callable[[str, str], str]) -> str:
    url = make_database(request.param, "fixture_" + request.module.__name__)
    build_fixture(url)
    return url


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], url: str,
        *args: str) -> str:
    monkeypatch.setenv("DATABASE_URL", url)
    assert cli.main(["indicators", *args]) == 0
    return capsys.readouterr().out


def test_json_without_by_has_every_code(monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str],
                                        fixture_url: str) -> None:
    out = json.loads(run(monkeypatch, capsys, fixture_url))
    assert isinstance(out, dict)
    assert {c for c in out if "." not in c} == {s.code for s in catalogue.CATALOGUE}
    with db.session(fixture_url, Scope.everything()) as session:
        for spec in catalogue.CATALOGUE:
            row = compute(spec.code, session, Filters()).iloc[0]
            assert math.isclose(out[spec.code], row["value"], abs_tol=1e-6), spec.code
            for measure in spec.measures:
                assert math.isclose(out[f"{spec.code}.{measure}"], row[measure],
                                    abs_tol=1e-6)
    assert out["BEN-1"] == EXPECTED["BEN-1"]["total"]
    assert out["CAP-2"] == EXPECTED["CAP-2"]["total"]


def test_json_by_country_is_a_list(monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str],
                                   fixture_url: str) -> None:
    out = json.loads(run(monkeypatch, capsys, fixture_url, "--by", "country"))
    assert isinstance(out, list)
    rows = {r["country"]: r for r in out}
    assert set(rows) == {"MA", "SN", "TN"}
    for code in ("BEN-1", "ASS-2", "FUP-3", "CAP-1"):
        by_country = EXPECTED[code]["country"]
        assert isinstance(by_country, dict)
        for country, value in by_country.items():
            assert rows[country][code] == value, (code, country)
    assert math.isclose(rows["MA"]["FUP-2"], 5 / 6, abs_tol=1e-6)


def test_by_quarter_and_by_a_capacity_breakdown(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str],
                                                fixture_url: str) -> None:
    out = json.loads(run(monkeypatch, capsys, fixture_url, "--by", "quarter"))
    assert {r["quarter"]: r.get("BEN-1") for r in out if "BEN-1" in r} == \
        EXPECTED["BEN-1"]["quarter"]
    out = json.loads(run(monkeypatch, capsys, fixture_url, "--by", "activity"))
    assert {r["activity"]: r["CAP-2"] for r in out} == EXPECTED["CAP-2"]["activity"]
    assert all(set(r) == {"activity", "CAP-1", "CAP-2"} for r in out)


def test_csv(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
             fixture_url: str) -> None:
    rows = list(csv.DictReader(io.StringIO(
        run(monkeypatch, capsys, fixture_url, "--format", "csv", "--by", "sex"))))
    by_sex = {r["sex"]: r for r in rows}
    assert by_sex["F"]["BEN-1"] == "6" and by_sex["M"]["BEN-1"] == "11"
    total = list(csv.DictReader(io.StringIO(
        run(monkeypatch, capsys, fixture_url, "--format", "csv"))))
    assert len(total) == 1 and total[0]["ASS-1"] == "16"


def test_period_and_country_options(monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str],
                                    fixture_url: str) -> None:
    out = json.loads(run(monkeypatch, capsys, fixture_url, "--from", "2015-01-01",
                         "--to", "2015-03-31", "--country", "MA", "TN",
                         "--indicator", "BEN-1"))
    assert out == {"BEN-1": 5}  # Q1 2015: b1 b2 b4 b5 (MA) and b9 (TN)
