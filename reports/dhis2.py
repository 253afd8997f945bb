"""Indicator values as a DHIS2 data value set (``dataValueSets`` JSON, issue 20).

A mapping file (YAML, ``exports/dhis2_mapping.yaml``, the ``DHIS2_MAPPING_FILE``
setting; its comments document the format) names each indicator's data element (and,
per value of one breakdown such as sex, its category option combo) and each country's,
or region's, organisation unit. ``build`` reads the indicators of the mapping for a
period range, by month, quarter or year, through ``metrics.compute`` in the session it
is given, and writes one data value per indicator, period, organisation unit and combo:

- period: DHIS2's format, ``201601`` (monthly), ``2016Q1`` (quarterly), ``2016`` (yearly);
  each value is the indicator computed for that period alone (as the dashboard's charts
  by period show it), never cumulated;
- organisation unit: the country, or — for a country with regions in the mapping and an
  indicator with a region breakdown — the region;
- value: counts and amounts (in the reporting currency) as numbers, rates as percentages
  (0–100, two decimals), as text (DHIS2 takes every value as a string). Zero counts and
  amounts are left out.

What cannot be mapped (an indicator, country, region or breakdown value without an
identifier) is skipped and listed in ``warnings``; ``strict`` turns them into an error.
Disclosure: in a donor (aggregates-only) session — the default of ``manage.py export`` —
every figure is the protected one; a hidden figure is never written (not even as an
empty value, which DHIS2 would read as a deletion) and is counted in ``hidden``.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from sqlalchemy.orm import Session

from metrics import catalogue, periods
from metrics.engine import compute
from metrics.filters import Filters, Granularity

PERIODS: dict[str, Granularity] = {"monthly": "month", "quarterly": "quarter",
                                   "yearly": "year"}


class Dhis2Error(ValueError):
    """A mapping file that cannot be used, or (strict) figures that cannot be mapped."""


@dataclass(frozen=True)
class Element:
    data_element: str
    category_option_combo: str | None = None
    breakdown: str | None = None
    combos: dict[str, str] = field(default_factory=dict)  # breakdown value -> combo


@dataclass(frozen=True)
class Mapping:
    elements: dict[str, Element]
    countries: dict[str, str]
    regions: dict[str, str]
    data_set: str | None = None
    attribute_option_combo: str | None = None


@dataclass(frozen=True)
class Built:
    payload: dict[str, Any]
    warnings: tuple[str, ...]
    hidden: int  # figures the disclosure rules hid, left out


def _ids(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) and v for v in
                                              value.values()):
        raise Dhis2Error(f"{where}: expected a mapping of codes to identifiers")
    return {str(k).upper() if where.endswith(("countries", "regions")) else str(k): v
            for k, v in value.items()}


def load_mapping(path: Path) -> Mapping:
    """The mapping file, checked: every indicator code known, every id a text."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise Dhis2Error(f"cannot read the DHIS2 mapping {path}: "
                         f"{type(exc).__name__}") from None
    if not isinstance(data, dict) or not isinstance(data.get("data_elements"), dict):
        raise Dhis2Error(f"{path}: expected data_elements (indicator code -> data element)")
    elements: dict[str, Element] = {}
    for code, entry in data["data_elements"].items():
        code = str(code).upper()
        if code not in catalogue.BY_CODE:
            raise Dhis2Error(f"{path}: unknown indicator {code}")
        if isinstance(entry, str):
            entry = {"data_element": entry}
        if not isinstance(entry, dict) or not entry.get("data_element"):
            raise Dhis2Error(f"{path}: {code} needs a data_element")
        breakdown = entry.get("breakdown")
        if breakdown is not None and breakdown not in catalogue.get(code).breakdowns:
            raise Dhis2Error(f"{path}: {code} has no breakdown {breakdown}")
        if breakdown in ("country", "region", "period"):
            raise Dhis2Error(f"{path}: {code}: {breakdown} is given by org_units/periods, "
                             "not as a category")
        elements[code] = Element(str(entry["data_element"]),
                                 entry.get("category_option_combo"), breakdown,
                                 _ids(entry.get("category_option_combos"),
                                      f"{path}: {code} category_option_combos"))
    units = data.get("org_units") or {}
    if not isinstance(units, dict):
        raise Dhis2Error(f"{path}: org_units: expected countries and regions")
    return Mapping(elements, _ids(units.get("countries"), f"{path}: countries"),
                   _ids(units.get("regions"), f"{path}: regions"),
                   data.get("data_set"), data.get("attribute_option_combo"))


