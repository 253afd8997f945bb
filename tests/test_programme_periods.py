""""By quarter" is the programme's own reporting periods when its file gives them.

On the hand-worked fixture (tests/fixture_db.py) under a programme file whose quarters
start in February (Feb–Apr, May–Jul, Aug–Oct, Nov–Jan, labelled "Y1 Q1"…), BEN-1 and
ASS-1 by quarter equal figures worked out by hand from the fixture's dates, on the case
tables and on the cubes; the cubes equal the case tables for every indicator, breakdown
and granularity (the exactness proof of tests/test_analytics_exactness.py, under this
file); quarters not made of whole months are answered by the case tables. The default
programme's ``manage.py indicators --format json --by quarter`` on a fresh SQLite demo
database is byte-identical to the output recorded before this change
(tests/data/indicators_by_quarter_demo_before.json), and to the output under a file that
states the calendar quarters as its own reporting periods.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import cli
from analytics import cubes
from data_access import db
from data_access.programme import programme
from data_access.scope import Scope
from metrics import Filters, compute, fast, periods
from tests.fixture_db import build_fixture
from tests.test_analytics_exactness import compare_all

D = dt.date
DATA = Path(__file__).resolve().parent / "data"
HEAD = """countries = ["MA", "TN", "SN"]
start = 2015-01-01
end = 2017-01-31
currency = "EUR"

