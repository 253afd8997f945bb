"""What validation hands on: the ``Problem`` s it found (collected up to ``MAX_PROBLEMS``),
the parsed rows of each sheet (``Table``), the whole ``Validated`` file that ``apply``
writes, and the case numbers the file names."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from importing.schema import Sheet

if TYPE_CHECKING:
    from importing.existing import Existing

MAX_PROBLEMS = 20_000


@dataclass(frozen=True, order=True)
class Problem:
    sheet: str
    row: int | None
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "column": self.column,
                "problem": self.message}


@dataclass
class Table:
    """The parsed rows of one sheet: ``rows[i] = (row_number, value per template column)``."""

    sheet: Sheet
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    rejected: set[int] = field(default_factory=set)  # row numbers with a problem
    present: set[str] = field(default_factory=set)  # template columns the file has

    def __post_init__(self) -> None:
        # position of each column in a row tuple (0 is the row number)
        self.at = {c.name: i + 1 for i, c in enumerate(self.sheet.columns)}

    def valid_rows(self) -> Iterator[tuple[Any, ...]]:
        return (r for r in self.rows if r[0] not in self.rejected)


@dataclass
class Validated:
    file_name: str
    tables: dict[str, Table]
    problems: list[Problem]
    sheets_present: tuple[str, ...]
    truncated: int = 0  # problems not kept beyond MAX_PROBLEMS
    notes: list[str] = field(default_factory=list)  # how the file was read (encodings)
    existing: Existing | None = None  # what the database holds of the file's cases (once read)
    # cases whose rows the file changes without naming them (a survey visit moved to
    # another case by an edited submission: its old case), for the analytics refresh
    also_touched: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.problems

    def rejected_counts(self) -> dict[str, int]:
        return {name: len(t.rejected) for name, t in self.tables.items()}


class Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.truncated = 0

    def add(self, sheet: str, row: int | None, column: str, message: str,
            table: Table | None = None) -> None:
        if table is not None and row is not None:
            table.rejected.add(row)
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(sheet, row, column, message))
        else:
            self.truncated += 1


def file_case_keys(tables: dict[str, Table]) -> set[tuple[str, str]]:
    """(country, case number) of every valid row that names a case: after validation
    every such row has its case's country (the fact sheets' resolved by ``validate``)."""
    keys: set[tuple[str, str]] = set()
    for t in tables.values():
        if "case_number" in t.at:
            at_case, at_country = t.at["case_number"], t.at["country"]
            keys.update((str(r[at_country]), str(r[at_case])) for r in t.valid_rows()
                        if r[at_case] is not None and r[at_country] is not None)
    return keys


def file_cases(tables: dict[str, Table], *, valid_only: bool = False) -> set[str]:
    """The case numbers the sheets name: of every row (the cross-checks read rejected rows
    too), or of the valid rows only (what ``apply`` writes)."""
    cases: set[str] = set()
    for t in tables.values():
        if "case_number" in t.at:
            at = t.at["case_number"]
            rows = t.valid_rows() if valid_only else t.rows
            cases.update(str(r[at]) for r in rows if r[at] is not None)
    return cases
