"""One formula guard for every spreadsheet and CSV the dashboard writes (issue 17).

Formula-like texts are planted in the data of every writer (the caseload export, a page
table's XLSX and CSV, the import template, the data export, an import's problems file as
XLSX and CSV, ``manage.py indicators --format csv`` and the shared writer itself); each
file is read back with openpyxl or the csv module, and every planted text must come back
neutralised the same way: in XLSX the text itself in a quote-prefixed string cell, in CSV
the text behind an apostrophe. Harmless texts come back as they were, and the number -5
stays a number (a numeric XLSX cell, ``-5`` in a CSV).

Before the one writer, the page tables' XLSX stored formula-like texts without the quote
prefix, the CSVs of the shared writer, the problems file and the command line disagreed
with the page tables' CSV on ``#``, the command line's CSV had no guard at all, and a text
holding a carriage return split its CSV row.
"""

from __future__ import annotations

import argparse
import ast
import csv
import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest
from openpyxl import load_workbook

from data_access import db, spreadsheet
from data_access.models import Cooperative, Target
from data_access.scope import Scope
from data_access.vocab import Sector

if TYPE_CHECKING:
    from importing import ImportReport

ROOT = Path(__file__).resolve().parent.parent
PLANTED = ["=1+1", "+A1", "-2+3", "@SUM(A1)", "\t=x", "\r=x", "#x", "-"]
HARMLESS = ["ok", "a=b", "5-2", "'quoted"]
TEXTS = PLANTED + HARMLESS
NUMBER = -5


def test_the_planted_texts_are_the_guarded_ones() -> None:
    assert all(spreadsheet.is_dangerous(t) for t in PLANTED)
    assert not any(spreadsheet.is_dangerous(t) for t in HARMLESS)
    assert set(spreadsheet.DANGEROUS_STARTS) == {t[0] for t in PLANTED}


def frame() -> pd.DataFrame:
    return pd.DataFrame({"Text": TEXTS, "Count": [NUMBER] * len(TEXTS)}, dtype=object)


# --- every writer, as bytes ------------------------------------------------------------

def caseload_xlsx(_url: Callable[[], str]) -> bytes:
    from casework import caseload

    return caseload.to_xlsx(frame(), note="=note")


def table_xlsx(_url: Callable[[], str]) -> bytes:
    from reports import files

    return files.table_xlsx(frame(), ["=source", "-line"], title="@title")


def table_csv(_url: Callable[[], str]) -> bytes:
    from reports import files

    return files.table_csv(frame())


def template_xlsx(_url: Callable[[], str]) -> bytes:
    from importing.template import write_workbook

    buffer = io.BytesIO()
    write_workbook(buffer, {
        "cooperatives": [(t, "MA", None, "trade", t, None, None) for t in TEXTS],
        "targets": [("TRN-2", "MA", dt.date(2016, 12, 31), NUMBER, 10)]})
    return buffer.getvalue()


def export_xlsx(new_db: Callable[[], str]) -> bytes:
    url = new_db()
    from importing.export import export

    with db.session(url, Scope.everything()) as session:
        session.add_all(Cooperative(name=t, country="MA", sector=Sector.TRADE, partner=t)
                        for t in TEXTS)
        session.add(Target(indicator="TRN-2", country="MA", period_end=dt.date(2016, 12, 31),
                           baseline=NUMBER, target=10))
    buffer = io.BytesIO()
    export(url, Scope.everything(), buffer)
    return buffer.getvalue()


def _report() -> ImportReport:
    from importing import ImportReport, Problem

    return ImportReport("f.xlsx", "0" * 64, dry_run=True, ok=False,
                        problems=[Problem(t, NUMBER, t, t) for t in TEXTS])


def problems_xlsx(_url: Callable[[], str]) -> bytes:
    from importing.problems import error_file_bytes

    return error_file_bytes(_report(), ".xlsx")


def problems_csv(_url: Callable[[], str]) -> bytes:
    from importing.problems import error_file_bytes

    return error_file_bytes(_report(), ".csv")


def shared_xlsx(_url: Callable[[], str]) -> bytes:
    return spreadsheet.frame_to_xlsx_bytes({"data": frame()})


def shared_csv(_url: Callable[[], str]) -> bytes:
    return spreadsheet.frame_to_csv_bytes(frame())


