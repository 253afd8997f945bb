"""The one writer of spreadsheets and CSV files, and the one formula guard.

Every XLSX and CSV the dashboard writes goes through here: the import template and the
data export (``importing.template``), an import's problems file (``importing.problems``),
the page tables' downloads (``reports.files``), the caseload export (``casework.caseload``)
and ``manage.py indicators --format csv`` (``cli.indicators``).

The guard. A text starting with one of ``DANGEROUS_STARTS`` (``=``, ``+``, ``-``, ``@``, a
tab, a carriage return, ``#``) is "formula-like": Excel and LibreOffice read the first six
as the start of a formula (CSV/formula injection, OWASP), and a CSV line starting with
``#`` is a comment to many readers (pandas ``comment=``, R's ``comment.char``), so the row
would vanish. Such a text is neutralised, always the same way:

- CSV (``safe_cell``): a leading apostrophe, the spreadsheet convention for "this is
  text" (``=1+1`` → ``'=1+1``); ``unsafe_text`` undoes it on import.
- XLSX (``set_cell`` / ``text_cell``): the value is kept as it is, in a string cell (never
  a formula cell, whatever it starts with) with Excel's "quote prefix" style, so it stays
  text when someone edits the cell.

Every other text is written as it is; numbers, dates and booleans stay numbers, dates and
booleans (an XLSX number keeps its number format: ``write_frame``'s ``typed``), so ``-5``
is the number -5 and never text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import IO, Any

import pandas as pd
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r", "#")
HEADER_FONT = Font(bold=True)
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"

# value -> (value to write, its Excel number format or None)
Typing = Callable[[Any], tuple[Any, str | None]]


# --- the guard -------------------------------------------------------------------------

def is_dangerous(text: str) -> bool:
    """Whether ``text`` would be read as a formula (or a CSV comment)."""
    return text.startswith(DANGEROUS_STARTS)


def safe_cell(value: Any) -> Any:
    """``value`` made safe for a CSV or any plain-text target: formula-like text gets a
    leading ``'``; anything else is returned unchanged."""
    if isinstance(value, str) and is_dangerous(value):
        return "'" + value
    return value


def unsafe_text(text: str) -> str:
    """Undo ``safe_cell`` on a text read back from a file (``'=x`` → ``=x``)."""
    if text.startswith("'") and is_dangerous(text[1:]):
        return text[1:]
    return text


# --- values ----------------------------------------------------------------------------

