"""Numbers and labels for people, in the current language: delegates to ``i18n.formats``
(Babel: separators, %, the reporting currency, dates) and ``i18n.vocab`` (codes, countries,
regions). Money is always in the programme's reporting currency
(``data_access.lookups.reporting_currency``): ``money`` here, ``money_label`` for a heading."""

from __future__ import annotations

from typing import Any

from data_access.lookups import money_label, reporting_currency
from i18n import formats, vocab
from i18n.formats import date, is_missing, month, number, percent

__all__ = ["by_kind", "code_label", "country_label", "date", "dimension_label",
           "is_missing", "money", "money_label", "month", "number", "percent",
           "region_label", "vega_locale"]


def money(value: Any, note: str = "", digits: int = 0) -> str:
    """An amount in the reporting currency, in the current language (``$1,234`` for USD)."""
    return formats.money(value, note, digits, currency=reporting_currency())


def vega_locale() -> dict[str, Any]:
    """Vega-Lite's locale for the current language and the reporting currency."""
    return formats.vega_locale(reporting_currency())


def by_kind(value: Any, kind: str, note: str = "") -> str:
    """Format a figure by its catalogue unit kind (count, rate, money, days, score)."""
    if kind == "rate":
        return percent(value, note)
    if kind == "money":
        return money(value, note)
    if kind == "score":
        return number(value, note, digits=2)
    if kind == "days":
        return formats.days(value, note)
    return number(value, note)


code_label = vocab.code_label
country_label = vocab.country_name
region_label = vocab.region_name
dimension_label = vocab.label
