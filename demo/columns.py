"""Column arrays of the generated tables, and their conversion to database rows.

Tables are generated as numpy arrays (one per column) so that a million beneficiaries take
seconds; rows become Python tuples only chunk by chunk, as the loader writes them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

NULL_DAY = -(10**6)  # a date column's NULL (dates are days since the start, may be negative)


@dataclass(frozen=True)
class Dates:
    """A date column as days since ``origin`` (the programme's start); ``NULL_DAY`` is
    NULL.

    ``with_time`` renders timestamps (midnight), for created_at/updated_at.
    """

    days: np.ndarray
    origin: dt.date
    with_time: bool = False

    def __len__(self) -> int:
        return len(self.days)

    def texts(self, start: int, stop: int) -> list[str | None]:
        days = self.days[start:stop]
        valid = days != NULL_DAY
        if not valid.any():
            return [None] * len(days)
        low, high = int(days[valid].min()), int(days[valid].max())
        # Format each distinct day once, then index: far cheaper than formatting every row.
        origin = np.datetime64(self.origin.isoformat(), "D")
        lookup = np.datetime_as_string(origin + np.arange(low, high + 1)).astype(object)
        if self.with_time:
            lookup = lookup + " 00:00:00"
        out = np.full(len(days), None, dtype=object)
        out[valid] = lookup[days[valid] - low]
        return out.tolist()


Column = np.ndarray | Dates


@dataclass(frozen=True)
class Table:
    """One table's rows as columns; ``name`` is the database table."""

    name: str
    columns: Mapping[str, Column]

    def __len__(self) -> int:
        return len(next(iter(self.columns.values())))

    def rows(self, chunk: int = 50_000) -> Iterator[list[tuple[Any, ...]]]:
        """The rows as tuples in column order, ``chunk`` rows at a time."""
        for start in range(0, len(self), chunk):
            stop = min(start + chunk, len(self))
            values = [_python(col, start, stop) for col in self.columns.values()]
            yield list(zip(*values, strict=True))


def _python(column: Column, start: int, stop: int) -> Sequence[Any]:
    if isinstance(column, Dates):
        return column.texts(start, stop)
    part = column[start:stop]
    if part.dtype.kind == "f":
        out = part.astype(object)
        out[np.isnan(part)] = None
        return out.tolist()
    return part.tolist()


def nullable(values: np.ndarray, null: np.ndarray) -> np.ndarray:
    """An object array of Python ints (or None where ``null``), for nullable integers."""
    out = values.astype(object)
    out[null] = None
    return out


def with_timestamps(columns: dict[str, Column], days: np.ndarray,
                    origin: dt.date) -> dict[str, Column]:
    """Add created_at/updated_at: the record is taken as entered on its own date."""
    stamp = Dates(days, origin, with_time=True)
    return {**columns, "created_at": stamp, "updated_at": stamp}


def choose(rng: np.random.Generator, weights: Mapping[str, float], size: int) -> np.ndarray:
    """``size`` codes drawn with the given weights, as an object array of str."""
    keys = np.array(list(weights), dtype=object)
    p = np.array(list(weights.values()), dtype=float)
    return keys[rng.choice(len(keys), size=size, p=p / p.sum())]
