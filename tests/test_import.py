"""Issue 5: importing the template — clean files, idempotence, French files, every kind of
problem (alone and mixed) leaving the database unchanged, and malformed files."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from cli.indicators import collect
from data_access import db
from data_access.models import Base
from data_access.scope import Scope
from importing import ImportReport, Source, run_import
from importing.problems import indicator_codes
from importing.schema import BY_NAME, SHEETS
from metrics.filters import Filters

TODAY = dt.date(2020, 1, 1)
EN = {s.name: [c.name for c in s.columns] for s in SHEETS}
FR = {s.name: [c.french or c.name for c in s.columns] for s in SHEETS}

# A small programme worked by hand (figures in test_clean_file_gives_hand_worked_figures).
# Any: cells as a field office types them (text, numbers, dates, None), and figures.
CLEAN: dict[str, list[dict[str, Any]]] = {
    "beneficiaries": [
        dict(case_number="A1", country="MA", region="MA-05", sex="F", birth_date="1990-05-01",
             return_date="2015-02-01", registration_date="2015-02-10",
             vulnerabilities="medical", return_type="assisted", consent_story="yes",
             first_name="Amina", host_country="ES"),
        dict(case_number="A2", country="Morocco", sex="M", birth_year=1985,
             return_date="2015-03-01", registration_date="2015-03-05", household_size=3,
             host_country="France"),
        dict(case_number="A3", country="SN", region="Dakar", sex="M",
             return_date="2015-04-01", registration_date="2015-04-03", status="counselled"),
    ],
    "assistance": [
        dict(case_number="A1", modality="individual", kind="business_grant", sector="trade",
             amount_eur=1000, approved_date="2015-03-01", delivered_date="2015-04-01"),
        dict(case_number="A2", modality="collective", kind="business_grant",
             sector="agriculture", amount_eur=600, delivered_date="2015-05-01",
             cooperative="Coop Atlas"),
        dict(case_number="A3", modality="individual", kind="business_grant", sector="trade",
             amount_eur=800, approved_date="2015-05-01"),
    ],
    "cooperatives": [
        dict(name="Coop Atlas", country="MA", sector="agriculture",
             registration_date="2015-04-15", status="operating"),
    ],
    "training": [
        dict(case_number="A1", kind="business_management", session_date="2015-06-01",
             provider="P", completed="yes"),
        dict(case_number="A2", kind="business_management", session_date="2015-06-01",
             provider="P", completed="no"),
        dict(case_number="A3", kind="job_search", session_date="2015-07-01", completed="yes"),
    ],
    "followups": [
        dict(case_number="A1", visit_date="2015-12-01", business_operating="yes",
             jobs_created=2, score_economic=0.6, score_social=0.8, score_psychosocial=1.0),
    ],
    "capacity_building": [
        dict(country="MA", activity_date="2015-05-05", institution="Ministry",
             institution_type="national_institution", activity="training", people_reached=20),
        dict(country="SN", activity_date="2015-06-06", institution="Mairie",
             institution_type="local_authority", activity="sensitisation", people_reached=30),
    ],
    "targets": [
        dict(indicator="BEN-2", period_end="2016-12-31", baseline=0, target=10),
    ],
}

FRENCH_WORDS = {"individual": "individuel", "collective": "collectif",
                "business_grant": "subvention_microprojet", "trade": "commerce",
                "business_management": "gestion_entreprise", "job_search": "recherche_emploi",
                "yes": "oui", "no": "non", "operating": "active", "assisted": "assiste",
                "counselled": "conseille", "national_institution": "institution_nationale",
                "local_authority": "autorite_locale", "training": "formation",
                "sensitisation": "sensibilisation", "M": "homme", "F": "femme",
                "MA": "Maroc", "SN": "Sénégal", "ES": "Espagne"}


def workbook_bytes(data: dict[str, list[dict[str, Any]]], *, french: bool = False,
                   description_row: bool = False, sheets: list[str] | None = None) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in sheets or list(EN):
        ws = wb.create_sheet(sheet)
        ws.append(FR[sheet] if french else EN[sheet])
        if description_row:
            ws.append([c.description for c in BY_NAME[sheet].columns])
        for row in data.get(sheet, []):
            values = []
            for name in EN[sheet]:
                value = row.get(name)
                if french and isinstance(value, str):
                    if len(value) == 10 and value[4] == "-" and value[7] == "-":
                        value = f"{value[8:]}/{value[5:7]}/{value[:4]}"
                    value = FRENCH_WORDS.get(value, value)
                values.append(value)
            ws.append(values)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def do_import(url: str, payload: bytes, name: str = "file.xlsx", *,
              scope: Scope | None = None, dry_run: bool = False) -> ImportReport:
    return run_import(url, Source(name, data=payload), scope or Scope.everything(),
                      username="tester", dry_run=dry_run, today=TODAY,
                      indicator_codes=indicator_codes())


def snapshot(url: str) -> dict[str, tuple[int, str]]:
    """Row count and checksum of every table but the import log."""
    engine = db.get_engine(url)
    result = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name == "import_run":
                continue
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            digest = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
            result[table.name] = (len(rows), digest)
    return result


def figures(url: str) -> dict[str, Any]:
    with db.session(url, Scope.everything()) as session:
        result = collect(session, Filters(), None)
    assert isinstance(result, dict)
    return result


@pytest.fixture
def sqlite_url(make_database: Callable[[str, str], str], request: pytest.FixtureRequest
               ) -> str:
    return make_database("sqlite", request.node.name)


# --- clean files ------------------------------------------------------------------------

def test_clean_file_gives_hand_worked_figures(empty_db_url: str) -> None:
    report = do_import(empty_db_url, workbook_bytes(CLEAN))
    assert report.ok, report.problems
    assert report.counts["beneficiaries"]["inserted"] == 3
    assert report.counts["training"]["inserted"] == 3
    got = figures(empty_db_url)
    expected = {"BEN-1": 3, "BEN-2": 2, "BEN-3": 0.5, "ASS-1": 2, "ASS-2": 1600,
                "ASS-3": 60, "COOP-1": 1, "COOP-2": 1, "TRN-1": 2, "CAP-1": 2, "CAP-2": 50,
                "FUP-3": 2}
    assert {k: got.get(k) for k in expected} == expected
    assert got["TRN-3"] == pytest.approx(2 / 3, abs=1e-6)
    assert got["ASS-2.mean"] == 800


def test_same_file_twice_changes_nothing(empty_db_url: str) -> None:
    payload = workbook_bytes(CLEAN)
    assert do_import(empty_db_url, payload).ok
    before = snapshot(empty_db_url)
    again = do_import(empty_db_url, payload)
    assert again.ok
    assert all(c["inserted"] == 0 and c["updated"] == 0 for c in again.counts.values())
    assert again.counts["beneficiaries"]["unchanged"] == 3
    assert snapshot(empty_db_url) == before


def test_corrected_file_updates_in_place(sqlite_url: str) -> None:
    assert do_import(sqlite_url, workbook_bytes(CLEAN)).ok
    fixed = {k: [dict(r) for r in v] for k, v in CLEAN.items()}
    fixed["assistance"][0]["amount_eur"] = 1200
    fixed["beneficiaries"][0]["vulnerabilities"] = "elderly; single_parent"
    report = do_import(sqlite_url, workbook_bytes(fixed))
    assert report.ok, report.problems
    assert report.counts["beneficiaries"]["updated"] == 1
    assert report.counts["assistance"] == {"inserted": 0, "updated": 1, "unchanged": 2,
                                           "rejected": 0}
    counts = snapshot(sqlite_url)
    assert counts["beneficiary"][0] == 3 and counts["assistance"][0] == 3
    assert counts["beneficiary_vulnerability"][0] == 2
    assert figures(sqlite_url)["ASS-2"] == 1800


def test_a_case_number_of_two_countries_is_two_cases(sqlite_url: str) -> None:
    # Issue 14: case numbers are unique per country. A TN row numbered like SN's A3 is a
    # new TN case (it used to move A3 to TN); a fact row naming A3 is then ambiguous for
    # an importer of both countries until a country column says which.
    assert do_import(sqlite_url, workbook_bytes(CLEAN)).ok
    before = figures(sqlite_url)
    tn = {"beneficiaries": [dict(CLEAN["beneficiaries"][2], country="TN", region=None)]}
    report = do_import(sqlite_url, workbook_bytes(tn))
    assert report.ok and report.counts["beneficiaries"]["inserted"] == 1, report.problems
    assert snapshot(sqlite_url)["beneficiary"][0] == 4
    with db.session(sqlite_url, Scope.for_countries(["SN"])) as session:
        assert collect(session, Filters(), None)["TRN-1"] == 1  # SN's A3 keeps its training
    visit: dict[str, list[dict[str, Any]]] = {
        "followups": [dict(case_number="A3", visit_date="2015-12-01")]}
    report = do_import(sqlite_url, workbook_bytes(visit))
    assert [(p.sheet, p.row, p.column) for p in report.problems] == [
        ("followups", 2, "case_number")]
    assert "country" in report.problems[0].message and "SN, TN" in report.problems[0].message
    visit["followups"][0]["country"] = "Tunisie"
    report = do_import(sqlite_url, workbook_bytes(visit))
    assert report.ok and report.counts["followups"]["inserted"] == 1, report.problems
    with db.session(sqlite_url, Scope.for_countries(["TN"])) as session:
        assert collect(session, Filters(), None)["BEN-1"] == 1
    # A focal point of SN alone sees one A3 only: no country column needed.
    visit["followups"][0].update(country=None, visit_date="2015-11-01")
    report = do_import(sqlite_url, workbook_bytes(visit), scope=Scope.for_countries(["SN"]))
    assert report.ok, report.problems
    assert figures(sqlite_url)["BEN-1"] == before["BEN-1"] + 1


def test_french_file_gives_the_same_result(backend: str,
                                           make_database: Callable[[str, str], str]) -> None:
    english, french = make_database(backend, "en"), make_database(backend, "fr")
    assert do_import(english, workbook_bytes(CLEAN)).ok
    report = do_import(french, workbook_bytes(CLEAN, french=True))
    assert report.ok, report.problems
    assert figures(french) == figures(english)
    assert snapshot(french)["beneficiary"][0] == 3


def test_template_description_row_is_skipped_and_rows_counted_from_3(sqlite_url: str) -> None:
    bad = {k: [dict(r) for r in v] for k, v in CLEAN.items()}
    bad["followups"][0]["score_social"] = 1.5
    report = do_import(sqlite_url, workbook_bytes(bad, description_row=True))
    assert [(p.sheet, p.row, p.column) for p in report.problems] == [
        ("followups", 3, "score_social")]
    assert do_import(sqlite_url, workbook_bytes(CLEAN, description_row=True)).ok


def test_csv_zip_with_semicolons_and_bom(sqlite_url: str, tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for sheet, columns in FR.items():
            lines = [";".join(columns)]
            for row in CLEAN.get(sheet, []):
                lines.append(";".join("" if row.get(c) is None else str(row.get(c))
                                      .replace(".", ",") if isinstance(row.get(c), float)
                                      else "" if row.get(c) is None else str(row.get(c))
                                      for c in EN[sheet]))
            archive.writestr(f"export/{sheet}.csv", ("\n".join(lines)).encode("utf-8-sig"))
    report = do_import(sqlite_url, buffer.getvalue(), "march.zip")
    assert report.ok, report.problems
    assert figures(sqlite_url)["BEN-1"] == 3


def test_dry_run_counts_but_writes_nothing(sqlite_url: str) -> None:
    before = snapshot(sqlite_url)
    report = do_import(sqlite_url, workbook_bytes(CLEAN), dry_run=True)
    assert report.ok and report.counts["beneficiaries"]["inserted"] == 3
    assert snapshot(sqlite_url) == before


def test_every_import_is_recorded(sqlite_url: str) -> None:
    from data_access.models import ImportRun

    do_import(sqlite_url, workbook_bytes(CLEAN))
    do_import(sqlite_url, b"junk", "x.xlsx")
    with db.session(sqlite_url, Scope.everything()) as session:
        runs = session.scalars(select(ImportRun).order_by(ImportRun.id)).all()
        assert [(r.succeeded, r.username, r.file_name) for r in runs] == [
            (True, "tester", "file.xlsx"), (False, "tester", "x.xlsx")]
        assert runs[0].counts["sheets"]["beneficiaries"]["inserted"] == 3
        assert len(runs[0].file_sha256) == 64


# --- problems: each alone and all mixed -------------------------------------------------

def _mutate(fn: Callable[[dict[str, list[dict[str, Any]]]], object]
            ) -> dict[str, list[dict[str, Any]]]:
    data = {k: [dict(r) for r in v] for k, v in CLEAN.items()}
    fn(data)
    return data


def _set(sheet: str, index: int, **values: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d[sheet][index].update(values)


def _append(sheet: str, **values: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d[sheet].append(values)


ERRORS: dict[str, tuple[Callable[[dict[str, Any]], None], tuple[str, int, str]]] = {
    "type": (_set("beneficiaries", 1, household_size="three"),
             ("beneficiaries", 3, "household_size")),
    "required": (_set("assistance", 0, kind=None), ("assistance", 2, "kind")),
    "vocabulary": (_set("training", 0, kind="cooking"), ("training", 2, "kind")),
    "country code": (_set("beneficiaries", 0, country="Atlantis"),
                     ("beneficiaries", 2, "country")),
    "region of another country": (_set("beneficiaries", 2, region="MA-05"),
                                  ("beneficiaries", 4, "region")),
    "unknown case": (_append("followups", case_number="ZZZ", visit_date="2015-12-01"),
                     ("followups", 3, "case_number")),
    "unknown cooperative": (_set("assistance", 1, cooperative="Nowhere"),
                            ("assistance", 3, "cooperative")),
    "delivery before return": (_set("assistance", 0, approved_date=None,
                                    delivered_date="2015-01-15"),
                               ("assistance", 2, "delivered_date")),
    "birth after return": (_set("beneficiaries", 0, birth_date="2015-03-01"),
                           ("beneficiaries", 2, "birth_date")),
    "future date": (_set("followups", 0, visit_date="2999-01-01"),
                    ("followups", 2, "visit_date")),
    "negative amount": (_set("assistance", 2, amount_eur=-5), ("assistance", 4, "amount_eur")),
    "score outside 0-1": (_set("followups", 0, score_social=1.5),
                          ("followups", 2, "score_social")),
    "duplicate key": (_append("training", case_number="A3", kind="job_search",
                              session_date="2015-07-01", completed="no"),
                      ("training", 5, "case_number")),
    "bad date": (_set("beneficiaries", 1, return_date="31/02/2015"),
                 ("beneficiaries", 3, "return_date")),
    "bad yes/no": (_set("training", 1, completed="maybe"), ("training", 3, "completed")),
    "unknown indicator": (_set("targets", 0, indicator="XYZ-9"), ("targets", 2, "indicator")),
}


@pytest.fixture
def loaded_url(empty_db_url: str) -> str:
    assert do_import(empty_db_url, workbook_bytes(CLEAN)).ok
    return empty_db_url


@pytest.mark.parametrize("kind", list(ERRORS))
def test_each_problem_is_reported_and_nothing_written(kind: str, sqlite_url: str) -> None:
    assert do_import(sqlite_url, workbook_bytes(CLEAN)).ok
    before = snapshot(sqlite_url)
    fn, where = ERRORS[kind]
    bad = _mutate(fn)
    bad["beneficiaries"].append(dict(case_number="NEW", country="TN", sex="F",
                                     return_date="2015-01-01", registration_date="2015-01-02"))
    report = do_import(sqlite_url, workbook_bytes(bad))
    assert not report.ok
    assert [(p.sheet, p.row, p.column) for p in report.problems] == [where], report.problems
    assert report.problems[0].message and "Traceback" not in report.problems[0].message
    assert snapshot(sqlite_url) == before


def test_all_problems_mixed_on_both_backends(loaded_url: str) -> None:
    before = snapshot(loaded_url)
    bad = _mutate(lambda d: [fn(d) for fn, _ in ERRORS.values()])
    report = do_import(loaded_url, workbook_bytes(bad))
    assert not report.ok
    got = {(p.sheet, p.row, p.column) for p in report.problems}
    assert {where for _, where in ERRORS.values()} <= got
    assert report.counts["beneficiaries"]["rejected"] == 3
    assert snapshot(loaded_url) == before


def test_focal_point_cannot_import_another_country(sqlite_url: str) -> None:
    report = do_import(sqlite_url, workbook_bytes(CLEAN), scope=Scope.for_countries(["MA"]))
    where = {(p.sheet, p.row, p.column) for p in report.problems}
    assert ("beneficiaries", 4, "country") in where  # A3 is SN
    assert ("capacity_building", 3, "country") in where
    assert ("targets", 2, "country") in where  # programme-wide target
    assert snapshot(sqlite_url)["beneficiary"][0] == 0
    ma_only = _mutate(lambda d: [d["beneficiaries"].pop(2), d["assistance"].pop(2),
                                 d["training"].pop(2), d["capacity_building"].pop(1),
                                 d["targets"][0].update(country="MA")])
    report = do_import(sqlite_url, workbook_bytes(ma_only), scope=Scope.for_countries(["MA"]))
    assert report.ok, report.problems


def test_focal_point_cannot_touch_a_case_of_another_country(sqlite_url: str) -> None:
    assert do_import(sqlite_url, workbook_bytes(CLEAN)).ok
    before = snapshot(sqlite_url)
    only_fact = {"followups": [dict(case_number="A3", visit_date="2015-12-01")]}
    report = do_import(sqlite_url, workbook_bytes(only_fact), scope=Scope.for_countries(["MA"]))
    assert [(p.sheet, p.row, p.column) for p in report.problems] == [
        ("followups", 2, "case_number")]
    named = {"followups": [dict(case_number="A3", visit_date="2015-12-01", country="SN")]}
    report = do_import(sqlite_url, workbook_bytes(named), scope=Scope.for_countries(["MA"]))
    assert [(p.sheet, p.row, p.column) for p in report.problems] == [
        ("followups", 2, "country")]
    assert snapshot(sqlite_url) == before
    # Numbering a Moroccan case like SN's A3 makes a new MA case; SN's A3 is untouched.
    steal = {"beneficiaries": [dict(CLEAN["beneficiaries"][2], country="MA", region=None)],
             "followups": [dict(case_number="A3", visit_date="2015-12-01")]}
    report = do_import(sqlite_url, workbook_bytes(steal), scope=Scope.for_countries(["MA"]))
    assert report.ok, report.problems
    after = snapshot(sqlite_url)
    assert after["beneficiary"][0] == before["beneficiary"][0] + 1
    with db.session(sqlite_url, Scope.for_countries(["SN"])) as session:
        sn = collect(session, Filters(), None)
        assert sn["BEN-1"] == 1 and not sn.get("FUP-3")


def test_a_dry_run_is_no_oracle_of_other_countries_case_numbers(sqlite_url: str) -> None:
    # Issue 14: a focal point guessed numbers in dry runs and the validator said "already
    # used by a case you cannot change" for those of other countries. Half the guesses
    # below exist only in SN and TN, half nowhere: every answer must be the same.
    others = {"beneficiaries": [
        dict(case_number=f"G{i}", country=country, sex="F", return_date="2015-01-01",
             registration_date="2015-01-02")
        for i, country in enumerate(["SN", "TN"] * 4)],
        "cooperatives": [dict(name="Coop Sahel", country="SN", sector="agriculture")]}
    assert do_import(sqlite_url, workbook_bytes(others)).ok
    before = snapshot(sqlite_url)
    ma = Scope.for_countries(["MA"])

    def guess(numbers: list[str], *, dry_run: bool = True) -> ImportReport:
        rows = {
            "beneficiaries": [dict(case_number=n, country="MA", sex="M",
                                   return_date="2015-02-01", registration_date="2015-02-02")
                              for n in numbers],
            # facts naming a guessed number that is on no sheet of the file
            "followups": [dict(case_number=n + "x", visit_date="2015-12-01")
                          for n in numbers],
            "assistance": [dict(case_number=n, modality="collective",
                                kind="business_grant", cooperative="Coop Sahel",
                                delivered_date="2015-03-01") for n in numbers]}
        return do_import(sqlite_url, workbook_bytes(rows), scope=ma, dry_run=dry_run)

    def answer(report: ImportReport, numbers: list[str]) -> Any:
        def plain(text: str) -> str:
            for i, n in enumerate(numbers):  # the guesses themselves, by position
                text = text.replace(f"'{n}", f"'#{i}").replace(f" {n}", f" #{i}")
            return text
        return (report.ok, report.counts, report.truncated,
                [(p.sheet, p.row, p.column, plain(p.message)) for p in report.problems],
                plain(report.summary()).replace(report.file_name, "f"))

    taken = [f"G{i}" for i in range(8)]  # SN's and TN's numbers
    free = [f"F{i}" for i in range(8)]  # nobody's
    assert answer(guess(taken), taken) == answer(guess(free), free)
    assert guess(taken).problems  # the unknown follow-up cases and cooperative
    assert snapshot(sqlite_url) == before
    fixed = guess(taken[:4], dry_run=False)
    assert fixed.ok is False  # still the follow-ups and the SN cooperative
    clean = {"beneficiaries": [dict(case_number=n, country="MA", sex="M",
                                    return_date="2015-02-01", registration_date="2015-02-02")
                               for n in taken]}
    report = do_import(sqlite_url, workbook_bytes(clean), scope=ma)
    assert report.ok and report.counts["beneficiaries"]["inserted"] == 8, report.problems
    ben = Base.metadata.tables["beneficiary"]
    with db.get_engine(sqlite_url).connect() as conn:
        rows = conn.execute(select(ben.c.country, ben.c.case_number, ben.c.sex)
                            .where(ben.c.case_number.in_(taken))).all()
    assert sorted(rows) == sorted([(c, f"G{i}", "F") for i, c in enumerate(["SN", "TN"] * 4)]
                                  + [("MA", n, "M") for n in taken])


# --- malformed files --------------------------------------------------------------------

def _missing_sheet() -> bytes:
    return workbook_bytes(CLEAN, sheets=[s for s in EN if s != "training"])


def _renamed_column() -> bytes:
    wb = load_workbook(io.BytesIO(workbook_bytes(CLEAN)))
    wb["beneficiaries"]["B1"] = "pays_de_retour"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _formula() -> bytes:
    wb = load_workbook(io.BytesIO(workbook_bytes(CLEAN)))
    wb["assistance"]["E2"] = "=500*2"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


MALFORMED: dict[str, tuple[Callable[[], bytes], str, str]] = {
    "empty file": (lambda: b"", "x.xlsx", "empty"),
    "wrong extension": (lambda: b"hello", "x.txt", "not an import file"),
    "old excel": (lambda: b"\xd0\xcf\x11\xe0" + b"\0" * 100, "x.xls", ".xlsx"),
    "missing sheet": (_missing_sheet, "x.xlsx", "sheet 'training' is missing"),
    "renamed column": (_renamed_column, "x.xlsx", "not a column"),
    "neither utf-8 nor windows-1252": (lambda: "X1,é\n".encode("latin-1") + b"\x81",
                                       "beneficiaries.csv", "neither UTF-8 nor Windows-1252"),
    "junk xlsx": (lambda: os.urandom(10 * 1024 * 1024), "junk.xlsx", "not an Excel"),
    "junk zip": (lambda: b"PK\x03\x04" + os.urandom(1024), "junk.xlsx", "cannot be read"),
    "junk csv": (lambda: os.urandom(1024 * 1024), "followups.csv", "not"),
    "formula cell": (_formula, "x.xlsx", "formula"),
    "csv named after nothing": (lambda: b"a,b\n1,2\n", "data.csv", "named after its sheet"),
    "empty csv": (lambda: b"\xef\xbb\xbf", "targets.csv", "missing"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_file_gives_a_clear_error(case: str, sqlite_url: str) -> None:
    make, name, words = MALFORMED[case]
    before = snapshot(sqlite_url)
    report = do_import(sqlite_url, make(), name)
    assert not report.ok
    assert report.problems
    assert any(words.lower() in p.message.lower() for p in report.problems), report.problems
    assert snapshot(sqlite_url) == before


# --- issue 16: imports that silently changed values -----------------------------------------

def test_ambiguous_numbers_are_refused_in_every_numeric_column(sqlite_url: str) -> None:
    bad = _mutate(lambda d: [
        d["beneficiaries"][1].update(household_size="1.000"),
        d["assistance"][0].update(amount_eur="1,500"),
        d["followups"][0].update(jobs_created="2.000", score_economic="0,125"),
        d["capacity_building"][0].update(people_reached="1,200"),
        d["targets"][0].update(baseline="1.000", target="2,500")])
    report = do_import(sqlite_url, workbook_bytes(bad))
    ambiguous = {(p.sheet, p.column) for p in report.problems if "ambiguous" in p.message}
    assert ambiguous == {("beneficiaries", "household_size"), ("assistance", "amount_eur"),
                         ("followups", "jobs_created"), ("capacity_building", "people_reached"),
                         ("targets", "baseline"), ("targets", "target")}, report.problems
    assert len(report.problems) == len(ambiguous)  # 0,125 is a score, read as 0.125
    assert snapshot(sqlite_url)["beneficiary"][0] == 0
    fixed = _mutate(_set("assistance", 0, amount_eur="1 500"))
    assert do_import(sqlite_url, workbook_bytes(fixed)).ok
    assert figures(sqlite_url)["ASS-2"] == 1500 + 600  # the delivered grants, in EUR


def test_workbook_in_the_1904_date_system_reads_the_dates_as_written(sqlite_url: str) -> None:
    # Excel for Mac's old default: serial 0 is 1 January 1904, not 30 December 1899; read
    # with the 1900 system every date came out four years and a day early.
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    wb = load_workbook(io.BytesIO(workbook_bytes(CLEAN)))
    wb.epoch = CALENDAR_MAC_1904
    ws = wb["beneficiaries"]
    ws["I2"] = dt.date(2015, 2, 1)  # A1's return date, as a date cell
    ws["I2"].number_format = "yyyy-mm-dd"
    assert ws["I1"].value == "return_date"
    buffer = io.BytesIO()
    wb.save(buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        assert b'date1904="1"' in archive.read("xl/workbook.xml")
    report = do_import(sqlite_url, buffer.getvalue())
    assert report.ok, report.problems
    with db.get_engine(sqlite_url).connect() as conn:
        returned = conn.execute(select(Base.metadata.tables["beneficiary"].c.return_date)
                                .where(Base.metadata.tables["beneficiary"].c.case_number
                                       == "A1")).scalar_one()
    assert str(returned)[:10] == "2015-02-01"


def test_csv_from_french_excel_in_windows_1252_is_read_and_says_so(sqlite_url: str) -> None:
    # French Excel's "CSV (séparateur : point-virgule)": Windows-1252, ';' between cells,
    # here with a character only Windows-1252 has (the typographic apostrophe ’, 0x92).
    payload = ("numero_dossier;pays;sexe;date_retour;date_enregistrement;prenom;nom\r\n"
               "X1;Sénégal;F;01/01/2015;02/01/2015;Aïcha;N’Diaye\r\n").encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        payload.decode("utf-8")
    report = do_import(sqlite_url, payload, "beneficiaries.csv")
    assert report.ok, report.problems
    assert "Windows-1252" in report.summary() and report.notes
    with db.get_engine(sqlite_url).connect() as conn:
        ben = Base.metadata.tables["beneficiary"]
        row = conn.execute(select(ben.c.country, ben.c.first_name, ben.c.last_name)).one()
    assert tuple(row) == ("SN", "Aïcha", "N’Diaye")
    rejected = do_import(sqlite_url, payload.replace(b"02/01/2015", b"31/02/2015"),
                         "beneficiaries.csv")
    assert not rejected.ok and "Windows-1252" in rejected.summary()
    utf8 = do_import(sqlite_url, payload.decode("cp1252").encode("utf-8"),
                     "beneficiaries.csv")
    assert utf8.ok and not utf8.notes and "Windows-1252" not in utf8.summary()
