"""Numbers, percentages, money and dates in the current language (Babel's CLDR data).

English: ``1,234.5``, ``45.0%``, ``€1,234.5``, dates ``2026-11-23``.
French: ``1 234,5``, ``45,0 %``, ``1 234,5 €``, dates ``23/11/2026``
(French groups digits with a narrow no-break space and puts a no-break space before
``%`` and ``€``, as CLDR says).

Every function takes the value and, where figures can be hidden by disclosure control,
the ``note`` that replaces it ("<5"); a missing value is "–".
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pandas as pd
from babel import Locale
from babel.dates import format_date as _format_date
from babel.numbers import format_currency, format_decimal, format_percent, get_currency_symbol

from i18n import _, get_language

LOCALES = {"en": "en", "fr": "fr_FR"}
MISSING = "–"


def locale() -> Locale:
    return Locale.parse(LOCALES.get(get_language(), "en"))


def is_missing(value: Any) -> bool:
    """None, NaN, NaT (a list or a text is never missing)."""
    if value is None:
        return True
    if isinstance(value, str | list | tuple | dict):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _digits(pattern: str, digits: int) -> str:
    """A CLDR pattern with exactly ``digits`` decimals ("#,##0.###" → "#,##0.0")."""
    decimals = "." + "0" * digits if digits else ""
    return re.sub(r"0(\.[0#]+)?", "0" + decimals, pattern, count=1)


def number(value: Any, note: str = "", digits: int = 0) -> str:
    if note:
        return note
    if is_missing(value):
        return MISSING
    loc = locale()
    return format_decimal(float(value), _digits(loc.decimal_formats[None].pattern, digits),
                          locale=loc)


def signed(value: float, digits: int = 0) -> str:
    """A change with its sign: ``+12``, ``−3.5`` (CLDR's minus sign for French)."""
    text = number(abs(value), digits=digits)
    return ("+" if value >= 0 else locale().number_symbols["latn"]["minusSign"]) + text


def percent(value: Any, note: str = "", digits: int = 1) -> str:
    """A share (0.45) as a percentage: ``45.0%`` / ``45,0 %``."""
    if note:
        return note
    if is_missing(value):
        return MISSING
    loc = locale()
    return format_percent(float(value), _digits(loc.percent_formats[None].pattern, digits),
                          locale=loc)


def money(value: Any, note: str = "", digits: int = 0, *, currency: str) -> str:
    """An amount in ``currency`` (ISO 4217): ``€1,234`` / ``1 234 €`` for EUR, ``$1,234`` /
    ``1 234 $US`` for USD (``digits`` decimals). No default: the reporting currency is the
    programme's (``views.format.money`` passes it), never a hard-coded EUR."""
    if note:
        return note
    if is_missing(value):
        return MISSING
    loc = locale()
    pattern = _digits(loc.currency_formats["standard"].pattern.split(";")[0], digits)
    return format_currency(float(value), currency, format=pattern, locale=loc,
                           currency_digits=False)


def days(value: Any, note: str = "") -> str:
    if note:
        return note
    if is_missing(value):
        return MISSING
    return _("{number} days").format(number=number(value))


def date(value: Any) -> str:
    """A day: ``2026-11-23`` in English, ``23/11/2026`` in French."""
    if is_missing(value):
        return MISSING
    day = _as_date(value)
    if get_language() == "en":
        return day.isoformat()
    return _format_date(day, "dd/MM/yyyy", locale=locale())


def datetime(value: Any) -> str:
    """A moment to the minute: ``2026-11-23 14:05`` / ``23/11/2026 14:05``."""
    if is_missing(value):
        return MISSING
    moment = value.to_pydatetime() if hasattr(value, "to_pydatetime") else value
    if not isinstance(moment, dt.datetime):
        return date(moment)
    return f"{date(moment.date())} {moment:%H:%M}"


def month(value: Any, long: bool = False) -> str:
    """A month and year: ``Dec 2016`` / ``déc. 2016``; ``long``: ``December 2016`` /
    ``décembre 2016``."""
    if is_missing(value):
        return MISSING
    return _format_date(_as_date(value), "MMMM y" if long else "MMM y", locale=locale())


def quarter(year: int, number_: int) -> str:
    """``Q3 2016`` / ``T3 2016``."""
    return _("Q{quarter} {year}").format(quarter=number_, year=year)


def period_label(label: str) -> str:
    """A period label of ``metrics.periods`` (2016Q3, 2016-03, 2016) for people."""
    match = re.fullmatch(r"(\d{4})Q([1-4])", str(label))
    if match:
        return quarter(int(match.group(1)), int(match.group(2)))
    match = re.fullmatch(r"(\d{4})-(\d{2})", str(label))
    if match:
        return month(dt.date(int(match.group(1)), int(match.group(2)), 1))
    return str(label)


def _as_date(value: Any) -> dt.date:
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def currency_symbol(currency: str) -> str:
    """How ``money`` writes ``currency`` in the current language (``€``; ``$`` / ``$US``)."""
    return get_currency_symbol(currency, locale=locale())


def vega_locale(currency: str) -> dict[str, Any]:
    """Vega-Lite's ``config.locale`` for the current language and the reporting
    ``currency``: number separators (axes, tooltips), the currency symbol and month and day
    names (time axes)."""
    symbol = currency_symbol(currency)
    if get_language() == "en":
        return {"number": {"decimal": ".", "thousands": ",", "grouping": [3],
                           "currency": [symbol, ""]}}
    loc = locale()
    symbols = loc.number_symbols["latn"]
    days = loc.days["format"]
    months = loc.months["format"]
    return {
        "number": {"decimal": symbols["decimal"], "thousands": symbols["group"],
                   "grouping": [3], "currency": ["", f"\u00a0{symbol}"], "percent": "\u202f%",
                   "minus": symbols["minusSign"]},
        "time": {"dateTime": "%A %e %B %Y à %X", "date": "%d/%m/%Y", "time": "%H:%M:%S",
                 "periods": ["AM", "PM"],
                 # d3 weeks start on Sunday, CLDR's index 0 is Monday
                 "days": [days["wide"][(i + 6) % 7] for i in range(7)],
                 "shortDays": [days["abbreviated"][(i + 6) % 7] for i in range(7)],
                 "months": [months["wide"][i] for i in range(1, 13)],
                 "shortMonths": [months["abbreviated"][i] for i in range(1, 13)]},
    }