def dhis2_period(label: str, granularity: Granularity) -> str:
    """A period label of ``metrics`` (2016-01, 2016Q1, 2016) in DHIS2's format."""
    return label.replace("-", "") if granularity == "month" else label


def _value(value: float, kind: str) -> str | None:
    """The value as DHIS2 text; None for a zero count or amount (left out)."""
    if kind == "rate":
        return f"{value * 100:.2f}".rstrip("0").rstrip(".")
    if kind in ("count", "money") and value == 0:
        return None
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.4f}".rstrip("0").rstrip(".")


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def build(session: Session, mapping: Mapping, filters: Filters,
          codes: list[str] | None = None, *, strict: bool = False) -> Built:
    """The data value set of ``codes`` (default: every indicator of the mapping) for
    ``filters`` (its granularity is the DHIS2 period type)."""
    if filters.granularity == "quarter" and periods.reporting_periods("quarter"):
        raise Dhis2Error("DHIS2's quarterly periods are calendar quarters (2016Q1), but this "
                         "programme's quarters are its own reporting periods (its programme "
                         "file): export by month or by year")
    warnings: Counter[str] = Counter()
    wanted = [c.upper() for c in codes] if codes else list(mapping.elements)
    values: list[dict[str, str]] = []
    hidden = 0
    for code in wanted:
        if code not in catalogue.BY_CODE:
            raise Dhis2Error(f"unknown indicator {code}")
        element = mapping.elements.get(code)
        if element is None:
            warnings[f"{code}: no data element in the mapping; skipped"] += 1
            continue
        spec = catalogue.get(code)
        by_region = "region" in spec.breakdowns
        extra = (element.breakdown,) if element.breakdown else ()
        frames = [compute(code, session, filters, ("country",) + extra + ("period",))]
        regional = {r.split("-")[0] for r in mapping.regions} if by_region else set()
        if regional:
            frames.append(compute(code, session, filters,
                                  ("country", "region") + extra + ("period",)))
        for level, frame in enumerate(frames):
            for _index, row in frame.iterrows():
                country = str(row["country"])
                if (country in regional) != (level == 1):
                    continue  # each country at one level only: no double counting
                raw = row["value"]
                if not _present(raw):
                    if str(row.get("value_note") or ""):
                        hidden += 1
                    continue
                text = _value(float(raw), spec.kind)
                if text is None:
                    continue
                if level == 1:
                    region = row["region"]
                    unit = mapping.regions.get(str(region)) if _present(region) else None
                    if unit is None:
                        if _present(region) and str(region) not in ("unknown", "none", ""):
                            message = (f"{code}: region {region} ({country}) has no org "
                                       "unit in the mapping; value skipped")
                        else:
                            message = (f"{code}: {country} figures of records with no "
                                       "region have no org unit; value skipped")
                        warnings[message] += 1
                        continue
                else:
                    unit = mapping.countries.get(country)
                    if unit is None:
                        warnings[f"{code}: country {country} has no org unit in the "
                                 "mapping; value skipped"] += 1
                        continue
                combo = element.category_option_combo
                if element.breakdown:
                    combo = element.combos.get(str(row[element.breakdown]))
                    if combo is None:
                        warnings[f"{code}: {element.breakdown} "
                                 f"{row[element.breakdown]} has no category option combo "
                                 "in the mapping; value skipped"] += 1
                        continue
                item = {"dataElement": element.data_element,
                        "period": dhis2_period(str(row["period"]), filters.granularity),
                        "orgUnit": unit}
                if combo:
                    item["categoryOptionCombo"] = combo
                if mapping.attribute_option_combo:
                    item["attributeOptionCombo"] = mapping.attribute_option_combo
                item["value"] = text
                values.append(item)
    listed = tuple(f"{message} ({count}×)" if count > 1 else message
                   for message, count in sorted(warnings.items()))
    if strict and listed:
        raise Dhis2Error("figures that the mapping cannot place (--strict): "
                         + "; ".join(listed))
    payload: dict[str, Any] = {}
    if mapping.data_set:
        payload["dataSet"] = mapping.data_set
    payload["dataValues"] = sorted(values, key=lambda v: (
        v["dataElement"], v["period"], v["orgUnit"], v.get("categoryOptionCombo", "")))
    return Built(payload, listed, hidden)


def frame_of(payload: dict[str, Any]) -> pd.DataFrame:
    """The data values as a table (for reading a set in tests and on screen)."""
    return pd.DataFrame(payload.get("dataValues", []))
