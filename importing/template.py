"""The import template workbook, empty (``manage.py template``) or filled (the export).

Each sheet of ``schema.SHEETS`` gets a bold header row of the English column names, a grey
italic description row under it (row 2: the importer recognises and skips it, so data
starts on row 3), and drop-down lists (openpyxl ``DataValidation``) on the closed
vocabularies, yes/no columns, sex and indicator codes. The lists warn rather than refuse,
so the accepted French words can still be typed. Every cell is written safely
(``data_access.spreadsheet``, the one writer): no text can become a formula.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from pathlib import Path
from typing import IO, Any

from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from data_access.spreadsheet import HEADER_FONT, append_row, text_cell, workbook
from data_access.vocab import Sex
from importing.schema import SHEETS, Column

LAST_ROW = 100_000  # drop-down lists cover the rows a field office will fill
DESCRIPTION_FONT = Font(italic=True, color="555555")
DESCRIPTION_FILL = PatternFill("solid", fgColor="EEEEEE")


def choices(column: Column, indicator_codes: Collection[str] | None) -> list[str] | None:
    if column.kind == "enum" and column.enum is not None:
        return [m.value for m in column.enum]
    if column.kind == "sex":
        return [m.value for m in Sex]
    if column.kind == "bool":
        return ["yes", "no"]
    if column.kind == "indicator" and indicator_codes:
        return sorted(indicator_codes)
    return None


def write_workbook(target: str | Path | IO[bytes],
                   rows: Mapping[str, Iterable[Iterable[Any]]] | None = None, *,
                   indicator_codes: Collection[str] | None = None,
                   progress: Callable[[str], None] | None = None) -> None:
    """Write the template to ``target``; ``rows`` (sheet → row values) fills it."""
    wb = workbook()
    for sheet in SHEETS:
        ws = wb.create_sheet(sheet.name)
        for index, column in enumerate(sheet.columns, start=1):
            width = max(len(column.name) + 2, min(len(column.description) // 2, 40))
            ws.column_dimensions[get_column_letter(index)].width = width
            options = choices(column, indicator_codes)
            if options:
                dv = DataValidation(type="list", formula1='"' + ",".join(options) + '"',
                                    allow_blank=True, errorStyle="warning",
                                    showErrorMessage=True, errorTitle=column.name,
                                    error="Not one of the listed words (French words are "
                                          "accepted too).")
                letter = get_column_letter(index)
                dv.add(f"{letter}3:{letter}{LAST_ROW}")
                ws.data_validations.append(dv)
        ws.freeze_panes = "A3"
        header = []
        for column in sheet.columns:
            cell = text_cell(ws, column.name)
            cell.font = HEADER_FONT
            header.append(cell)
        ws.append(header)
        described = []
        for column in sheet.columns:
            cell = text_cell(ws, column.description)
            cell.font = DESCRIPTION_FONT
            cell.fill = DESCRIPTION_FILL
            described.append(cell)
        ws.append(described)
        if rows is not None and sheet.name in rows:
            if progress:
                progress(sheet.name)
            for values in rows[sheet.name]:
                append_row(ws, values)
    wb.save(target)
