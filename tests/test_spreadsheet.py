"""Spreadsheet hygiene: no downloaded file can run a formula."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from data_access.spreadsheet import (
    frame_to_csv_bytes,
    frame_to_xlsx_bytes,
    safe_cell,
    unsafe_text,
    write_frame,
)

DANGEROUS = ["=1+1", "+33 6 12", "-2+3", "@SUM(A1)", "=HYPERLINK(\"http://x\")"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_safe_cell_quotes_formula_like_text(text: str) -> None:
    assert safe_cell(text) == "'" + text
    assert unsafe_text(safe_cell(text)) == text


@pytest.mark.parametrize("value", ["plain", "", None, 12, -3, 1.5, "a=b"])
def test_safe_cell_leaves_other_values(value: object) -> None:
    assert safe_cell(value) == value


def test_xlsx_cells_are_text_not_formulas() -> None:
    frame = pd.DataFrame({"name": DANGEROUS, "n": range(len(DANGEROUS))})
    wb = load_workbook(io.BytesIO(frame_to_xlsx_bytes({"data": frame})))
    ws = wb["data"]
    cells = [ws.cell(row=r, column=1) for r in range(2, len(DANGEROUS) + 2)]
    assert [c.value for c in cells] == DANGEROUS
    assert all(c.data_type == "s" for c in cells)
    assert all(c.quotePrefix for c in cells)
    assert ws.cell(row=3, column=2).value == 1


def test_write_frame_on_a_normal_workbook() -> None:
    wb = Workbook()
    write_frame(wb, pd.DataFrame({"x": ["=A1", None]}), "s")
    buffer = io.BytesIO()
    wb.save(buffer)
    cell = load_workbook(io.BytesIO(buffer.getvalue()))["s"]["A2"]
    assert cell.value == "=A1" and cell.data_type == "s"


def test_csv_cells_are_quoted() -> None:
    text = frame_to_csv_bytes(pd.DataFrame({"x": ["=1+1", "ok"]})).decode("utf-8-sig")
    assert text.splitlines() == ["x", "'=1+1", "ok"]


def test_exported_template_text_is_never_a_formula(tmp_path) -> None:
    from importing.template import write_workbook

    path = tmp_path / "t.xlsx"
    write_workbook(path, {"cooperatives": [("=EVIL()", "MA", None, "trade", "@x", None,
                                            None)]})
    ws = load_workbook(path)["cooperatives"]
    assert ws["A3"].value == "=EVIL()" and ws["A3"].data_type == "s"
    assert ws["E3"].value == "@x" and ws["E3"].data_type == "s"