def plain(value: Any) -> Any:
    """A value a file can hold: pandas/numpy scalars become Python ones, NaN/NaT None."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            return plain(value.item())
        except (ValueError, TypeError):
            return str(value)
    if isinstance(value, (int, float, bool, str, Decimal, dt.date, dt.datetime)):
        return value
    return str(value)


# --- XLSX ------------------------------------------------------------------------------

def workbook() -> Workbook:
    """A new (write-only, streaming) workbook; fill it with ``write_frame``/``write_lines``
    or ``text_cell``/``append_row``, then ``workbook_bytes`` or ``save``."""
    return Workbook(write_only=True)


def set_cell(cell: Any, value: Any, number_format: str | None = None) -> Any:
    """Put ``value`` in ``cell`` (a normal or a write-only cell) safely: text in a string
    cell, quote-prefixed when formula-like; dates with a date format. Returns the cell."""
    value = plain(value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl would otherwise store "=…" as a formula
        if is_dangerous(value):
            cell.quotePrefix = True
    elif number_format:
        cell.number_format = number_format
    elif isinstance(value, dt.datetime):
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, dt.date):
        cell.number_format = DATE_FORMAT
    return cell


def text_cell(ws: Worksheet, value: Any, number_format: str | None = None) -> Any:
    """A new cell of ``ws`` for ``value``, written by ``set_cell`` (for ``ws.append``)."""
    return set_cell(WriteOnlyCell(ws, value=None), value, number_format)


def append_row(ws: Worksheet, values: Iterable[Any], typed: Typing | None = None) -> None:
    """Append one row of safe cells to a write-only (or normal) worksheet."""
    if typed is None:
        ws.append([text_cell(ws, v) for v in values])
    else:
        ws.append([text_cell(ws, *typed(plain(v))) for v in values])


def sheet_title(name: str) -> str:
    """A valid sheet name: no ``[]:*?/\\``, at most 31 characters."""
    return re.sub(r"[\[\]:*?/\\]", " ", str(name))[:31] or "data"


def write_frame(wb: Workbook, df: pd.DataFrame, sheet_name: str = "data", *,
                typed: Typing | None = None, note: str | None = None,
                freeze: bool = False, fit: bool = False) -> Worksheet:
    """Write ``df`` (a bold header, then its rows) to a new sheet of ``wb``, every cell by
    ``set_cell``. ``typed`` turns a value into (value, number format), e.g. a figure
    written as text into a number; ``note``: a line on row 1, the table from row 3;
    ``freeze``: panes frozen under the header; ``fit``: columns as wide as their text
    (10 to 60 characters, from the first 200 rows).

    ``wb`` may be a normal or a write-only workbook (``workbook()``).
    """
    ws = wb.create_sheet(title=sheet_title(sheet_name))
    if fit:
        for col, name in enumerate(df.columns, start=1):
            longest = max([len(str(name))] + [len(str(v)) for v in df.iloc[:200, col - 1]])
            ws.column_dimensions[get_column_letter(col)].width = min(60, max(10, longest + 2))
    if freeze:
        ws.freeze_panes = "A4" if note else "A2"
    if note:
        ws.append([text_cell(ws, note)])
        ws.append([])
    header = []
    for name in df.columns:
        cell = text_cell(ws, str(name))
        cell.font = HEADER_FONT
        header.append(cell)
    ws.append(header)
    for row in df.itertuples(index=False, name=None):
        append_row(ws, row, typed)
    return ws


def write_lines(wb: Workbook, sheet_name: str, lines: Iterable[tuple[str, Font | None]],
                width: float | None = None) -> Worksheet:
    """A sheet of text lines in column A, each with its font (e.g. a title and the source
    of a table)."""
    ws = wb.create_sheet(title=sheet_title(sheet_name))
    if width:
        ws.column_dimensions["A"].width = width
    for text, font in lines:
        cell = text_cell(ws, text)
        if font is not None:
            cell.font = font
        ws.append([cell])
    return ws


def workbook_bytes(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def frame_to_xlsx_bytes(frames: dict[str, pd.DataFrame], **options: Any) -> bytes:
    """An XLSX file (as bytes) with one sheet per frame (``write_frame``'s ``options``)."""
    wb = workbook()
    for name, df in frames.items():
        write_frame(wb, df, name, **options)
    return workbook_bytes(wb)


# --- CSV -------------------------------------------------------------------------------

def _csv_field(value: Any) -> Any:
    value = plain(value)
    return "" if value is None else safe_cell(value)


def write_csv(stream: IO[str], header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> None:
    """``header`` then ``rows`` as CSV to a text stream, every field through ``safe_cell``
    (missing values empty). Lines end in CRLF (RFC 4180): the csv module quotes a field
    holding a line-end character only if it is in the line terminator, so with ``\n``
    alone a text holding a carriage return went out unquoted and split its row."""
    writer = csv.writer(stream, lineterminator="\r\n")  # RFC 4180; quotes a lone CR too
    writer.writerow([safe_cell(str(name)) for name in header])
    for row in rows:
        writer.writerow([_csv_field(v) for v in row])


def frame_to_csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with BOM, so Excel reads the accents): the header on the first line,
    then the rows, every text cell made safe."""
    out = io.StringIO()
    write_csv(out, df.columns, df.itertuples(index=False, name=None))
    return ("\ufeff" + out.getvalue()).encode("utf-8")
