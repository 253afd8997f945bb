"""Issue 20, part 2: grants paid in local currency (MAD, TND, XOF) convert to the reporting
currency (EUR) at their month's rate; ASS-2 equals a total worked by hand, through the case
tables and through the cubes, on SQLite and PostgreSQL; a missing rate is a row problem and
nothing is written; rates come from the template's sheet or a CSV (`manage.py rates
import`); a corrected rate converts the grants again and the cubes follow; the template
and the export round-trip the new columns and sheet.

Rates are units of the currency for 1 EUR (the InforEuro convention), and
EUR = local ÷ rate, rounded half up to the cent.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

import cli
from data_access import db
from data_access.models import Assistance, Beneficiary, ExchangeRate
from data_access.scope import Scope
from i18n import language
from importing.export import export
from importing.schema import REQUIRED_SHEETS
from importing.template import write_workbook
from metrics import compute, fast
from metrics.filters import Filters
from tests.test_analytics_incremental import assert_same_cells, cells, rebuilt_cells
from tests.test_import import FR, do_import, snapshot, workbook_bytes

D = dt.date
Q1 = Filters(D(2016, 1, 1), D(2016, 3, 31), (), "month")


def _ben(case: str, country: str) -> dict[str, Any]:
    return dict(case_number=case, country=country, sex="F", return_date="2015-12-01",
                registration_date="2015-12-05")


RATES = [
    dict(currency="MAD", month="2016-01", rate=10.8, source="InforEuro"),
    dict(currency="MAD", month="2016-02", rate=10.9, source="InforEuro"),
    dict(currency="TND", month="2016-01", rate=2.2, source="InforEuro"),
    dict(currency="XOF", month="2016-03-01", rate=655.957, source="BCEAO"),
]


def _grant(case: str, **values: Any) -> dict[str, Any]:
    return dict(case_number=case, modality="individual", kind="business_grant",
                sector="trade", **values)


FILE: dict[str, list[dict[str, Any]]] = {
    "beneficiaries": [_ben("A1", "MA"), _ben("A2", "MA"), _ben("A3", "MA"),
                      _ben("T1", "TN"), _ben("T2", "TN"), _ben("S1", "SN"),
                      _ben("E1", "SN")],
    "assistance": [
        # 10 800 MAD at January's 10.8 = 1 000.00 EUR
        _grant("A1", amount_local=10800, currency="MAD", delivered_date="2016-01-15"),
        # 5 450 MAD at February's 10.9 (no rate date: the delivery date's month) = 500.00
        _grant("A2", amount_local=5450, currency="mad", delivered_date="2016-02-10"),
        # 1 000 MAD, rate date in January, delivered in February: 1000 / 10.8 = 92.5925… → 92.59
        _grant("A3", amount_local=1000, currency="MAD", rate_date="2016-01-31",
               delivered_date="2016-02-05"),
        # 3 300 TND at January's 2.2 = 1 500.00
        _grant("T1", amount_local=3300, currency="TND", delivered_date="2016-01-20"),
        # 2 200 TND approved in January, not delivered: 1 000.00 stored, not in ASS-2
        _grant("T2", amount_local=2200, currency="TND", approved_date="2016-01-05"),
        # 1 000 000 XOF at March's 655.957: 1524.4902… → 1 524.49
        _grant("S1", amount_local=1000000, currency="XOF", delivered_date="2016-03-01"),
        # paid in euros, written the old way
        _grant("E1", amount_eur=200, delivered_date="2016-03-10"),
    ],
    "exchange_rates": RATES,
}
STORED = {"A1": Decimal("1000.00"), "A2": Decimal("500.00"), "A3": Decimal("92.59"),
          "T1": Decimal("1500.00"), "T2": Decimal("1000.00"), "S1": Decimal("1524.49"),
          "E1": Decimal("200.00")}
# ASS-2 by delivery month: January A1 + T1 = 1 000 + 1 500 = 2 500.00; February A2 + A3 =
# 500 + 92.59 = 592.59; March S1 + E1 = 1 524.49 + 200 = 1 724.49; the quarter
# 2 500 + 592.59 + 1 724.49 = 4 817.08 over 6 delivered grants.
BY_MONTH = {"2016-01": 2500.00, "2016-02": 592.59, "2016-03": 1724.49}
TOTAL = 4817.08


def stored(url: str) -> dict[str, Decimal]:
    with db.get_engine(url).connect() as conn:
        return {r.case_number: Decimal(r.amount_eur) for r in conn.execute(
            select(Beneficiary.case_number, Assistance.amount_eur).join(
                Assistance, Assistance.beneficiary_id == Beneficiary.id))}


def ass_2(url: str, *, cubes: bool) -> tuple[dict[str, float], float]:
    """ASS-2 by month and for the quarter, through the cubes or the case tables."""
    with db.session(url, Scope.everything()) as session:
        session.info["analytics"] = cubes
        if cubes:  # the figures really come from the cubes
            assert fast.answer("ASS-2", session, Q1, ("period",)) is not None
        per = compute("ASS-2", session, Q1, ("period",))
        whole = compute("ASS-2", session, Filters(D(2016, 1, 1), D(2016, 3, 31)))
    return ({str(p): round(float(v), 2) for p, v in zip(per["period"], per["value"],
                                                         strict=True)},
            round(float(whole["value"].iloc[0]), 2))


def assert_ass_2(url: str, by_month: dict[str, float], total: float) -> None:
    for through_cubes in (False, True):
        got_months, got_total = ass_2(url, cubes=through_cubes)
        assert got_months == pytest.approx(by_month, abs=1e-9), through_cubes
        assert got_total == pytest.approx(total, abs=1e-9), through_cubes


def test_grants_convert_at_their_months_rate(empty_db_url: str) -> None:
    report = do_import(empty_db_url, workbook_bytes(FILE))
    assert report.ok, report.problems
    assert report.counts["exchange_rates"]["inserted"] == 4
    assert stored(empty_db_url) == STORED
    with db.get_engine(empty_db_url).connect() as conn:
        local = {r.case_number: (r.amount_local, r.currency, r.rate_date) for r in
                 conn.execute(select(Beneficiary.case_number, Assistance.amount_local,
                                     Assistance.currency, Assistance.rate_date).join(
                     Assistance, Assistance.beneficiary_id == Beneficiary.id))}
    assert local["A2"] == (Decimal("5450.00"), "MAD", None)  # the code upper-cased
    assert local["A3"] == (Decimal("1000.00"), "MAD", D(2016, 1, 31))
    assert local["E1"] == (None, None, None)
    assert_ass_2(empty_db_url, BY_MONTH, TOTAL)
    with db.session(empty_db_url, Scope.everything()) as session:
        mean = compute("ASS-2", session, Filters(D(2016, 1, 1), D(2016, 3, 31)))
    assert float(mean["mean"].iloc[0]) == round(TOTAL / 6, 2)  # 802.8466… shown to the cent
    # importing the same file again changes nothing
    again = do_import(empty_db_url, workbook_bytes(FILE))
    assert again.ok and not any(c["inserted"] or c["updated"] for c in again.counts.values())


def _with(sheet: str, rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    return {**FILE, sheet: rows}


def test_a_missing_rate_is_a_row_problem_and_nothing_is_written(
        make_database: Callable[[str, str], str]) -> None:
    url = make_database("sqlite", "missing_rate")
    assert do_import(url, workbook_bytes(FILE)).ok
    before = snapshot(url)
    # row 2 is the header's next: the TND grant of February has no rate (only January's)
    bad = _with("assistance", [_grant("T1", amount_local=2200, currency="TND",
                                      delivered_date="2016-02-03")])
    report = do_import(url, workbook_bytes({**bad, "exchange_rates": []}))
    assert not report.ok
    assert [(p.sheet, p.row, p.column) for p in report.problems] == [
        ("assistance", 2, "currency")]
    assert "TND" in report.problems[0].message and "2016-02" in report.problems[0].message
    assert snapshot(url) == before
    with language("fr"):
        french = do_import(url, workbook_bytes({**bad, "exchange_rates": []}))
    assert "aucun taux de change" in french.problems[0].message.lower(), french.problems
    # nor a local amount without a currency, a currency without an amount, a grant with no
    # date for its rate, an EUR amount that disagrees with the conversion
    cases = [
        (_grant("T1", amount_local=100, delivered_date="2016-01-20"), "currency"),
        (_grant("T1", currency="TND", delivered_date="2016-01-20"), "amount_local"),
        (_grant("T1", amount_local=100, currency="TND"), "rate_date"),
        (_grant("T1", amount_local=3300, currency="TND", amount_eur=1400,
                delivered_date="2016-01-20"), "amount_eur"),
        (_grant("T1", amount_local=3300, currency="ZZZ", delivered_date="2016-01-20"),
         "currency"),
    ]
    for row, column in cases:
        report = do_import(url, workbook_bytes(_with("assistance", [row])))
        assert [(p.row, p.column) for p in report.problems] == [(2, column)], (row, report.problems)
    # the agreeing amount is accepted (3300 / 2.2 = 1500.00)
    ok = do_import(url, workbook_bytes(_with("assistance", [_grant(
        "T1", amount_local=3300, currency="TND", amount_eur=1500,
        delivered_date="2016-01-20")])))
    assert ok.ok, ok.problems
    assert snapshot(url) == before
    # the reporting currency needs no rate; a focal point may not set rates
    euro = do_import(url, workbook_bytes(_with("exchange_rates", [
        dict(currency="EUR", month="2016-01", rate=1)])))
    assert [(p.sheet, p.column) for p in euro.problems] == [("exchange_rates", "currency")]
    scoped = do_import(url, b"currency,month,rate\nMAD,2016-01,11\n", name="exchange_rates.csv",
                       scope=Scope.for_countries(["MA"]))  # a correction: not theirs to make
    assert [(p.sheet, p.column) for p in scoped.problems] == [("exchange_rates", "currency")]
    new = do_import(url, b"currency,month,rate\nMAD,2016-03,11\nMAD,2016-01,10.8\n",
                    name="exchange_rates.csv", scope=Scope.for_countries(["MA"]),
                    dry_run=True)  # a month no one has a rate for yet, and a stored rate
    assert new.ok, new.problems
    assert snapshot(url) == before


def _rates_csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "inforeuro_2016.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_rates_csv_import_and_a_corrected_rate_recomputes(
        empty_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", empty_db_url)
    # the rates first, from a CSV with French headers, then the grants without a rates sheet
    path = _rates_csv(tmp_path, "devise;mois;taux;source\n" + "".join(
        f"{r['currency']};{r['month']};{str(r['rate']).replace('.', ',')}0;{r['source']}\n"
        for r in RATES))
    assert cli.main(["rates", "import", str(path)]) == 0, capsys.readouterr()
    with db.get_engine(empty_db_url).connect() as conn:
        rates = {(r.currency, r.month): Decimal(r.rate) for r in conn.execute(
            select(ExchangeRate.currency, ExchangeRate.month, ExchangeRate.rate))}
    assert rates == {("MAD", D(2016, 1, 1)): Decimal("10.8"), ("MAD", D(2016, 2, 1)):
                     Decimal("10.9"), ("TND", D(2016, 1, 1)): Decimal("2.2"),
                     ("XOF", D(2016, 3, 1)): Decimal("655.957")}
    grants = {k: v for k, v in FILE.items() if k != "exchange_rates"}
    report = do_import(empty_db_url, workbook_bytes(grants, sheets=list(REQUIRED_SHEETS)))
    assert report.ok, report.problems
    assert stored(empty_db_url) == STORED
    assert_ass_2(empty_db_url, BY_MONTH, TOTAL)

    # January's dirham rate corrected to 12: A1 10 800 / 12 = 900.00, A3 1 000 / 12 =
    # 83.333… → 83.33; January 900 + 1 500 = 2 400.00, February 500 + 83.33 = 583.33,
    # March unchanged 1 724.49; the quarter 2 400 + 583.33 + 1 724.49 = 4 707.82.
    corrected = _rates_csv(tmp_path, "currency,month,rate,source\nMAD,2016-01,12,"
                                     "InforEuro (corrected)\n")
    assert cli.main(["rates", "import", str(corrected)]) == 0, capsys.readouterr()
    assert stored(empty_db_url) == {**STORED, "A1": Decimal("900.00"), "A3": Decimal("83.33")}
    assert_ass_2(empty_db_url, {"2016-01": 2400.00, "2016-02": 583.33, "2016-03": 1724.49},
                 4707.82)
    # the cells refreshed incrementally are those of a full rebuild
    assert_same_cells(cells(empty_db_url), rebuilt_cells(empty_db_url))
    # a bad rates file is refused whole, with the row and column
    before = snapshot(empty_db_url)
    bad = _rates_csv(tmp_path, "currency,month,rate\nMAD,2016-04,11\nTND,2016-13,2.3\n")
    assert cli.main(["rates", "import", str(bad)]) == 1
    assert "row 3" in capsys.readouterr().err
    assert snapshot(empty_db_url) == before


def test_template_and_export_round_trip_the_currency(
        make_database: Callable[[str, str], str], tmp_path: Path) -> None:
    buffer = io.BytesIO()
    write_workbook(buffer)
    wb = load_workbook(io.BytesIO(buffer.getvalue()))
    assert [c.value for c in wb["exchange_rates"][1]] == ["currency", "month", "rate", "source"]
    header = [c.value for c in wb["assistance"][1]]
    assert {"amount_local", "currency", "rate_date"} <= set(header)
    # French headers are read too
    source = make_database("sqlite", "currency_source")
    report = do_import(source, workbook_bytes(FILE, french=True))
    assert report.ok, report.problems
    assert FR["exchange_rates"] == ["devise", "mois", "taux", "source"]
    assert stored(source) == STORED
    exported = tmp_path / "export.xlsx"
    export(source, Scope.everything(), exported)
    target = make_database("sqlite", "currency_target")
    report = do_import(target, exported.read_bytes())
    assert report.ok, report.problems
    assert stored(target) == STORED
    assert_ass_2(target, BY_MONTH, TOTAL)
    with db.get_engine(target).connect() as conn:
        assert len(conn.execute(select(ExchangeRate.id)).all()) == 4
    # a focal point's export holds the rates of their grants' currencies, and imports again
    mine = tmp_path / "ma.xlsx"
    export(source, Scope.for_countries(["MA"]), mine)
    rows = list(load_workbook(mine)["exchange_rates"].iter_rows(min_row=3, values_only=True))
    assert [r[:2] for r in rows] == [("MAD", dt.datetime(2016, 1, 1)),
                                     ("MAD", dt.datetime(2016, 2, 1))]
    empty = make_database("sqlite", "currency_ma")
    report = do_import(empty, mine.read_bytes(), scope=Scope.for_countries(["MA"]))
    assert report.ok, report.problems
    assert stored(empty) == {k: v for k, v in STORED.items() if k.startswith("A")}


def test_demo_grants_in_local_currency_convert_back(
        make_database: Callable[[str, str], str]) -> None:
    """The demo pays every third business grant in its country's currency; each converts
    back, at its month's demo rate, to the EUR amount it always had (so the demo's
    figures are unchanged), and the rates note names the three currencies."""
    import demo
    from data_access.currency import convert, rate_month, rates_used

    url = make_database("sqlite", "demo_currency")
    demo.load(url, demo.generate(1500, 3), progress=lambda _m: None)
    with db.get_engine(url).connect() as conn:
        rates = {(r.currency, r.month): Decimal(r.rate) for r in conn.execute(
            select(ExchangeRate.currency, ExchangeRate.month, ExchangeRate.rate))}
        a = Assistance
        rows = conn.execute(select(a.amount_eur, a.amount_local, a.currency, a.rate_date,
                                   a.delivered_date, a.approved_date, a.country)
                            .where(a.currency.is_not(None))).all()
    assert {r.currency for r in rows} == {"MAD", "TND", "XOF"}
    assert {(r.country, r.currency) for r in rows} == {("MA", "MAD"), ("TN", "TND"),
                                                       ("SN", "XOF")}
    for r in rows:
        month = rate_month(r.rate_date, r.delivered_date, r.approved_date)
        assert convert(Decimal(r.amount_local), rates[(r.currency, month)]) == r.amount_eur
    with db.session(url, Scope.everything()) as session:
        note = rates_used(session).note("EUR")
    assert note.startswith("Amounts in EUR; MAD, TND, XOF converted at the monthly rates of "
                           "2015-"), note
    assert note.endswith("(InforEuro (demo))")


def test_projects_page_says_the_currency_and_rates(
        make_database: Callable[[str, str], str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The Projects page names the reporting currency and the rates behind its grants;
    for a focal point, only their own country's currency."""
    import demo
    from tests.test_pages import open_page

    url = make_database("sqlite", "pages_currency")
    demo.load(url, demo.generate(300, seed=7), progress=lambda _m: None)
    at = open_page(url, monkeypatch, "pages/projects.py")
    captions = [c.value for c in at.caption]
    assert any(c.startswith("Amounts in EUR; MAD, TND, XOF converted at the monthly rates "
                            "of 2015-") and "(InforEuro (demo))" in c for c in captions), captions
    focal = open_page(url, monkeypatch, "pages/projects.py", user="demo-focal-ma")
    captions = [c.value for c in focal.caption]
    assert any(c.startswith("Amounts in EUR; MAD converted") for c in captions), captions


