"""What an import file may cost, checked before it is read (issue 15).

An upload may cost far more than its size: a 0.55 MB .xlsx whose shared strings unpack to
200 MB, a 0.4 MB .zip holding a 150 MB CSV. So every file is measured before anything in
it is unpacked, with five limits (settings, ``Limits.current()``):

- ``IMPORT_MAX_FILE_MB``: the file itself (the Import page's upload box refuses bigger
  files before they are sent);
- ``IMPORT_MAX_EXPANDED_MB``: the total unpacked size of the parts of an .xlsx or .zip, as
  its central directory declares them (``zipfile`` never yields more than the declared
  size of a part, so a part that lies about it is cut short and fails its CRC check), or of
  a folder's CSV files;
- ``IMPORT_MAX_RATIO``: unpacked / packed size of any part above 1 MiB (ordinary workbooks
  and CSV files compress 5 to 30 times; a bomb, hundreds or thousands of times);
- ``IMPORT_MAX_ROWS``: rows of one sheet, counted while it streams (a sheet that claims
  row 1,000,000 is stopped there, not filled with empty rows up to it);
- ``IMPORT_MAX_CELL_CHARS``: characters of one cell.

The defaults keep the import of any file within them under 400 MB of memory
(``tests/test_import_limits.py`` measures it in a child process). A file past a limit is
refused with a ``LimitExceeded`` (a ``FileProblem``) whose sentence names the limit and its
setting, in the current language; ``validate`` records it like any unreadable file.

``UNREADABLE`` lists what a damaged file can raise while it is read (broken zip, malformed
XML, billion laughs, bad compressed data, …): ``unreadable()`` turns them into a one-line
``FileProblem``, so no damaged file ever reaches the user as a stack trace.
"""

from __future__ import annotations

import logging
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from lxml import etree

from i18n import _
from i18n import formats as F
from importing.sources import FileProblem, RawSheet, Source

MB = 1024 * 1024
RATIO_FLOOR = MB  # parts that unpack to less are never refused for their ratio
log = logging.getLogger(__name__)


class LimitExceeded(FileProblem):
    """The file is past one of the import limits; the message names it."""


@dataclass(frozen=True)
class Limits:
    file_mb: int = 20
    expanded_mb: int = 50
    ratio: int = 100
    rows: int = 50_000
    cell_chars: int = 32_767

    @classmethod
    def current(cls) -> Limits:
        from data_access.settings import load_settings

        s = load_settings()
        return cls(s.import_max_file_mb, s.import_max_expanded_mb, s.import_max_ratio,
                   s.import_max_rows, s.import_max_cell_chars)


def _mb(size: int) -> str:
    return F.number(size / MB, digits=1 if size >= MB else 2)


def check_container(source: Source, kind: str, limits: Limits) -> None:
    """Refuse ``source`` (of reader kind ``kind``) when its size, its unpacked size or the
    compression of one of its parts is past a limit; reads the zip directory only."""
    if kind == "folder":
        assert source.path is not None
        total = sum(p.stat().st_size for p in source.path.iterdir()
                    if p.is_file() and p.suffix.lower() == ".csv")
        _check_expanded(source.name, total, limits)
        return
    size = source.size()
    if size > limits.file_mb * MB:
        raise LimitExceeded(_("{file}: the file is {size} MB, over the limit of {limit} MB "
                              "per import file (setting IMPORT_MAX_FILE_MB); split it by "
                              "country or period").format(file=source.name, size=_mb(size),
                                                          limit=limits.file_mb))
    if kind not in ("xlsx", "zip"):
        return
    with source.open_bytes() as handle:
        try:
            infos = zipfile.ZipFile(handle).infolist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            return  # not a readable archive: the reader says so in its own words
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > RATIO_FLOOR and info.file_size > limits.ratio * max(
                info.compress_size, 1):
            raise LimitExceeded(_(
                "{file}: the part {member} unpacks to {size} MB from {packed} MB, a "
                "compression ratio over the limit of {limit} (setting IMPORT_MAX_RATIO); "
                "such a file is refused without being unpacked").format(
                    file=source.name, member=info.filename, size=_mb(info.file_size),
                    packed=_mb(info.compress_size), limit=limits.ratio))
    _check_expanded(source.name, total, limits)


def _check_expanded(name: str, total: int, limits: Limits) -> None:
    if total > limits.expanded_mb * MB:
        raise LimitExceeded(_("{file}: its contents unpack to {size} MB, over the limit of "
                              "{limit} MB (setting IMPORT_MAX_EXPANDED_MB); split it by "
                              "country or period").format(file=name, size=_mb(total),
                                                          limit=limits.expanded_mb))


def bounded(sheet: RawSheet, label: str, limits: Limits) -> RawSheet:
    """``sheet`` whose header and rows are checked against the row and cell limits as
    they stream."""
    _check_cells(label, sheet.name, 1, sheet.header, limits)
    return replace(sheet, rows=_bounded_rows(sheet.rows, label, sheet.name, limits))


def _bounded_rows(rows: Iterator[tuple[int, tuple[Any, ...]]], label: str, name: str,
                  limits: Limits) -> Iterator[tuple[int, tuple[Any, ...]]]:
    for number, cells in rows:
        if number > limits.rows:
            raise LimitExceeded(_("{file}: the sheet {sheet} has more than {limit} rows, the "
                                  "limit per sheet (setting IMPORT_MAX_ROWS); split it by "
                                  "country or period").format(
                                      file=label, sheet=name, limit=F.number(limits.rows)))
        _check_cells(label, name, number, cells, limits)
        yield number, cells


def _check_cells(label: str, name: str, number: int, cells: Any, limits: Limits) -> None:
    for value in cells:
        if isinstance(value, str) and len(value) > limits.cell_chars:
            raise LimitExceeded(_("{file}: sheet {sheet}, row {row}: a cell holds {n} "
                                  "characters, over the limit of {limit} per cell (setting "
                                  "IMPORT_MAX_CELL_CHARS)").format(
                                      file=label, sheet=name, row=number,
                                      n=F.number(len(value)),
                                      limit=F.number(limits.cell_chars)))


# What reading a damaged file can raise, whatever its container.
UNREADABLE: tuple[type[BaseException], ...] = (
    etree.LxmlError, zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
    RuntimeError, OverflowError, KeyError, IndexError, ValueError, UnicodeError,
    RecursionError, MemoryError)
# What refuses a file while it is read: a named problem, or damage (``except REFUSED``; a
# tuple constant, since mypy cannot check ``except (FileProblem, *UNREADABLE)``).
REFUSED: tuple[type[BaseException], ...] = (FileProblem, *UNREADABLE)


def unreadable(name: str, exc: BaseException) -> FileProblem:
    """A one-line problem for ``exc``, raised while reading file ``name``."""
    if isinstance(exc, FileProblem):
        return exc
    # The type only: a parser's message may quote the file's content (personal data).
    log.warning("import of %s: unreadable file (%s)", name, type(exc).__name__)
    return FileProblem(_("{file}: the file cannot be read ({detail}); it may be damaged: "
                         "open it in Excel and save it again (.xlsx or CSV UTF-8)").format(
                             file=name, detail=type(exc).__name__))
