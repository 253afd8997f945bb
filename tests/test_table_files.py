"""Spreadsheets Excel can use (issue 16): every XLSX the dashboard makes stores figures as
numbers with number formats (percentages as fractions shown as %), its header on row 1
and the source on a sheet of its own; every CSV starts with its header row.

The tables are the ones the pages hand to their download buttons (recorded from
``ui.exports.table_downloads`` while AppTest runs every page on the demo database), written
with the real ``reports.files`` writers and read back with openpyxl. The check is
independent of the writer's parser: any cell whose text has nothing but digits,
separators, a sign, "%" or "€" must come back as a number cell with a number format.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from i18n import language
from reports import files
from tests.test_charts import PAGES, page_charts

ROOT = Path(__file__).resolve().parent.parent

FIGURE = re.compile(r"^[-\u2212]?[\d.,\u00a0\u202f ]*\d[\d.,\u00a0\u202f ]*(\s?%)?$|"
                    r"^€[\d.,]+$|^[\d.,\u00a0\u202f ]+\s?€$")


@pytest.fixture(scope="module")
def demo_db(make_database: Callable[[str, str], str]) -> str:
    import demo
    url = make_database("sqlite", "table_files_demo")
    demo.load(url, demo.generate(300, seed=7), progress=lambda _: None)
    return url


@pytest.mark.parametrize("programme", ["motuse.toml", "example_five.toml"])
def test_typed_reads_back_what_the_formats_write(programme: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Amounts in the reporting currency (EUR for MoTuSe, USD for the five-country file)
    become numbers whose Excel format shows that currency's sign, never a €."""
    from i18n.formats import number, percent
    from views.format import money

    monkeypatch.setenv("PROGRAMME_FILE", str(ROOT / "programmes" / programme))
    sign = {"motuse.toml": {"en": "€", "fr": "€"},
            "example_five.toml": {"en": "$", "fr": "$US"}}[programme]
    for lang in ("en", "fr"):
        with language(lang):
            assert files.typed(number(1234)) == (1234, "#,##0")
            assert files.typed(percent(0.949)) == (0.949, "0.0%")
            assert files.typed(percent(0.5, digits=0)) == (0.5, "0%")
            assert files.typed(number(0.75, digits=2)) == (0.75, "#,##0.00")
            assert files.typed(money(1200))[0] == 1200
            assert files.typed(money(1200))[1] in (f'"{sign[lang]}"#,##0',
                                                    f'#,##0 "{sign[lang]}"')
            for text in ("<5", "hidden", "–", "007", "Dec 2016", "BEN-1", "2016Q3"):
                assert files.typed(text) == (text, None)


def test_every_xlsx_and_csv_of_every_page_table(
        demo_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import ui.exports
    from ui import data

    data.clear_cache()
    tables: list[tuple[str, str, pd.DataFrame]] = []

    def record(source, filters, name, title, money=False) -> None:
        frame = source() if callable(source) else source
        tables.append((name, title, frame))

    monkeypatch.setattr(ui.exports, "table_downloads", record)
    for path in PAGES:
        page_charts(demo_db, monkeypatch, path)
    names = {name for name, _title, _frame in tables}
    assert {"logframe", "logframe_progress", "case_pipeline_table"} <= names, names
    checked = 0
    for name, title, frame in tables:
        book = load_workbook(io.BytesIO(files.table_xlsx(frame, ["Source: x"], title=title)))
        sheet, source = book.worksheets
        assert source.title == "Source" and source["A2"].value == "Source: x"
        assert [c.value for c in sheet[1]] == [str(c) for c in frame.columns], name
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                shown = frame.iloc[cell.row - 2, cell.column - 1]
                if isinstance(shown, str) and FIGURE.match(shown.strip()):
                    assert cell.data_type == "n", (name, shown)
                    assert cell.number_format != "General", (name, shown)
                    checked += 1
        lines = files.table_csv(frame).decode("utf-8-sig").splitlines()
        assert lines[0] == ",".join(f'"{c}"' if "," in str(c) else str(c)
                                    for c in frame.columns), name
    assert checked > 100
    # The logframe (issue 16: '158', '94.9%' as text): the actual is a number, the
    # achievement a fraction formatted as a percentage.
    logframe = next(f for n, _t, f in tables if n == "logframe")
    sheet = load_workbook(io.BytesIO(files.table_xlsx(logframe))).worksheets[0]
    header = [c.value for c in sheet[1]]
    column = header.index("% of the full target") + 1  # "Achieved" before the due column
    achieved = [sheet.cell(r, column) for r in range(2, sheet.max_row + 1)]
    numeric = [c for c in achieved if c.data_type == "n"]
    assert numeric and all(c.number_format.endswith("%") and c.value < 10 for c in numeric)