def cli_csv(url: str, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> bytes:
    from cli import indicators

    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setattr(indicators, "collect", lambda *_a: [{"sector": t, "EMP-1": NUMBER}
                                                            for t in TEXTS])
    args = argparse.Namespace(start=dt.date(2016, 1, 1), end=dt.date(2016, 12, 31),
                              country=[], by="sector", indicator=None, format="csv")
    assert indicators.run(args) == 0
    return capsys.readouterr().out.encode("utf-8")


XLSX_WRITERS: dict[str, Callable[[Callable[[], str]], bytes]] = {
    "caseload export": caseload_xlsx, "page table XLSX": table_xlsx,
    "import template": template_xlsx, "data export": export_xlsx,
    "problems XLSX": problems_xlsx, "shared XLSX": shared_xlsx}
CSV_WRITERS: dict[str, Callable[[Callable[[], str]], bytes]] = {
    "page table CSV": table_csv, "problems CSV": problems_csv, "shared CSV": shared_csv}


# --- read back -------------------------------------------------------------------------

@pytest.fixture
def url(make_database: Callable[[str, str], str],
        request: pytest.FixtureRequest) -> Callable[[], str]:
    """An empty database when a writer needs one (SQLite: the guard does not depend on
    the backend)."""
    return lambda: make_database("sqlite", "guard_" + request.node.name.split("[")[0])


@pytest.mark.parametrize("name", list(XLSX_WRITERS))
def test_every_xlsx_keeps_formula_like_text_as_text(name: str, url: Callable[[], str]) -> None:
    book = load_workbook(io.BytesIO(XLSX_WRITERS[name](url)))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    found = {c.value for c in cells if c.value in TEXTS}
    assert found == set(TEXTS), (name, set(TEXTS) - found)
    for cell in cells:
        if isinstance(cell.value, str):
            assert cell.data_type == "s", (name, cell.coordinate, cell.value)
            assert bool(cell.quotePrefix) == spreadsheet.is_dangerous(cell.value), \
                (name, cell.coordinate, cell.value)
            assert not cell.value.startswith("'="), (name, cell.value)  # no double guard
    numbers = [c for c in cells if c.value == NUMBER]
    assert numbers and all(c.data_type == "n" for c in numbers), name
    assert not [c for c in cells if c.value in ("-5", "'-5")], name


def _check_csv(name: str, data: bytes) -> None:
    text = data.decode("utf-8-sig")
    fields = [f for row in csv.reader(io.StringIO(text, newline="")) for f in row]
    for planted in PLANTED:
        assert "'" + planted in fields, (name, planted)
        assert planted not in fields, (name, planted)
    for harmless in HARMLESS:
        assert harmless in fields, (name, harmless)
    assert "-5" in fields and "'-5" not in fields, name
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len({len(r) for r in rows}) == 1, (name, rows)  # no row split by a CR


@pytest.mark.parametrize("name", list(CSV_WRITERS))
def test_every_csv_quotes_formula_like_text(name: str, url: Callable[[], str]) -> None:
    _check_csv(name, CSV_WRITERS[name](url))


def test_the_command_line_csv_quotes_formula_like_text(
        url: Callable[[], str], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    _check_csv("manage.py indicators", cli_csv(url(), monkeypatch, capsys))


# --- one guard -------------------------------------------------------------------------

def _sources() -> list[Path]:
    # surveys/examples/make_examples.py stands in for KoboToolbox and ODK Central: it writes
    # the exports those tools would (test fixtures), not a file of ours a user opens.
    skip = {".venv", "tests", "benchmarks", ".git"}
    return [p for p in ROOT.rglob("*.py") if not skip & set(p.relative_to(ROOT).parts)
            and p.relative_to(ROOT).parts[:2] != ("surveys", "examples")]


def test_there_is_one_guard_and_one_writer() -> None:
    """The dangerous first characters are written down once; no other module sets a
    cell's type or quote prefix, creates a workbook or writes CSV itself; and every
    writer imports the shared one."""
    guards, writers = [], []
    for path in _sources():
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        name = str(path.relative_to(ROOT))
        for node in ast.walk(tree):
            if isinstance(node, ast.Tuple | ast.List | ast.Set):
                values = {e.value for e in node.elts if isinstance(e, ast.Constant)}
                if {"=", "@"} <= values:
                    guards.append(name)
        opens_a_workbook = any(
            isinstance(node, ast.ImportFrom) and (node.module or "").startswith("openpyxl")
            and any(a.name == "Workbook" for a in node.names) for node in ast.walk(tree))
        if opens_a_workbook or any(word in source for word in (
                "quotePrefix", "data_type =", "csv.writer", "DictWriter", ".to_csv(",
                ".to_excel(", "xlsxwriter")):
            writers.append(name)
    assert guards == ["data_access/spreadsheet.py"]
    assert writers == ["data_access/spreadsheet.py"]
    for module in ("casework/caseload.py", "reports/files.py", "importing/template.py",
                   "importing/problems.py", "cli/indicators.py"):
        tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
        imports = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        imports |= {f"data_access.{a.name}" for n in ast.walk(tree)
                    if isinstance(n, ast.ImportFrom) and n.module == "data_access"
                    for a in n.names}
        assert "data_access.spreadsheet" in imports, module
