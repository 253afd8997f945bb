"""Money figures name the programme's reporting currency, never a hard-coded EUR: under the
five-country file (``currency = "USD"``) and its demo data the Projects page, the
Caseload's case detail, the amount bands, the donor deck and PDF and the xlsx of a money
table say USD and show no "EUR" and no "€"; in French too. (Under the default MoTuSe file
they still say EUR: tests/test_currency.py, tests/test_caseload_screen.py.)"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from data_access.scope import Scope
from i18n import language
from metrics.filters import Filters
from tests.test_i18n import shown_text

ROOT = Path(__file__).resolve().parent.parent
FIVE = ROOT / "programmes" / "example_five.toml"
EURO = re.compile(r"EUR|€|[Ee]uro")
WHOLE = Filters(dt.date(2017, 1, 1), dt.date(2021, 12, 31), (), "year")


@pytest.fixture
def five_db(monkeypatch: pytest.MonkeyPatch, make_database: Callable[[str, str], str],
            request: pytest.FixtureRequest) -> Iterator[str]:
    import demo

    monkeypatch.setenv("PROGRAMME_FILE", str(FIVE))
    url = make_database("sqlite", request.node.name)
    demo.load(url, demo.generate(300, seed=5), progress=lambda _line: None)
    yield url


def _euros(texts: list[str]) -> list[str]:
    return [t for t in texts if EURO.search(t)]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_projects_page_says_usd(five_db: str, monkeypatch: pytest.MonkeyPatch,
                                    lang: str) -> None:
    from tests.test_pages import open_page

    at = open_page(five_db, monkeypatch, "pages/projects.py", {"ui_language": lang})
    assert not at.exception, [e.value for e in at.exception]
    texts = shown_text(at)
    assert not _euros(texts), _euros(texts)
    columns = [str(c) for table in at.dataframe for c in table.value.columns]
    total, mean = {"en": ("Total (USD)", "Mean (USD)"),
                   "fr": ("Total (USD)", "Moyenne (USD)")}[lang]
    assert total in columns and mean in columns, columns
    assert any(c.startswith({"en": "Amounts in USD", "fr": "Montants en USD"}[lang])
               for c in texts), texts
    # The KPI card of the mean grant writes the amount with the currency's sign.
    sign = {"en": "$", "fr": "$US"}[lang]
    assert any(sign in str(m.value) for m in at.metric), [m.value for m in at.metric]


def test_the_caseload_case_detail_says_usd(five_db: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy import select

    from data_access import db
    from data_access.models import Assistance, Beneficiary
    from tests.test_pages import open_page

    with db.session(five_db, Scope.everything()) as session:  # a case with a grant
        case_id, amount = session.execute(
            select(Beneficiary.id, Assistance.amount_eur)
            .join(Assistance, Assistance.beneficiary_id == Beneficiary.id)
            .where(Assistance.amount_eur.is_not(None)).order_by(Beneficiary.id)
            .limit(1)).one()
    at = open_page(five_db, monkeypatch, "pages/caseload.py")
    assert not _euros(shown_text(at)), _euros(shown_text(at))
    at = at.selectbox(key="cl_case").set_value(case_id).run()
    assert not at.exception, [e.value for e in at.exception]
    texts = shown_text(at)
    assert not _euros(texts), _euros(texts)
    assistance = next(t.value for t in at.dataframe if "Amount (USD)" in t.value.columns)
    shown = [v for v in assistance["Amount (USD)"] if v]
    assert amount is not None and f"${float(amount):,.0f}" in shown, shown


def test_amount_bands_say_usd(monkeypatch: pytest.MonkeyPatch) -> None:
    from metrics.distributions import BAND_COUNT, NEGATIVE, band_label

    monkeypatch.setenv("PROGRAMME_FILE", str(FIVE))
    assert band_label(1) == "$500 – $999" and band_label(BAND_COUNT) == "$5,000 and more"
    with language("fr"):
        assert band_label(1) == "500\u00a0$US – 999\u00a0$US"
        assert band_label(NEGATIVE) == "Négatif"
    monkeypatch.delenv("PROGRAMME_FILE")
    assert band_label(1) == "€500 – €999"


@pytest.mark.parametrize("fmt", ["pptx", "pdf"])
def test_the_deck_and_the_pdf_say_usd(five_db: str, fmt: str) -> None:
    from pptx import Presentation
    from pypdf import PdfReader

    from cli.report import build_file

    data = build_file(five_db, Scope(aggregates_only=True), WHOLE, ["headline"], fmt,
                      "Example")
    if fmt == "pptx":
        texts = []
        for slide in Presentation(io.BytesIO(data)).slides:
            for shape in slide.shapes:
                if shape.has_text_frame:
                    texts.append(shape.text_frame.text)
                if shape.has_table:
                    texts += [c.text for row in shape.table.rows for c in row.cells]
    else:
        texts = [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]
    text = "\n".join(texts)
    assert "USD" in text and not EURO.search(text), [t for t in texts if EURO.search(t)]


def test_the_xlsx_of_a_money_table_says_usd(five_db: str) -> None:
    """The grants-by-sector table as the Projects page formats it, as its download writes
    it: the heading names USD, the amounts are numbers shown with "$", and the source
    lines say the amounts are in USD."""
    import metrics
    from data_access import db
    from data_access.currency import rates_used
    from data_access.lookups import money_label
    from i18n import _
    from reports import files
    from ui.page import formatted

    with db.session(five_db, Scope.everything()) as session:
        by_sector = metrics.compute("ASS-2", session, WHOLE, ("sector",))
        note = rates_used(session, WHOLE.start, WHOLE.end, WHOLE.countries).note("USD")
    table = formatted(by_sector, ["sector"], {
        "records": (_("Records with an amount"), "count"),
        "value": (money_label(_("Total")), "money")})
    lines = files.Provenance("Example", WHOLE, dt.datetime(2026, 1, 1), money=note).lines()
    book = load_workbook(io.BytesIO(files.table_xlsx(table, lines, "Grants")))
    sheet = book.worksheets[0]
    headings = [c.value for c in sheet[1]]
    assert "Total (USD)" in headings, headings
    column = headings.index("Total (USD)") + 1
    cells = [sheet.cell(row, column) for row in range(2, sheet.max_row + 1)]
    assert cells and all(isinstance(c.value, int | float) for c in cells), cells
    assert {c.number_format for c in cells} == {'"$"#,##0'}
    every = [str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row
             if c.value is not None]
    assert not _euros(every), _euros(every)
    assert any("Amounts in USD" in t for t in every), every