[name]
en = "Test programme"
"""


def programme_file(tmp_path: Path, bounds: list[tuple[str, dt.date, dt.date]],
                   head: str = HEAD) -> Path:
    path = tmp_path / "programme.toml"
    text = head + "".join(f'\n[[reporting_periods]]\nlabel = "{label}"\nstart = {first}\n'
                          f"end = {last}\n" for label, first, last in bounds)
    path.write_text(text, encoding="utf-8")
    return path


def month_end(year: int, month: int) -> dt.date:
    return (D(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1))


# Feb-starting quarters, 2015-02-01 – 2017-01-31 (January 2015 is in none of them)
FEBRUARY = [(f"Y{1 + i // 4} Q{1 + i % 4}",
             D(2015 + (1 + 3 * i) // 12, (1 + 3 * i) % 12 + 1, 1),
             month_end(2015 + (3 + 3 * i) // 12, (3 + 3 * i) % 12 + 1))
            for i in range(8)]


@pytest.fixture
def use_programme(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path], None]]:
    def use(path: Path) -> None:
        monkeypatch.setenv("PROGRAMME_FILE", str(path))
        programme.cache_clear()

    yield use
    programme.cache_clear()


@pytest.fixture
def fixture_url(backend: str, make_database: Callable[[str, str], str],
                request: pytest.FixtureRequest) -> str:
    url = make_database(backend, request.node.name)
    build_fixture(url)
    cubes.refresh(url)
    return url


def by_quarter(url: str, code: str, analytics: bool) -> dict[str, int]:
    """``code`` by quarter, 2015-01-01 – 2016-12-31, its non-zero figures by label."""
    with db.session(url, Scope.everything()) as session:
        session.info["analytics"] = analytics
        frame = compute(code, session, Filters(D(2015, 1, 1), D(2016, 12, 31), (), "quarter"),
                        ("period",))
    return {row.period: int(row.value) for row in frame.itertuples() if row.value}


def test_the_february_quarters_are_the_files() -> None:
    assert FEBRUARY[0] == ("Y1 Q1", D(2015, 2, 1), D(2015, 4, 30))
    assert FEBRUARY[3] == ("Y1 Q4", D(2015, 11, 1), D(2016, 1, 31))
    assert FEBRUARY[7] == ("Y2 Q4", D(2016, 11, 1), D(2017, 1, 31))


# BEN-1 (registered, by registration date), 2015-01-01 – 2016-12-31, from the fixture's
# table: January 2015 (b1 01-01, b14 01-10) is in no quarter; Y1 Q1 Feb–Apr 2015: b9
# 02-15, b4 03-15, b5 03-16, b2 03-31, b3 04-01; Y1 Q2 May–Jul: b6 05-10, b7 06-15, b10
# 06-30, b11 07-01; Y1 Q3 Aug–Oct: b15, b16 10-01; Y1 Q4 Nov–Jan 2016: none; Y2 Q1
# Feb–Apr 2016: b8 02-29, b12 03-10; Y2 Q2 May–Jul: b13 06-01; Y2 Q3: none; Y2 Q4 (to the
# filter's end, 12-31): b17 12-31.
BEN_1 = {"Y1 Q1": 5, "Y1 Q2": 4, "Y1 Q3": 2, "Y2 Q1": 2, "Y2 Q2": 1, "Y2 Q4": 1}
# ASS-1 (delivered records, by delivery date): Y1 Q1: #16 03-01, #4 03-20, #1 03-31, #3
# 04-01; Y1 Q2: #11 05-01, #2 06-01, #6 #7 06-30, #8 07-01, #5 07-15; Y1 Q3: #12 10-01;
# Y1 Q4: #13 2015-12-31, #17 2016-01-01, #18 2016-01-15; Y2 Q1: #10 02-29; Y2 Q2: #15
# 07-01 (16 in all: none in January 2015).
ASS_1 = {"Y1 Q1": 4, "Y1 Q2": 6, "Y1 Q3": 1, "Y1 Q4": 3, "Y2 Q1": 1, "Y2 Q2": 1}


def test_by_quarter_is_the_files_quarters(tmp_path: Path, use_programme: Callable[[Path], None],
                                          fixture_url: str) -> None:
    use_programme(programme_file(tmp_path, FEBRUARY))
    for analytics in (False, True):
        assert by_quarter(fixture_url, "BEN-1", analytics) == BEN_1, analytics
        assert by_quarter(fixture_url, "ASS-1", analytics) == ASS_1, analytics
    with db.session(fixture_url, Scope.everything()) as session:
        frame = compute("ASS-1", session, Filters(D(2015, 1, 1), D(2016, 12, 31), (),
                                                  "quarter"), ("period",))
        starts = dict(zip(frame["period"], frame["period_start"], strict=True))
        assert starts["Y1 Q4"] == D(2015, 11, 1) and starts["Y1 Q1"] == D(2015, 2, 1)
        # the cubes answer (month-aligned quarters), not the case tables
        assert fast.answer("ASS-1", session, Filters(D(2015, 1, 1), D(2016, 12, 31), (),
                                                     "quarter"), ("period",)) is not None


def test_fast_path_equals_case_tables_under_the_files_quarters(
        tmp_path: Path, use_programme: Callable[[Path], None], fixture_url: str) -> None:
    use_programme(programme_file(tmp_path, FEBRUARY))
    ranges = [(D(2015, 1, 1), D(2016, 12, 31)), (D(2015, 3, 1), D(2016, 2, 29)),
              (D(2015, 11, 1), D(2016, 7, 31)), (D(2015, 1, 1), D(2015, 1, 31))]
    assert compare_all(fixture_url, ranges) > 300


def test_quarters_not_made_of_months_read_the_case_tables(
        tmp_path: Path, use_programme: Callable[[Path], None], fixture_url: str) -> None:
    # Quarters from the 16th: 2015-01-16 – 04-15, 04-16 – 07-15, 07-16 – 10-15, …
    starts = [D(2015 + (3 * i) // 12, (3 * i) % 12 + 1, 16) for i in range(9)]
    bounds = [(f"P{i + 1}", starts[i], starts[i + 1] - dt.timedelta(days=1))
              for i in range(8)]
    use_programme(programme_file(tmp_path, bounds))
    f = Filters(D(2015, 1, 1), D(2016, 12, 31), (), "quarter")
    with db.session(fixture_url, Scope.everything()) as session:
        assert fast.answer("ASS-1", session, f, ("period",)) is None
        assert fast.answer("ASS-1", session, f, ()) is not None  # no quarters: cubes
    # ASS-1 by hand: P1 (01-16 – 04-15): #16 03-01, #4 03-20, #1 03-31, #3 04-01; P2
    # (04-16 – 07-15): #11 05-01, #2 06-01, #6 #7 06-30, #8 07-01, #5 07-15; P3 (07-16 –
    # 10-15): #12 10-01; P4 (10-16 – 2016-01-15): #13 12-31, #17 01-01, #18 01-15; P5
    # (01-16 – 04-15): #10 02-29; P6 (04-16 – 07-15): #15 07-01.
    want = {"P1": 4, "P2": 6, "P3": 1, "P4": 3, "P5": 1, "P6": 1}
    assert by_quarter(fixture_url, "ASS-1", True) == want
    assert by_quarter(fixture_url, "ASS-1", False) == want
    assert periods.month_aligned(tuple(programme().reporting_periods)) is False


def _demo_by_quarter(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                     url: str) -> str:
    monkeypatch.setenv("DATABASE_URL", url)
    assert cli.main(["demo-data"]) == 0
    capsys.readouterr()
    assert cli.main(["indicators", "--format", "json", "--by", "quarter"]) == 0
    return capsys.readouterr().out


def test_the_default_programme_is_byte_identical(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        use_programme: Callable[[Path], None],
        make_database: Callable[[str, str], str]) -> None:
    out = _demo_by_quarter(monkeypatch, capsys, make_database("sqlite", "quarters_default"))
    before = (DATA / "indicators_by_quarter_demo_before.json").read_text(encoding="utf-8")
    assert out == before
    # The same calendar quarters stated in the file as its own: the same bytes
    head = Path(programme().path).read_text(encoding="utf-8")
    calendar = [(f"{year}Q{q}", D(year, 3 * q - 2, 1), month_end(year, 3 * q))
                for year in (2015, 2016) for q in (1, 2, 3, 4)]
    use_programme(programme_file(tmp_path, calendar, head))
    assert periods.reporting_periods("quarter")[0].label == "2015Q1"
    assert _demo_by_quarter(monkeypatch, capsys,
                            make_database("sqlite", "quarters_calendar_file")) == out


def test_dhis2_refuses_the_files_quarters(tmp_path: Path, use_programme: Callable[[Path], None],
                                          fixture_url: str) -> None:
    """DHIS2's quarterly periods are calendar quarters: a quarterly export under a file
    with its own quarters is refused (it would write "Y1 Q1" as a DHIS2 period); by month
    it still exports."""
    from reports import dhis2

    mapping = dhis2.load_mapping(Path(__file__).resolve().parent.parent / "exports"
                                 / "dhis2_mapping.yaml")
    use_programme(programme_file(tmp_path, FEBRUARY))
    with db.session(fixture_url, Scope.everything()) as session:
        with pytest.raises(dhis2.Dhis2Error, match="calendar quarters"):
            dhis2.build(session, mapping, Filters(D(2015, 1, 1), D(2016, 12, 31), (),
                                                  "quarter"))
        built = dhis2.build(session, mapping, Filters(D(2015, 1, 1), D(2016, 12, 31), (),
                                                      "month"))
        assert built.payload["dataValues"]
