"""The programme the dashboard reports on: configuration, not code (issue 18).

One TOML file, named by the ``PROGRAMME_FILE`` setting (default ``programmes/motuse.toml``,
the demo's), states the programme's name in each language, its countries (ISO 3166-1
alpha-2 codes, in the order they are shown), its period, its reporting currency (ISO 4217)
and optionally its own reporting periods (donor quarters that need not start in January)
and a colour per country. Every country the dashboard offers (sidebar, users, imports,
colours) and the programme's start and end come from here::

    countries = ["GN", "NG"]
    start = 2017-01-01
    end = 2021-12-31
    currency = "USD"

    [name]
    en = "Example – …"
    fr = "Exemple – …"

    [colours]            # optional
    GN = "#c1272d"

    [[reporting_periods]]   # optional, contiguous, inside [start, end]
    label = "Y1 Q1"
    start = 2017-02-01
    end = 2017-04-30

``programme()`` reads the file once per path (``programme.cache_clear()`` forgets it);
a bad file raises ``ProgrammeError`` (a ``SettingsError``) naming the file, the fault and
the fix, so the app and ``manage.py`` refuse to start with a readable message.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pycountry

from data_access.settings import PROJECT_ROOT, SettingsError, load_settings

DEFAULT_PROGRAMME_FILE = PROJECT_ROOT / "programmes" / "motuse.toml"
LANGUAGES = ("en", "fr")
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_KEYS = {"countries", "start", "end", "currency", "name", "colours", "reporting_periods"}


class ProgrammeError(SettingsError):
    """The programme file is missing or malformed; the message says where and how to fix it."""


@dataclass(frozen=True)
class ReportingPeriod:
    """One of the programme's own reporting periods (a donor quarter)."""

    label: str
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class Programme:
    """A programme as its file states it (see the module docstring)."""

    names: tuple[tuple[str, str], ...]  # (language, name)
    countries: tuple[str, ...]
    start: dt.date
    end: dt.date
    currency: str
    reporting_periods: tuple[ReportingPeriod, ...] = ()
    colours: tuple[tuple[str, str], ...] = ()  # (country, "#rrggbb")
    path: str = ""

    def name(self, language: str = "en") -> str:
        """The programme's name in ``language`` (English when it has none in it)."""
        names = dict(self.names)
        return names.get(language) or names["en"]

    def colour(self, country: str) -> str | None:
        """The colour the file gives ``country``, if any."""
        return dict(self.colours).get(country)

    def has(self, country: str) -> bool:
        return country in self.countries


def _fail(path: Path | str, message: str) -> ProgrammeError:
    return ProgrammeError(f"programme file {path}: {message} (set PROGRAMME_FILE to a "
                          "valid file, or fix this one)")


def _date(path: Path | str, where: str, value: Any) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise _fail(path, f"{where} must be a date written YYYY-MM-DD without quotes, got "
                          f"{value!r}")
    return value


def _country(path: Path | str, code: Any) -> str:
    if not isinstance(code, str) or len(code) != 2 or not code.isalpha() or \
            not code.isupper() or pycountry.countries.get(alpha_2=code) is None:
        raise _fail(path, f"{code!r} is not an ISO 3166-1 alpha-2 country code (two capital "
                          "letters, e.g. MA, GN)")
    return code


