"""Value parsers for the import template (domain.md, "The import template", "Values").

Every parser takes the raw cell value (a ``str`` from a CSV, or whatever openpyxl read from
an XLSX cell: ``str``, ``int``, ``float``, ``bool``, ``datetime``) that is known not to be
blank, and returns the stored value or raises ``ValueError`` whose message is a plain
sentence fragment a field officer can act on ("'31/02/2015' is not a date: …").
"""

from __future__ import annotations

import datetime as dt
import gettext
import math
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cache
from typing import Any

import pycountry

from data_access.programme import programme
from data_access.spreadsheet import unsafe_text
from data_access.vocab import ServiceKind, Sex, Vulnerability, parse_code
from i18n import _
from i18n.vocab import country_name

YES = frozenset({"yes", "oui", "true", "vrai", "1", "y", "o"})
NO = frozenset({"no", "non", "false", "faux", "0", "n"})
INT32_MAX = 2_147_483_647

_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$")
_FR_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "") or (
        isinstance(value, float) and math.isnan(value))


def text(value: Any) -> str:
    """A cell as trimmed text; whole numbers read as numbers lose their ``.0``."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return unsafe_text(str(value).strip())


def fold(value: str) -> str:
    """Lower case, no accents, single spaces: the form names are compared in."""
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    stripped = re.sub(r"[\s\-_'’.,()]+", " ", stripped.lower())
    return stripped.strip()


def parse_date(value: Any) -> dt.date:
    """``YYYY-MM-DD``, ``DD/MM/YYYY`` or an Excel date cell."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError(_("{value} is a number, not a date: format the cell as a date or "
                           "type YYYY-MM-DD or DD/MM/YYYY").format(value=repr(text(value))))
    raw = text(value)
    match = _ISO_DATE.match(raw)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = _FR_DATE.match(raw)
        if not match:
            raise ValueError(_("{value} is not a date: write YYYY-MM-DD or DD/MM/YYYY")
                             .format(value=repr(raw)))
        day, month, year = (int(g) for g in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(_("{value} is not a date of the calendar").format(
            value=repr(raw))) from None


def parse_bool(value: Any) -> bool:
    """yes/no, oui/non, true/false, 1/0, y/n, o/n (any case), or a TRUE/FALSE cell."""
    if isinstance(value, bool):
        return value
    key = text(value).lower()
    if key in YES:
        return True
    if key in NO:
        return False
    raise ValueError(_("{value} is not yes or no: write yes/no (or oui/non)").format(
        value=repr(text(value))))


class AmbiguousNumber(ValueError):
    """A number whose one separator could be a decimal point or a thousands separator."""


# One ``,`` or ``.`` followed by exactly three digits, after a non-zero whole part:
# "1,500" is 1500 in English writing and 1.5 in French; "1.500" the other way round.
_AMBIGUOUS = re.compile(r"[+-]?[1-9]\d{0,2}[.,]\d{3}")
# The same separator more than once, every group of three digits: "1,500,000", "1.500.000".
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:(,)\d{3}(?:,\d{3})+|(\.)\d{3}(?:\.\d{3})+)")


def _ambiguous(raw: str) -> str:
    whole, _sep, part = re.split(r"([.,])", raw.lstrip("+-"), maxsplit=1)
    sign = "-" if raw.startswith("-") else ""
    thousands, decimals = f"{sign}{whole}{part}", part.rstrip("0")
    decimal = f"{sign}{whole}.{decimals}" if decimals else f"{sign}{whole}"
    if len(decimals) == 3:  # 12.345 itself is ambiguous: a fourth digit settles it
        decimal, decimals = decimal + "0", decimals + "0"
    written = f"{decimal} (or {sign}{whole},{decimals})" if decimals else decimal
    return _("{value} is ambiguous: it could be {thousands} or {decimal}. Write "
             "{thousands} (or {spaced}) if you mean {thousands}, {written} if you mean "
             "{decimal}").format(value=repr(raw), thousands=thousands, decimal=decimal,
                                 spaced=f"{sign}{whole} {part}", written=written)


