"""The one small, frozen, hashable filter object every metric takes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Literal

from data_access.programme import programme
from i18n import _
from i18n.formats import date
from i18n.vocab import country_name as _country_name

Granularity = Literal["month", "quarter", "year"]
GRANULARITIES: tuple[Granularity, ...] = ("month", "quarter", "year")



def programme_start() -> dt.date:
    """The programme's first day (its programme file, ``data_access.programme``)."""
    return programme().start


def programme_end() -> dt.date:
    """The programme's last day."""
    return programme().end


def country_name(code: str) -> str:
    """The country's name in the current language."""
    return _country_name(code)


def whole_months(start: dt.date, end: dt.date) -> int | None:
    """How many calendar months [start, end] spans when it runs from the first day of a
    month to the last day of a month (every sidebar preset does; the analytics cubes
    answer only such ranges); else None. The one whole-month test."""
    if start.day != 1 or (end + dt.timedelta(days=1)).day != 1:
        return None
    return (end.year - start.year) * 12 + end.month - start.month + 1


@dataclass(frozen=True)
class Filters:
    """What the viewer asked for. Countries narrow the scope, never widen it."""

    start: dt.date = field(default_factory=programme_start)
    end: dt.date = field(default_factory=programme_end)
    countries: tuple[str, ...] = ()  # empty: every country the viewer's scope allows
    granularity: Granularity = "quarter"

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")
        if self.granularity not in GRANULARITIES:
            raise ValueError(f"granularity must be one of {GRANULARITIES}")
        object.__setattr__(self, "countries", tuple(sorted({c.upper() for c in self.countries})))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def with_period(self, start: dt.date, end: dt.date) -> Filters:
        return replace(self, start=start, end=end)

    @property
    def whole_months(self) -> int | None:
        """How many calendar months the period spans when it is whole months; else None
        (``whole_months``)."""
        return whole_months(self.start, self.end)

    def previous(self) -> Filters:
        """The period just before this one, of the same length.

        Whole months (a year, a quarter, "last 12 months"): the same number of whole
        months just before (Q1 2016 → Q4 2015, 2016 → 2015, Mar 2016 → Feb 2016), so both
        periods are read from the monthly analytics cubes. Any other range: the same
        number of days, ending the day before this one starts."""
        end = self.start - dt.timedelta(days=1)
        months = self.whole_months
        if months is not None:
            index = self.start.year * 12 + self.start.month - 1 - months
            return self.with_period(dt.date(index // 12, index % 12 + 1, 1), end)
        return self.with_period(end - dt.timedelta(days=self.days - 1), end)

    def previous_or_none(self) -> Filters | None:
        """``previous()``, or None when it would end before the programme start: there is
        no previous period to compare with (the whole programme, its first month or
        quarter), and a change against nothing (every figure "+" itself) is not shown."""
        previous = self.previous()
        return previous if previous.end >= programme_start() else None

    def year_earlier(self) -> Filters:
        """The same dates one year earlier (29 February becomes 28 February)."""
        return self.with_period(_minus_year(self.start), _minus_year(self.end))

    def describe(self, granularity: bool = True) -> str:
        """The filters in words (current language), for chart captions and export footers;
        ``granularity=False`` leaves out "by quarter" (a chart without a time axis)."""
        where = (", ".join(country_name(c) for c in self.countries)
                 if self.countries else _("all countries"))
        text = f"{where}; {date(self.start)} – {date(self.end)}"
        if not granularity:
            return text
        by = {"month": _("by month"), "quarter": _("by quarter"), "year": _("by year")}
        return f"{text}; {by[self.granularity]}"

    def slug(self) -> str:
        """A short text for file names, e.g. MA-SN_2016-01-01_2016-12-31."""
        where = "-".join(self.countries) if self.countries else "ALL"
        return f"{where}_{self.start.isoformat()}_{self.end.isoformat()}"


def _minus_year(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)
