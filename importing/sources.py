"""What an import reads: the uploaded or named file (``Source``), its sheets as read
(``RawSheet``), a formula cell's text (``Formula``) and the error of an unreadable file
(``FileProblem``). Below both the reader and the size limits, which use them."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

if TYPE_CHECKING:
    from importing.schema import Sheet


class FileProblem(ValueError):
    """The file cannot be read as an import file; the message says why and what to do."""


class Formula(str):
    """The text of a formula cell (``=A1+1``): refused by the validator."""


@dataclass
class RawSheet:
    name: str
    # Any: cells as the file gives them (text, numbers, dates, booleans, None).
    header: list[Any]
    rows: Iterator[tuple[int, tuple[Any, ...]]]  # (spreadsheet row number, cells)
    size_hint: int | None  # rows in the sheet when known, for progress
    note: str | None = None  # how the file was read, when the user should know (encoding)
    # The sheet's columns when they are not the template's: the survey import's followups
    # carry the submission id too (importing.survey); None: the template's sheet.
    sheet: Sheet | None = None


@dataclass
class Source:
    """What was uploaded or named: a path (file or folder), or bytes with a file name."""

    name: str
    path: Path | None = None
    data: bytes | None = None

    @classmethod
    def from_path(cls, path: str | os.PathLike[str]) -> Source:
        p = Path(path)
        return cls(p.name, path=p)

    def open_bytes(self) -> BinaryIO:
        if self.data is not None:
            return io.BytesIO(self.data)
        assert self.path is not None
        return open(self.path, "rb")  # noqa: SIM115

    def read_bytes(self) -> bytes:
        if self.data is not None:
            return self.data
        assert self.path is not None
        return self.path.read_bytes()

    def size(self) -> int:
        if self.data is not None:
            return len(self.data)
        assert self.path is not None
        return self.path.stat().st_size