def test_the_deck_and_the_export_files_say_the_currency_and_rates(
        make_database: Callable[[str, str], str]) -> None:
    """The donor deck's cover and the lines every exported money file carries name the
    reporting currency and the rates (here the file's: 2016-01 to 2016-03, InforEuro and
    BCEAO); in French too."""
    from pptx import Presentation

    from cli.report import build_file
    from reports.files import Provenance

    url = make_database("sqlite", "deck_currency")
    assert do_import(url, workbook_bytes(FILE)).ok
    want = ("Amounts in EUR; MAD, TND, XOF converted at the monthly rates of 2016-01 to "
            "2016-03 (BCEAO, InforEuro)")
    deck = build_file(url, Scope(aggregates_only=True), Q1, ["headline"], "pptx", "MoTuSe")
    cover = Presentation(io.BytesIO(deck)).slides[0]
    texts = [s.text_frame.text for s in cover.shapes if s.has_text_frame]
    assert any(want in t for t in texts), texts
    french = build_file(url, Scope(aggregates_only=True), Q1, ["headline"], "pptx", "MoTuSe",
                        lang="fr")
    texts = [s.text_frame.text for s in Presentation(io.BytesIO(french)).slides[0].shapes
             if s.has_text_frame]
    assert any("Montants en EUR ; MAD, TND, XOF convertis aux taux mensuels de 2016-01 à "
               "2016-03" in t for t in texts), texts
    assert Provenance("MoTuSe", Q1, dt.datetime(2026, 1, 1), money=want).lines()[-1] == want


