"""Reading an import file into raw sheets, whatever its container.

Accepted (the choice of containers is documented here):

- ``.xlsx`` / ``.xlsm``: one workbook, a sheet per entity, streamed row by row
  (``importing.xlsx``). Every template sheet must be there (an empty
  sheet is fine); other sheets are ignored.
- ``.zip``: the same sheets as CSV files named after the sheets (``beneficiaries.csv``,
  …), at any depth of the archive; every template sheet must be there.
- a folder: the same as a ``.zip``.
- ``.csv``: one sheet, named by the file name (``followups.csv``), for small updates.

CSV files are UTF-8 (with or without BOM) with a comma, semicolon or tab as separator
(detected on the header line), as Excel writes them in any locale. A CSV file that is not
UTF-8 is read as Windows-1252, what Excel's plain "CSV" (French Excel: "CSV (séparateur :
point-virgule)") writes on Windows in Western Europe and Africa; the sheet then carries a
``note`` saying so, shown with the import's outcome.

Problems with the container itself raise ``FileProblem`` with a plain sentence.
"""

from __future__ import annotations

import csv
import re
import zipfile
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from i18n import _
from importing import limits
from importing.schema import REQUIRED_SHEETS, SHEET_NAMES
from importing.sources import FileProblem, Formula, RawSheet, Source

if TYPE_CHECKING:
    from importing.xlsx import Workbook

MAX_BYTES = 200 * 1024 * 1024
csv.field_size_limit(10 * 1024 * 1024)


def _kind(source: Source) -> str:
    if source.path is not None and source.path.is_dir():
        return "folder"
    suffix = PurePosixPath(source.name.lower()).suffix
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix == ".csv":
        return "csv"
    if suffix == ".zip":
        return "zip"
    if suffix in (".xls", ".ods", ".numbers"):
        raise FileProblem(_("{file}: {suffix} files are not read; save the workbook as Excel "
                            "Workbook (.xlsx) or the sheets as CSV UTF-8 files").format(
                                file=source.name, suffix=suffix))
    raise FileProblem(_("{file}: not an import file (expected .xlsx, .csv, .zip of CSV files, "
                        "or a folder of CSV files)").format(file=source.name))


def open_sheets(source: Source) -> tuple[list[RawSheet], list[str]]:
    """The raw sheets of ``source`` and the template sheets it lacks."""
    if source.path is not None and not source.path.exists():
        raise FileProblem(_("{file}: no such file or folder").format(file=source.path))

    kind = _kind(source)
    if kind != "folder" and source.size() == 0:
        raise FileProblem(_("{file}: the file is empty").format(file=source.name))
    bounds = limits.Limits.current()
    limits.check_container(source, kind, bounds)  # sizes and ratios, before unpacking
    if kind == "xlsx":
        sheets = _xlsx_sheets(source)
    elif kind == "csv":
        stem = PurePosixPath(source.name).stem.lower().strip()
        if stem not in SHEET_NAMES:
            raise FileProblem(_("{file}: a CSV file must be named after its sheet ({names})")
                              .format(file=source.name,
                                      names=", ".join(n + ".csv" for n in SHEET_NAMES)))
        return [limits.bounded(_csv_sheet(stem, source.read_bytes(), source.name),
                               source.name, bounds)], []
    elif kind == "zip":
        sheets = _zip_sheets(source)
    else:
        sheets = _folder_sheets(source)
    found = {s.name for s in sheets}
    missing = [n for n in REQUIRED_SHEETS if n not in found]
    return [limits.bounded(s, source.name, bounds) for s in sheets], missing


# --- XLSX --------------------------------------------------------------------------------

def open_workbook(source: Source, unreadable: str) -> Workbook:
    """The workbook of ``source``, or a FileProblem: not a workbook, or ``unreadable`` (a
    message with ``{file}`` and ``{detail}``: what to do about it differs by file)."""
    from importing.xlsx import Workbook, XlsxError

    handle = source.open_bytes()
    if handle.read(4) != b"PK\x03\x04":
        raise FileProblem(_("{file}: not an Excel workbook (.xlsx); the file may be damaged "
                            "or of another kind").format(file=source.name))
    handle.seek(0)
    try:
        return Workbook(handle)
    except XlsxError as exc:
        raise FileProblem(unreadable.format(file=source.name, detail=exc)) from None


