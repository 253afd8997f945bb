"""Spreadsheet hygiene shared by every export (import template, data export, page downloads).

A cell whose text starts with ``=``, ``+``, ``-`` or ``@`` (or a tab / carriage return) is
read as a formula by Excel and LibreOffice ("CSV/formula injection"). Nothing this
dashboard writes may run as a formula in the file a user downloads:

- ``safe_cell(value)`` for CSV and any plain-text target: such text gets a leading
  apostrophe, the spreadsheet convention for "this is text" (``=1+1`` → ``'=1+1``). Numbers,
  dates and booleans are returned unchanged. ``unsafe_text`` undoes it on import.
- ``text_cell`` / ``write_frame`` / ``append_row`` for XLSX: strings are written as string
  cells (never formula cells) with Excel's "quote prefix" style, so the value is kept as
  it is and Excel still shows it as text when the cell is edited.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import pandas as pd
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")


def is_dangerous(text: str) -> bool:
    return text.startswith(DANGEROUS_STARTS)


def safe_cell(value: Any) -> Any:
    """``value`` made safe for a CSV or any cell: formula-like text gets a leading ``'``."""
    if isinstance(value, str) and is_dangerous(value):
        return "'" + value
    return value


def unsafe_text(text: str) -> str:
    """Undo ``safe_cell`` on a text read back from a file (``'=x`` → ``=x``)."""
    if text.startswith("'") and is_dangerous(text[1:]):
        return text[1:]
    return text


def _plain(value: Any) -> Any:
    """A value openpyxl can write: pandas/numpy scalars become Python ones, NaN/NaT None."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            return _plain(value.item())
        except (ValueError, TypeError):
            return str(value)
    if isinstance(value, (int, float, bool, str, Decimal, dt.date, dt.datetime)):
        return value
    return str(value)


def text_cell(ws: Worksheet, value: Any) -> WriteOnlyCell:
    """A write-only cell for ``value``; text is always a string cell, never a formula."""
    value = _plain(value)
    cell = WriteOnlyCell(ws, value=None)
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"  # openpyxl would otherwise store "=…" as a formula
        if is_dangerous(value):
            cell.quotePrefix = True
    else:
        cell.value = value
        if isinstance(value, dt.datetime):
            cell.number_format = "yyyy-mm-dd hh:mm"
        elif isinstance(value, dt.date):
            cell.number_format = "yyyy-mm-dd"
    return cell


def set_safe(cell: Any, value: Any) -> None:
    """Set a normal (not write-only) worksheet cell to ``value`` safely."""
    value = _plain(value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if is_dangerous(value):
            cell.quotePrefix = True


def append_row(ws: Worksheet, values: Iterable[Any]) -> None:
    """Append one row of safe cells to a write-only (or normal) worksheet."""
    ws.append([text_cell(ws, v) for v in values])


def write_frame(wb: Workbook, df: pd.DataFrame, sheet_name: str = "data") -> Worksheet:
    """Write ``df`` (header + rows) to a new sheet of ``wb``, every cell written safely.

    ``wb`` may be a normal or a write-only workbook (``Workbook(write_only=True)``).
    """
    ws = wb.create_sheet(title=sheet_name[:31])
    header = []
    for name in df.columns:
        cell = text_cell(ws, str(name))
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    for row in df.itertuples(index=False, name=None):
        append_row(ws, row)
    return ws


def frame_to_xlsx_bytes(frames: dict[str, pd.DataFrame]) -> bytes:
    """An XLSX file (as bytes) with one safely written sheet per frame."""
    import io

    wb = Workbook(write_only=True)
    for name, df in frames.items():
        write_frame(wb, df, name)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def frame_to_csv_bytes(df: pd.DataFrame) -> bytes:
    """A UTF-8 CSV (with BOM, so Excel reads the accents) with every text cell made safe."""
    safe = df.map(safe_cell) if len(df) else df
    return safe.to_csv(index=False).encode("utf-8-sig")