def parse(data: dict[str, Any], path: Path | str = "<text>") -> Programme:
    """Check a programme file's contents; ``ProgrammeError`` on the first fault."""
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise _fail(path, f"unknown key {unknown[0]!r}; known keys: {', '.join(sorted(_KEYS))}")
    for key in ("countries", "start", "end", "currency", "name"):
        if key not in data:
            raise _fail(path, f"{key!r} is missing")
    names = data["name"]
    if not isinstance(names, dict) or not isinstance(names.get("en"), str) or \
            not names["en"].strip():
        raise _fail(path, "[name] needs at least an English name: en = \"…\"")
    for language, text in names.items():
        if language not in LANGUAGES or not isinstance(text, str) or not text.strip():
            raise _fail(path, f"[name] {language!r}: expected a non-empty text for one of "
                              f"{', '.join(LANGUAGES)}")
    countries = data["countries"]
    if not isinstance(countries, list) or not countries:
        raise _fail(path, "countries must be a non-empty list such as [\"MA\", \"TN\"]")
    codes = tuple(_country(path, c) for c in countries)
    twice = sorted({c for c in codes if codes.count(c) > 1})
    if twice:
        raise _fail(path, f"country {twice[0]} is listed twice")
    start = _date(path, "start", data["start"])
    end = _date(path, "end", data["end"])
    if end < start:
        raise _fail(path, f"the programme ends ({end}) before it starts ({start})")
    currency = data["currency"]
    if not isinstance(currency, str) or pycountry.currencies.get(alpha_3=currency) is None \
            or currency != currency.upper():
        raise _fail(path, f"currency {currency!r} is not an ISO 4217 code (e.g. EUR, USD)")
    colours = data.get("colours", {})
    if not isinstance(colours, dict):
        raise _fail(path, "[colours] must map country codes to \"#rrggbb\"")
    for code, colour in colours.items():
        if code not in codes:
            raise _fail(path, f"[colours] names {code!r}, which is not one of the countries")
        if not isinstance(colour, str) or not _COLOUR.fullmatch(colour):
            raise _fail(path, f"[colours] {code}: {colour!r} is not a colour \"#rrggbb\"")
    periods = _reporting_periods(path, data.get("reporting_periods", []), start, end)
    return Programme(tuple(sorted(names.items())), codes, start, end, currency, periods,
                     tuple(colours.items()), str(path))


def _reporting_periods(path: Path | str, raw: Any, start: dt.date,
                       end: dt.date) -> tuple[ReportingPeriod, ...]:
    if not isinstance(raw, list):
        raise _fail(path, "reporting_periods must be a list of [[reporting_periods]] tables")
    periods: list[ReportingPeriod] = []
    for number, item in enumerate(raw, 1):
        where = f"reporting period {number}"
        if not isinstance(item, dict) or set(item) != {"label", "start", "end"}:
            raise _fail(path, f"{where} needs exactly label, start and end")
        label = item["label"]
        if not isinstance(label, str) or not label.strip():
            raise _fail(path, f"{where}: label must be a non-empty text")
        first = _date(path, f"{where} start", item["start"])
        last = _date(path, f"{where} end", item["end"])
        if last < first:
            raise _fail(path, f"{where} ({label}) ends ({last}) before it starts ({first})")
        if first < start or last > end:
            raise _fail(path, f"{where} ({label}) lies outside the programme period "
                              f"{start} – {end}")
        if periods:
            before = periods[-1]
            if first <= before.end:
                raise _fail(path, f"{where} ({label}) overlaps {before.label}: it starts "
                                  f"{first}, {before.label} ends {before.end}")
            if first != before.end + dt.timedelta(days=1):
                raise _fail(path, f"{where} ({label}) leaves a gap after {before.label}: "
                                  f"expected it to start {before.end + dt.timedelta(days=1)}")
        periods.append(ReportingPeriod(label.strip(), first, last))
    labels = [p.label for p in periods]
    twice = sorted({x for x in labels if labels.count(x) > 1})
    if twice:
        raise _fail(path, f"reporting period label {twice[0]!r} is used twice")
    return tuple(periods)


def read(path: Path | str) -> Programme:
    """Read and check the programme file at ``path``."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise _fail(path, "does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise _fail(path, f"is not valid TOML ({exc})") from exc
    return parse(data, path)


class _ProcessProgramme:
    """``programme()``: the programme of the ``PROGRAMME_FILE`` setting, read once per
    file; ``programme.cache_clear()`` forgets what was read (tests that change the file)."""

    def __init__(self) -> None:
        self._read: dict[str, Programme] = {}

    def __call__(self) -> Programme:
        path = str(load_settings().programme_file)
        if path not in self._read:
            self._read[path] = read(path)
        return self._read[path]

    def cache_clear(self) -> None:
        self._read.clear()


programme = _ProcessProgramme()


def programme_title(language: str | None = None) -> str:
    """The programme's name as the dashboard, reports and exports print it: the
    ``PROGRAMME_NAME`` setting when set, else the programme file's name in ``language``
    (default: the current one)."""
    from i18n import get_language

    return load_settings().programme_name or programme().name(language or get_language())