def _number_text(value: Any) -> str:
    """A number written as text, in the form ``Decimal`` and ``float`` read.

    Spaces group thousands (``1 234,50``); with both ``,`` and ``.`` the last one is the
    decimal separator (``1.234,50``, ``1,234.50``); one separator repeated between groups
    of three digits groups thousands (``1.500.000``); a lone ``,`` is a decimal comma
    (``1234,5``). A lone ``,`` or ``.`` followed by exactly three digits (``1,500``,
    ``2.000``) is refused as ambiguous (``AmbiguousNumber``): read either way it could
    change a grant a thousandfold. ``0,125`` is not ambiguous (no thousand starts with 0).
    """
    raw = text(value)
    cleaned = re.sub(r"[\s\u00a0\u202f]", "", raw)
    if _AMBIGUOUS.fullmatch(cleaned):
        raise AmbiguousNumber(_ambiguous(cleaned))
    if _GROUPED.fullmatch(cleaned):
        cleaned = cleaned.replace(",", "").replace(".", "")
    elif "," in cleaned and "." in cleaned:
        # the last separator is the decimal one: 1.234,50 or 1,234.50
        if cleaned.rfind(",") > cleaned.rfind("."):
            cleaned = cleaned.replace(".", "").replace(",", ".")
        else:
            cleaned = cleaned.replace(",", "")
    else:
        cleaned = cleaned.replace(",", ".")  # French decimal comma: 1234,50
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", cleaned):
        raise ValueError(_not_a_number(raw))
    return cleaned


MAX_DIGITS = 12  # NUMERIC(12, 2), the precision of stored amounts


def _not_a_number(value: Any) -> str:
    return _("{value} is not a number").format(value=repr(value))


def _not_whole(value: Any) -> str:
    return _("{value} is not a whole number").format(value=repr(text(value)))


def parse_decimal(value: Any, places: int = 2) -> Decimal:
    """A number (``1234.5``, ``1 234,50``, ``1.234,50``) as a Decimal rounded to ``places``."""
    if isinstance(value, bool):
        raise ValueError(_not_a_number(text(value)))
    if isinstance(value, (int, Decimal)):
        number = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(_not_a_number(value))
        number = Decimal(repr(value))
    else:
        try:
            number = Decimal(_number_text(value))
        except InvalidOperation:
            raise ValueError(_not_a_number(text(value))) from None
    if not number.is_finite():
        raise ValueError(_not_a_number(text(value)))
    # Amounts are stored as NUMERIC(12, 2): anything with more digits before the point
    # would fail at write time, after validation said the file was clean.
    if abs(number) >= Decimal(10) ** (MAX_DIGITS - places):
        raise ValueError(_("{value} is too large").format(value=repr(text(value))))
    return number.quantize(Decimal(1).scaleb(-places))


