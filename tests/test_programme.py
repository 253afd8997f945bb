"""Issue 18: a programme is configuration, not code.

The programme file's checks (each fault refused with a message naming it), the default
file (MoTuSe), and a second file — five other countries, 2017–2021, donor quarters from
February — driving the dashboard's layers: demo data, ``manage.py indicators``, an import
of its cases, a refused case of a country outside it, a focal point's scope, the users'
countries, the sidebar's periods and the country colours.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from data_access.programme import ProgrammeError, parse, programme, read

ROOT = Path(__file__).resolve().parent.parent
FIVE = ROOT / "programmes" / "example_five.toml"
FIVE_COUNTRIES = ("GN", "NG", "ET", "IQ", "AF")
D = dt.date

GOOD = """
countries = ["GN", "NG"]
start = 2017-01-01
end = 2018-12-31
currency = "USD"
[name]
en = "Test"
fr = "Essai"
[[reporting_periods]]
label = "P1"
start = 2017-02-01
end = 2017-04-30
[[reporting_periods]]
label = "P2"
start = 2017-05-01
end = 2017-07-31
"""


def _with(text: str, old: str, new: str) -> dict[str, Any]:
    assert old in text, old
    return tomllib.loads(text.replace(old, new))


# --- the loader ---------------------------------------------------------------------------

def test_a_good_file_is_read() -> None:
    p = parse(tomllib.loads(GOOD))
    assert p.countries == ("GN", "NG")
    assert (p.start, p.end, p.currency) == (D(2017, 1, 1), D(2018, 12, 31), "USD")
    assert (p.name("en"), p.name("fr")) == ("Test", "Essai")
    assert [(r.label, r.start, r.end) for r in p.reporting_periods] == [
        ("P1", D(2017, 2, 1), D(2017, 4, 30)), ("P2", D(2017, 5, 1), D(2017, 7, 31))]


@pytest.mark.parametrize(("old", "new", "says"), [
    ('["GN", "NG"]', '["GN", "XX"]', "'XX' is not an ISO 3166-1 alpha-2 country code"),
    ('["GN", "NG"]', '["GN", "gn"]', "'gn' is not an ISO 3166-1"),
    ('["GN", "NG"]', '["GN", "GN"]', "country GN is listed twice"),
    ('["GN", "NG"]', '[]', "countries must be a non-empty list"),
    ("end = 2018-12-31", "end = 2016-12-31", "the programme ends (2016-12-31) before it starts"),
    ("end = 2018-12-31", 'end = "2018-12-31"', "end must be a date written YYYY-MM-DD"),
    ('currency = "USD"', 'currency = "XYZ"', "currency 'XYZ' is not an ISO 4217 code"),
    ('en = "Test"', 'de = "Test"', "[name] needs at least an English name"),
    ('start = 2017-05-01\nend = 2017-07-31', 'start = 2017-04-01\nend = 2017-07-31',
     "reporting period 2 (P2) overlaps P1: it starts 2017-04-01, P1 ends 2017-04-30"),
    ('start = 2017-05-01\nend = 2017-07-31', 'start = 2017-06-01\nend = 2017-07-31',
     "reporting period 2 (P2) leaves a gap after P1: expected it to start 2017-05-01"),
    ('start = 2017-05-01\nend = 2017-07-31', 'start = 2017-05-01\nend = 2019-07-31',
     "reporting period 2 (P2) lies outside the programme period 2017-01-01 – 2018-12-31"),
    ('start = 2017-05-01\nend = 2017-07-31', 'start = 2017-05-01\nend = 2017-04-30',
     "reporting period 2 (P2) ends (2017-04-30) before it starts (2017-05-01)"),
    ('label = "P2"', 'label = "P1"', "reporting period label 'P1' is used twice"),
    ('currency = "USD"', 'currency = "USD"\nregion = "West Africa"', "unknown key 'region'"),
])
def test_a_bad_file_is_refused_with_its_fault(old: str, new: str, says: str) -> None:
    with pytest.raises(ProgrammeError) as caught:
        parse(_with(GOOD, old, new), "p.toml")
    message = str(caught.value)
    assert says in message, message
    assert message.startswith("programme file p.toml: ") and "PROGRAMME_FILE" in message


def test_a_missing_or_broken_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ProgrammeError, match="does not exist"):
        read(tmp_path / "none.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("countries = [\n", encoding="utf-8")
    with pytest.raises(ProgrammeError, match="is not valid TOML"):
        read(broken)


def test_a_bad_programme_file_stops_the_command_line(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    from cli import main

    bad = tmp_path / "bad.toml"
    bad.write_text(GOOD.replace('"NG"', '"ZZ"'), encoding="utf-8")
    monkeypatch.setenv("PROGRAMME_FILE", str(bad))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    assert main(["indicators"]) == 2
    assert "'ZZ' is not an ISO 3166-1 alpha-2 country code" in capsys.readouterr().err


def test_the_default_programme_is_motuse() -> None:
    p = programme()
    assert p.path.endswith("programmes/motuse.toml")
    assert (p.countries, p.start, p.end, p.currency) == (
        ("MA", "TN", "SN"), D(2015, 1, 1), D(2016, 12, 31), "EUR")
    assert p.reporting_periods == ()
    assert "Morocco" in p.name("en") and "Maroc" in p.name("fr")


def test_the_five_country_file() -> None:
    p = read(FIVE)
    assert p.countries == FIVE_COUNTRIES
    assert (p.start, p.end) == (D(2017, 1, 1), D(2021, 12, 31))
    periods = p.reporting_periods
    assert periods[0].start == D(2017, 2, 1) and periods[-1].end == D(2021, 10, 31)
    # Three months each, one after the other (the loader also checks the chaining).
    assert all(b.start == a.end + dt.timedelta(days=1) for a, b in zip(periods, periods[1:],
                                                                      strict=False))
    assert {r.start.month for r in periods} == {2, 5, 8, 11}


# --- colours ------------------------------------------------------------------------------

def test_country_colours_extend_to_any_number_of_countries() -> None:
    import pycountry

    from views.palette import OTHER, _country_colours, country_colours

    assert country_colours() == {"MA": "#c1272d", "TN": "#e8a33d", "SN": "#00853f"}
    codes = sorted(c.alpha_2 for c in pycountry.countries)[:40]
    many = parse({"countries": codes, "start": D(2020, 1, 1), "end": D(2020, 12, 31),
                  "currency": "EUR", "name": {"en": "Many"}})
    colours = _country_colours(many)
    assert list(colours) == codes
    assert len(set(colours.values())) == 40 and OTHER not in colours.values()
    again = parse({"countries": codes, "start": D(2020, 1, 1), "end": D(2020, 12, 31),
                   "currency": "EUR", "name": {"en": "Many"}})
    assert _country_colours(again) == colours  # stable: the same file, the same colours


# --- a second programme drives the dashboard ----------------------------------------------

@pytest.fixture
def five(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROGRAMME_FILE", str(FIVE))


@pytest.fixture
def five_db(five: None, make_database: Callable[[str, str], str],
            request: pytest.FixtureRequest) -> Iterator[str]:
    import demo

    url = make_database("sqlite", request.node.name)
    demo.load(url, demo.generate(400, seed=3), progress=lambda _line: None)
    yield url


def test_demo_data_follows_the_programme(five_db: str) -> None:
    from data_access import db
    from data_access.models import Beneficiary, Target
    from data_access.scope import Scope

    with db.session(five_db, Scope.everything()) as s:
        countries = set(s.scalars(select(Beneficiary.country).distinct()))
        first, last = s.execute(select(func.min(Beneficiary.registration_date),
                                       func.max(Beneficiary.registration_date))).one()
        ends = set(s.scalars(select(Target.period_end).distinct()))
        numbers = list(s.scalars(select(Beneficiary.case_number)))
    assert countries == set(FIVE_COUNTRIES)
    assert D(2017, 1, 1) <= first and last <= D(2021, 12, 31)
    assert ends == {D(y, 12, 31) for y in range(2017, 2022)}  # one target per year end
    assert {n[:7] for n in numbers} <= {f"{c}-{y}" for c in FIVE_COUNTRIES
                                        for y in range(2017, 2022)}


def test_indicators_command_reports_the_programme(five_db: str,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from cli import main
    from data_access import db
    from data_access.models import Beneficiary
    from data_access.scope import Scope

    monkeypatch.setenv("DATABASE_URL", five_db)
    assert main(["indicators", "--indicator", "BEN-1", "--by", "country",
                 "--format", "json"]) == 0
    by_country = {row["country"]: row["BEN-1"] for row in json.loads(capsys.readouterr().out)}
    # BEN-1 (distinct registrations) over the programme's own default period, 2017–2021,
    # against a plain count of the table.
    with db.session(five_db, Scope.everything()) as s:
        counted = {country: n for country, n in s.execute(
            select(Beneficiary.country, func.count()).where(
                Beneficiary.registration_date.between(D(2017, 1, 1), D(2021, 12, 31)))
            .group_by(Beneficiary.country))}
    assert by_country == counted and set(by_country) == set(FIVE_COUNTRIES)
    # The default period is the programme's: a 2015–2016 window would hold nothing.
    assert main(["indicators", "--indicator", "BEN-1", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["BEN-1"] == sum(counted.values())


def _cases(rows: list[dict[str, Any]]) -> bytes:
    from tests.test_import import workbook_bytes

    return workbook_bytes({"beneficiaries": rows})


def test_import_of_its_cases_and_a_refused_outside_country(
        five: None, make_database: Callable[[str, str], str]) -> None:
    from tests.test_import import do_import, snapshot

    url = make_database("sqlite", "five_import")
    # A host country may be any country; the case's own must be the programme's.
    guinea = dict(case_number="G1", country="GN", region="GN-C", sex="F",
                  return_date="2018-02-01", registration_date="2018-02-10",
                  host_country="France")
    nigeria = dict(case_number="N1", country="Nigeria", region="Lagos", sex="M",
                   return_date="2019-03-01", registration_date="2019-03-05")
    report = do_import(url, _cases([guinea, nigeria]))
    assert report.ok, report.problems
    assert report.counts["beneficiaries"]["inserted"] == 2

    before = snapshot(url)
    morocco = dict(case_number="M1", country="MA", sex="M", return_date="2019-03-01",
                   registration_date="2019-03-05")
    report = do_import(url, _cases([guinea, morocco]))
    assert not report.ok
    [problem] = report.problems
    assert (problem.sheet, problem.row, problem.column) == ("beneficiaries", 3, "country")
    assert "MA (Morocco) is not a country of this programme: its countries are " \
           "GN, NG, ET, IQ, AF" in problem.message
    assert snapshot(url) == before  # nothing written


def test_the_default_programme_refuses_the_five_countries(
        make_database: Callable[[str, str], str]) -> None:
    from tests.test_import import do_import

    url = make_database("sqlite", "motuse_refuses_guinea")
    report = do_import(url, _cases([dict(case_number="G1", country="Guinée", sex="F",
                                         return_date="2015-02-01",
                                         registration_date="2015-02-10")]))
    assert [p.column for p in report.problems] == ["country"]
    assert "GN (Guinea) is not a country of this programme: its countries are MA, TN, SN" \
        in report.problems[0].message


def test_a_focal_point_of_one_country(five_db: str) -> None:
    import metrics
    from accounts import users
    from data_access import db
    from data_access.models import Beneficiary
    from data_access.scope import Scope
    from metrics.filters import Filters
    from ui.viewer import scope_for

    assert users.check_role("focal_point", ("gn",)) == ("GN",)
    with pytest.raises(users.UserError, match="unknown country MA .not one of the programme"):
        users.check_role("focal_point", ("MA",))
    demo = users.demo_users()
    assert sorted(u.countries[0] for u in demo.values() if u.role == "focal_point") == \
        sorted(FIVE_COUNTRIES)
    focal = demo["demo-focal-gn"]
    assert users.check_password("focal-gn-demo", focal.password_hash)
    scope = scope_for(focal)
    with db.session(five_db, scope) as s:
        seen = set(s.scalars(select(Beneficiary.country).distinct()))
        # A tampered filter naming another country narrows to nothing, never widens.
        value = metrics.compute("BEN-1", s, Filters()).iloc[0]["value"]
        other = metrics.compute("BEN-1", s, Filters(countries=("NG",))).iloc[0]["value"]
    with db.session(five_db, Scope.everything()) as s:
        guinea = s.scalar(select(func.count()).select_from(Beneficiary).where(
            Beneficiary.country == "GN"))
    assert seen == {"GN"}
    assert value == guinea and other == 0


def test_the_sidebar_offers_the_programmes_own_quarters(five: None) -> None:
    from ui.filters import WHOLE, _period_key, period_name, period_token, presets

    choices = presets(D(2017, 1, 3), D(2021, 12, 30))
    assert choices[WHOLE] == (D(2017, 1, 1), D(2021, 12, 31))
    own = [k for k in choices if k.startswith("Y")]
    assert own[0] == "Y5 Q3" and own[-1] == "Y1 Q1" and len(own) == 19
    assert choices["Y1 Q1"] == (D(2017, 2, 1), D(2017, 4, 30))
    assert choices["Y4 Q4"] == (D(2020, 11, 1), D(2021, 1, 31))  # across the new year
    assert not any(" Q" in k and k[:4].isdigit() for k in choices)  # no calendar quarter
    assert period_name("Y4 Q4", choices) == "Y4 Q4"
    assert period_token("Y4 Q4") == "Y4-Q4"
    assert _period_key("Y4-Q4", list(choices)) == "Y4 Q4"
    # Only the periods the data reaches are offered.
    assert [k for k in presets(D(2018, 6, 1), D(2018, 9, 1)) if k.startswith("Y")] == \
        ["Y2 Q3", "Y2 Q2"]


def test_the_default_sidebar_keeps_calendar_quarters() -> None:
    from ui.filters import presets

    choices = presets(D(2015, 1, 3), D(2016, 12, 30))
    assert choices["2016 Q3"] == (D(2016, 7, 1), D(2016, 9, 30))
    assert sum(1 for k in choices if " Q" in k) == 8


def test_no_country_or_period_is_named_in_the_code() -> None:
    """Nothing outside the demo data and its file names MA, TN, SN or 2015–2016."""
    import re

    pattern = re.compile(r"""["'](MA|TN|SN)["']|PROGRAMME_START|PROGRAMME_END|"""
                         r"""date\(2015|date\(2016""")
    found = []
    for package in ("app.py", "pages", "ui", "views", "reports", "metrics", "data_access",
                    "analytics", "importing", "accounts", "casework", "cli"):
        paths = [ROOT / package] if package.endswith(".py") else \
            sorted((ROOT / package).rglob("*.py"))
        for path in paths:
            if "migrations" in path.parts:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if pattern.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []
