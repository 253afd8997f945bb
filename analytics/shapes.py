"""Cube shapes: an indicator's cube declared as data, beside its case-table query.

A ``Cube`` says what one cube counts: its name (stored in ``analytics_cell.cube``), the
variants built (the assistance or training breakdown kept: ``""`` none, ``"sector"``…),
its shape (how a reader adds cells up), its named measures, and ``rows``: the SQL of one
variant's source rows, one row per contribution, joined to ``an_ben`` (the build's
beneficiaries with their breakdown values). The builder (``analytics.cubes.build``) runs
``rows`` for every declared cube and variant; the incremental refresh is that same build
restricted to some beneficiaries (``analytics.delta``); the readers in ``metrics.fast``
read the cells through the cube's shape and measure names. So adding an indicator with a
cube is one declaration in the indicator's file; the layout hash (``cubes.layout``) follows.

The shapes (every cell is a sum of per-beneficiary contributions, so all stay exact):

- ``EVENTS``: events counted once (registrations, deliveries, attendances); a first event
  per beneficiary (BEN-2) is one event too. Summable: a finer variant may be summed.
- ``DISTINCT_IN_RANGE``: distinct beneficiaries with an event in [a, b]: ``link`` is the
  month of the same beneficiary's previous event (``previous_event``); the beneficiaries
  with an event in [a, b] are the events in [a, b] whose previous one is before a.
- ``LATEST_IN_RANGE``: the latest event in [a, b]: ``link`` is the next event's month
  (``next_event``); the latest is the event in [a, b] whose next one is after b.
- ``UP_TO_END``: read over every month up to the period's last (a cohort by the end).
- ``HISTOGRAM``: counts by ``days`` (medians).

Declarations register themselves here (``declare``); ``declared()`` lists them in order.
``metrics.indicators`` declares every catalogue cube on import, so a process builds or
reads cubes only after importing ``metrics`` (``declared`` fails loudly otherwise: a build
with a cube missing would mark half-built cells fresh).

Typing: ``Any`` here stands for SQLAlchemy SQL expressions (columns, labels, CASE, window
functions, joins) of many classes; narrowing each would cost more than it catches, and the
exactness tests check what they compute.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import func

if TYPE_CHECKING:
    from analytics.sql import Build

EVENTS = "events"
DISTINCT_IN_RANGE = "distinct_in_range"
LATEST_IN_RANGE = "latest_in_range"
UP_TO_END = "up_to_end"
HISTOGRAM = "histogram"
SHAPES = (EVENTS, DISTINCT_IN_RANGE, LATEST_IN_RANGE, UP_TO_END, HISTOGRAM)
SLOTS = ("s1", "s2", "s3", "s4")  # the cells' measure columns, named per cube


@dataclass(frozen=True)
class Rows:
    """One variant's source rows (``source`` must be joined to the build's ``ben``) and the
    cell key and measures of each: ``month``, ``items`` (sector/modality/kind values),
    ``link``, ``days``, and ``sums`` in the order of the cube's ``measures``."""

    source: Any
    month: Any
    items: Mapping[str, Any] = field(default_factory=dict)
    link: Any = None
    days: Any = None
    sums: tuple[Any, ...] = ()


@dataclass(frozen=True, eq=False)
class Cube:
    name: str
    shape: str
    rows: Callable[[Build, str], Rows]
    variants: tuple[str, ...] = ("",)
    measures: tuple[str, ...] = ()   # names of s1, s2, … in order
    counts: tuple[str, ...] = ()     # the measures that are counts: their key sums k1…
    about: str = ""

    def __post_init__(self) -> None:
        if self.shape not in SHAPES:
            raise ValueError(f"cube {self.name}: unknown shape {self.shape!r}")
        if len(self.measures) > len(SLOTS):
            raise ValueError(f"cube {self.name}: at most {len(SLOTS)} measures")
        unknown = set(self.counts) - set(self.measures)
        if unknown:
            raise ValueError(f"cube {self.name}: counts {sorted(unknown)} are not measures")
        if len(self.name) > 32 or any(len(v) > 32 for v in self.variants):
            raise ValueError(f"cube {self.name}: names longer than the cells' columns")

    @property
    def summable(self) -> bool:
        return self.shape == EVENTS

    def column(self, measure: str) -> str:
        """The cell column behind a named measure ("n" is the count of rows)."""
        if measure == "n":
            return "n"
        return SLOTS[self.measures.index(measure)]

    def key_column(self, measure: str) -> str:
        """The key-sum column behind a count (issue 14): k behind n, k1… behind s1…."""
        if measure == "n":
            return "k"
        if measure not in self.counts:
            raise ValueError(f"cube {self.name}: {measure} is not a count, it has no key sum")
        return "k" + self.column(measure)[1:]

    @property
    def count_positions(self) -> tuple[int, ...]:
        return tuple(self.measures.index(m) + 1 for m in self.counts)


_DECLARED: dict[str, Cube] = {}


def declare(cube: Cube) -> Cube:
    """Register a cube (once per name: the same declaration may be used by several
    indicators)."""
    known = _DECLARED.get(cube.name)
    if known is not None and known is not cube:
        raise ValueError(f"two cubes are named {cube.name}")
    _DECLARED[cube.name] = cube
    return cube


def declared() -> tuple[Cube, ...]:
    if not _DECLARED:
        raise RuntimeError("no cube is declared: import metrics (its indicators declare "
                           "their cubes) before building or reading the analytics cells")
    return tuple(_DECLARED.values())


def get(name: str) -> Cube:
    declared()
    return _DECLARED[name]


# --- window helpers for the shapes that link events ---------------------------------------

def previous_event(day: Any, partition: list[Any], order_by: list[Any]) -> Any:
    """The day of the same partition's previous event (DISTINCT_IN_RANGE's link)."""
    return func.lag(day).over(partition_by=partition, order_by=order_by)


def next_event(day: Any, partition: list[Any], order_by: list[Any]) -> Any:
    """The day of the same partition's next event (LATEST_IN_RANGE's link)."""
    return func.lead(day).over(partition_by=partition, order_by=order_by)