def test_a_file_with_some_amount_columns_keeps_the_others(
        make_database: Callable[[str, str], str]) -> None:
    """A column the file lacks keeps its stored value: a file of local amounts without an
    amount_eur column leaves an EUR grant's amount alone; a file of EUR amounts without
    the local columns keeps a converted grant whose EUR amount it repeats, and replaces the
    conversion of one whose EUR amount it changes."""
    url = make_database("sqlite", "amount_columns")
    assert do_import(url, workbook_bytes(FILE)).ok
    local_only = (b"case_number,modality,kind,amount_local,currency,delivered_date\n"
                  b"E1,individual,business_grant,,,2016-03-10\n"
                  b"T1,individual,business_grant,3300,TND,2016-01-20\n")
    report = do_import(url, local_only, name="assistance.csv")
    assert report.ok, report.problems
    assert report.counts["assistance"] == {"inserted": 0, "updated": 0, "unchanged": 2,
                                           "rejected": 0}
    assert stored(url) == STORED
    eur_only = (b"case_number,modality,kind,amount_eur,delivered_date\n"
                b"A1,individual,business_grant,950,2016-01-15\n"
                b"A2,individual,business_grant,500,2016-02-10\n")
    report = do_import(url, eur_only, name="assistance.csv")
    assert report.ok, report.problems
    assert report.counts["assistance"]["updated"] == 1  # A1; A2 repeats its 500.00
    assert stored(url) == {**STORED, "A1": Decimal("950.00")}
    with db.get_engine(url).connect() as conn:
        local = {r.case_number: (r.amount_local, r.currency) for r in conn.execute(
            select(Beneficiary.case_number, Assistance.amount_local, Assistance.currency)
            .join(Assistance, Assistance.beneficiary_id == Beneficiary.id))}
    assert local["A1"] == (None, None)  # typed in EUR now: no conversion left to redo
    assert local["A2"] == (Decimal("5450.00"), "MAD")