def parse_float(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(_not_a_number(text(value)))
    number = float(value) if isinstance(value, (int, float, Decimal)) else float(
        _number_text(value))
    if not math.isfinite(number):
        raise ValueError(_not_a_number(text(value)))
    return number


def parse_int(value: Any) -> int:
    """A whole number (``3``, ``3.0``, ``1 200``)."""
    if isinstance(value, bool):
        raise ValueError(_not_whole(value))
    if isinstance(value, int):
        number = value
    else:
        try:
            as_float = parse_float(value)
        except AmbiguousNumber:
            raise
        except ValueError:
            raise ValueError(_not_whole(value)) from None
        if not as_float.is_integer():
            raise ValueError(_not_whole(value))
        number = int(as_float)
    if abs(number) > INT32_MAX:
        raise ValueError(_("{value} is too large").format(value=repr(text(value))))
    return number


def parse_enum(enum: type[StrEnum], value: Any) -> StrEnum:
    return parse_code(enum, text(value))


def parse_sex(value: Any) -> Sex:
    return parse_code(Sex, text(value))


def parse_vulnerabilities(value: Any) -> frozenset[Vulnerability]:
    """A ``;``-separated (or ``,``-separated) list of vulnerability words."""
    words = [w for w in re.split(r"[;,]", text(value)) if w.strip()]
    found = set()
    for word in words:
        try:
            found.add(parse_code(Vulnerability, word))
        except ValueError:
            accepted = ", ".join(v.value for v in Vulnerability)
            raise ValueError(_("{value} is not a vulnerability: use {accepted}, separated "
                               "by ;").format(value=repr(word.strip()), accepted=accepted)
                             ) from None
    return frozenset(found)


def parse_services(value: Any) -> frozenset[ServiceKind]:
    """A ``;``-separated (or ``,``-separated) list of service words (English or French)."""
    found = set()
    for word in (w for w in re.split(r"[;,]", text(value)) if w.strip()):
        try:
            found.add(parse_code(ServiceKind, word))
        except ValueError:
            accepted = ", ".join(s.value for s in ServiceKind)
            raise ValueError(_("{value} is not a service: use {accepted}, separated by ;")
                             .format(value=repr(word.strip()), accepted=accepted)) from None
    return frozenset(found)


@cache
def _country_names() -> dict[str, str]:
    """Folded name or code → alpha-2, for every ISO 3166-1 country, in English and French."""
    french = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
    names: dict[str, str] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        for name in (country.name, getattr(country, "official_name", None),
                     getattr(country, "common_name", None)):
            if name:
                names.setdefault(fold(name), code)
                names.setdefault(fold(french.gettext(name)), code)
    for country in pycountry.countries:  # codes win over names
        names[country.alpha_2.lower()] = country.alpha_2
        names[country.alpha_3.lower()] = country.alpha_2
    return names


def parse_country(value: Any) -> str:
    """ISO 3166-1 alpha-2 (or alpha-3) code, or the English or French name → alpha-2."""
    raw = text(value)
    code = _country_names().get(fold(raw)) or _country_names().get(raw.lower())
    if code is None:
        raise ValueError(_("{value} is not a country: write its ISO code (e.g. {codes}) or "
                           "its English or French name").format(
                               value=repr(raw), codes=", ".join(programme().countries)))
    return code


def in_programme(code: str) -> str:
    """``code`` when it is one of the programme's countries (``PROGRAMME_FILE``); else a
    ValueError saying which countries the programme has."""
    countries = programme().countries
    if code not in countries:
        raise ValueError(_("{country} ({name}) is not a country of this programme: its "
                           "countries are {countries}").format(
                               country=code, name=country_name(code),
                               countries=", ".join(countries)))
    return code


@cache
def _region_names(country: str) -> dict[str, str]:
    french = gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=["fr"])
    names: dict[str, str] = {}
    subdivisions = sorted(pycountry.subdivisions.get(country_code=country) or [],
                          key=lambda s: (s.type != "Region", s.code))  # regions win clashes
    for sub in subdivisions:
        names.setdefault(fold(sub.name), sub.code)
        names.setdefault(fold(french.gettext(sub.name)), sub.code)
    for sub in subdivisions:
        names[sub.code.lower()] = sub.code
        names[sub.code.split("-", 1)[1].lower()] = sub.code  # "05" for MA-05
    return names


def parse_region(value: Any, country: str) -> str:
    """An ISO 3166-2 code (``MA-05``, or ``05`` within the row's country) or a name."""
    raw = text(value)
    names = _region_names(country)
    code = names.get(raw.lower()) or names.get(fold(raw))
    if code is None:
        example = next(iter(sorted(set(names.values()))), country + "-01")
        raise ValueError(_("{value} is not a region of {country}: write its ISO 3166-2 code "
                           "(e.g. {example}) or its name").format(
                               value=repr(raw), country=country, example=example))
    return code


_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_FR_MONTH = re.compile(r"^(\d{1,2})/(\d{4})$")


def parse_month(value: Any) -> dt.date:
    """``YYYY-MM``, ``MM/YYYY`` or any date of the month → the month's first day."""
    raw = text(value)
    match = _MONTH.match(raw)
    if match:
        year, month = (int(g) for g in match.groups())
    else:
        match = _FR_MONTH.match(raw)
        if not match:
            try:
                return parse_date(value).replace(day=1)
            except ValueError:
                raise ValueError(_("{value} is not a month: write YYYY-MM (or any date of "
                                   "the month)").format(value=repr(raw))) from None
        month, year = (int(g) for g in match.groups())
    if not 1 <= month <= 12:
        raise ValueError(_("{value} is not a month: write YYYY-MM (or any date of "
                           "the month)").format(value=repr(raw)))
    return dt.date(year, month, 1)


def parse_currency(value: Any) -> str:
    """An ISO 4217 currency code (``MAD``, ``tnd``) → its upper-case code."""
    raw = text(value)
    code = raw.upper()
    if not re.fullmatch(r"[A-Z]{3}", code) or pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError(_("{value} is not a currency: write its ISO 4217 code (MAD, TND, "
                           "XOF, EUR)").format(value=repr(raw)))
    return code


def parse_rate(value: Any) -> Decimal:
    """A rate: a number above 0, up to 6 decimals (``10.8473``, ``655,957``)."""
    try:
        rate = parse_decimal(value, places=6)
    except AmbiguousNumber:
        raise
    if rate <= 0:
        raise ValueError(_("{value} is not a rate (above 0)").format(value=repr(text(value))))
    return rate
