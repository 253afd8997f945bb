"""Numbers and labels for people, in the current language: delegates to ``i18n.formats``
(Babel: separators, %, EUR, dates) and ``i18n.vocab`` (codes, countries, regions)."""

from __future__ import annotations

from typing import Any

from i18n import formats, vocab
from i18n.formats import date, is_missing, money, month, number, percent

__all__ = ["by_kind", "code_label", "country_label", "date", "dimension_label",
           "is_missing", "money", "month", "number", "percent", "region_label"]


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