def _xlsx_sheets(source: Source) -> list[RawSheet]:
    wb = open_workbook(source, _("{file}: the workbook cannot be read ({detail}); open it in "
                                 "Excel and save it again as .xlsx"))
    sheets = []
    for title in wb.sheets:
        name = title.strip().lower()
        if name not in SHEET_NAMES:
            continue
        rows = _guarded(wb.rows(title, Formula), source.name)
        header = next(rows, (1, ()))[1]
        sheets.append(RawSheet(name, list(header), rows, wb.row_count(title)))
    return sheets


def _guarded(rows: Iterator[tuple[int, tuple[Any, ...]]], label: str
             ) -> Iterator[tuple[int, tuple[Any, ...]]]:
    from importing.xlsx import XlsxError

    try:
        yield from rows
    except (XlsxError, KeyError, ValueError, IndexError) as exc:
        raise FileProblem(_("{file}: the workbook is damaged ({detail}); open it in Excel and "
                            "save it again as .xlsx").format(file=label,
                                                             detail=type(exc).__name__)
                          ) from None


# --- CSV ---------------------------------------------------------------------------------

UTF8, WINDOWS_1252 = "UTF-8", "Windows-1252"


def _decode(data: bytes, name: str) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read in: UTF-8, else Windows-1252."""
    try:
        return data.decode("utf-8-sig"), UTF8
    except UnicodeDecodeError:
        pass
    if b"\x00" in data[:4096]:
        raise FileProblem(_("{file}: not a text file (it holds binary data); export the "
                            "sheet as CSV UTF-8").format(file=name)) from None
    try:
        return data.decode("cp1252"), WINDOWS_1252
    except UnicodeDecodeError:
        pass
    raise FileProblem(_("{file}: neither UTF-8 nor Windows-1252 text; in Excel save as "
                        "'CSV UTF-8 (comma delimited)'").format(file=name)) from None


def _encoding_note(encoding: str, label: str) -> str | None:
    if encoding == UTF8:
        return None
    return _("{file} is not UTF-8: it was read as {encoding} (as Excel's plain 'CSV' "
             "writes it); check that accented letters came out right, or save as 'CSV "
             "UTF-8'").format(file=label, encoding=encoding)


def _csv_sheet(name: str, data: bytes, label: str) -> RawSheet:
    text, encoding = _decode(data, label)
    first_line = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    if first_line.count(delimiter) == 0:
        delimiter = ","
    reader = csv.reader(_lines(text), delimiter=delimiter)

    def rows() -> Iterator[tuple[int, tuple[Any, ...]]]:
        try:
            for index, record in enumerate(reader, start=1):
                yield index, tuple(record)
        except csv.Error as exc:
            raise FileProblem(_("{file}: not a readable CSV file near record {record} "
                                "({detail})").format(file=label, record=reader.line_num,
                                                     detail=exc)) from None

    iterator = rows()
    header = next(iterator, (1, ()))[1]
    return RawSheet(name, list(header), iterator, text.count("\n") + 1,
                    _encoding_note(encoding, label))


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their ends (as ``newline=""`` reads them), one at a time:
    a StringIO would copy the text into four bytes per character."""
    return (m.group() for m in _LINE.finditer(text))


def _zip_sheets(source: Source) -> list[RawSheet]:
    try:
        archive = zipfile.ZipFile(source.open_bytes())
    except zipfile.BadZipFile:
        raise FileProblem(_("{file}: not a readable .zip archive").format(
            file=source.name)) from None
    sheets: dict[str, RawSheet] = {}
    for info in archive.infolist():
        path = PurePosixPath(info.filename)
        if info.is_dir() or path.name.startswith(".") or "__MACOSX" in path.parts:
            continue
        stem = path.stem.lower().strip()
        if path.suffix.lower() == ".csv" and stem in SHEET_NAMES:
            if stem in sheets:
                raise FileProblem(_("{file}: two files for the sheet {sheet}").format(
                    file=source.name, sheet=stem))
            if info.file_size > MAX_BYTES:
                raise FileProblem(_("{file}: {member} is too large").format(
                    file=source.name, member=info.filename))
            sheets[stem] = _csv_sheet(stem, archive.read(info), f"{source.name}/{path.name}")
    return list(sheets.values())


def _folder_sheets(source: Source) -> list[RawSheet]:
    assert source.path is not None
    sheets = []
    for path in sorted(source.path.iterdir()):
        stem = path.stem.lower().strip()
        if path.is_file() and path.suffix.lower() == ".csv" and stem in SHEET_NAMES:
            sheets.append(_csv_sheet(stem, path.read_bytes(), path.name))
    return sheets
