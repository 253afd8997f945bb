"""Numbers and labels for people: thousands separators, %, EUR, vocabulary in words."""

from __future__ import annotations

import math
from typing import Any

import pycountry


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def number(value: Any, note: str = "", digits: int = 0) -> str:
    if note:
        return note
    if is_missing(value):
        return "–"
    return f"{float(value):,.{digits}f}"


def percent(value: Any, note: str = "") -> str:
    if note:
        return note
    if is_missing(value):
        return "–"
    return f"{float(value) * 100:.1f} %"


def money(value: Any, note: str = "") -> str:
    if note:
        return note
    if is_missing(value):
        return "–"
    return f"€{float(value):,.0f}"


def by_kind(value: Any, kind: str, note: str = "") -> str:
    """Format a figure by its catalogue unit kind (count, rate, money, days, score)."""
    if kind == "rate":
        return percent(value, note)
    if kind == "money":
        return money(value, note)
    if kind == "score":
        return number(value, note, digits=2)
    if kind == "days" and not note and not is_missing(value):
        return f"{float(value):,.0f} days"
    return number(value, note)


def code_label(value: str) -> str:
    """A stored vocabulary code in words: ``food_processing`` → ``Food processing``."""
    text = str(value).replace("_", " ")
    return text[:1].upper() + text[1:]


def country_label(code: str) -> str:
    country = pycountry.countries.get(alpha_2=str(code))
    return country.name if country is not None else str(code)


def region_label(code: str) -> str:
    sub = pycountry.subdivisions.get(code=str(code))
    return sub.name if sub is not None else str(code)


# Words for codes that ``code_label`` would not spell well.
WORDS = {
    "sex": {"F": "Women", "M": "Men"},
    "vulnerability": {"none": "No vulnerability"},
    "route": {"individual": "Individual or community assistance only",
              "cooperative": "In a cooperative"},
    "horizon": {"6m": "6 months", "12m": "12 months"},
}


def dimension_label(field: str, value: Any) -> str:
    if is_missing(value) or value == "unknown":
        return "Not recorded"
    if str(value) in WORDS.get(field, {}):
        return WORDS[field][str(value)]
    if field == "country":
        return country_label(value)
    if field in ("region",):
        return region_label(value)
    if field == "host_country":
        return country_label(value)
    if field in ("period", "age_group"):
        return str(value)
    return code_label(value)
