"""`manage.py indicators`: indicator values for a period, as JSON or CSV.

This output is a contract: pages, exports and this command compute every figure with the
same ``metrics.compute``. Rates are fractions, money is in the reporting currency, which
``ASS-2.currency`` names, and ``ASS-2.rates`` says at which rates grants paid in a local
currency were converted (issue 20). Without ``--by``, JSON is one object
``{"BEN-2": 412, "ASS-2": 123456.0, "ASS-2.mean": 1234.5, "ASS-2.currency": "EUR", …}``
with every registered indicator; with ``--by``, a list of objects, one per group value,
with the indicators that have that breakdown. Suppressed figures (donor scope) print as
null.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
from typing import Any, overload

from sqlalchemy.orm import Session

from data_access import db
from data_access.currency import rates_used
from data_access.lookups import reporting_currency
from data_access.programme import programme as the_programme
from data_access.scope import Scope
from data_access.settings import load_settings
from data_access.spreadsheet import write_csv
from metrics import catalogue, compute
from metrics.filters import Filters, Granularity

PERIODS: tuple[Granularity, ...] = ("quarter", "month", "year")
# Every breakdown some indicator has, plus the period granularities (by period).
BY_CHOICES = tuple(dict.fromkeys(
    d for spec in catalogue.CATALOGUE for d in spec.breakdowns if d != "period")) + PERIODS


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("indicators", help="print indicator values for a period")
    parser.add_argument("--from", dest="start", type=dt.date.fromisoformat,
                        default=None,
                        help="first day, YYYY-MM-DD (default: the programme's start)")
    parser.add_argument("--to", dest="end", type=dt.date.fromisoformat,
                        default=None,
                        help="last day, YYYY-MM-DD (default: the programme's end)")
    parser.add_argument("--country", nargs="+", default=[], metavar="XX",
                        help="ISO 3166-1 alpha-2 codes")
    parser.add_argument("--by", choices=BY_CHOICES,
                        help="one breakdown; indicators without it are left out")
    parser.add_argument("--indicator", nargs="+", default=None, metavar="CODE",
                        help="only these indicator codes")
    parser.add_argument("--format", choices=("json", "csv"), default="json")
    parser.set_defaults(func=run)


# Any: figures come as numpy or pandas scalars and go out as plain JSON values.
def _clean(value: Any) -> Any:
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return int(value) if value.is_integer() else round(value, 6)
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


def computable(codes: list[str] | None) -> list[catalogue.Indicator]:
    from metrics.engine import REGISTRY

    wanted = [catalogue.get(c) for c in codes] if codes else list(catalogue.CATALOGUE)
    return [spec for spec in wanted if spec.code in REGISTRY]


# Any (collect): each figure's plain JSON value (a number, text or null).
@overload
def collect(session: Session, filters: Filters, by: None,
            codes: list[str] | None = None) -> dict[str, Any]: ...
@overload
def collect(session: Session, filters: Filters, by: str,
            codes: list[str] | None = None) -> list[dict[str, Any]]: ...
@overload
def collect(session: Session, filters: Filters, by: str | None,
            codes: list[str] | None = None) -> list[dict[str, Any]] | dict[str, Any]: ...


def collect(session: Session, filters: Filters, by: str | None,
            codes: list[str] | None = None) -> list[dict[str, Any]] | dict[str, Any]:
    """The figures `indicators` prints, as plain Python values (also used by tests)."""
    granularity = next((period for period in PERIODS if period == by), None)
    dim: str | None
    if granularity is not None:
        filters = Filters(filters.start, filters.end, filters.countries, granularity)
        dim = "period"
    else:
        dim = by
    if dim is None:
        flat: dict[str, Any] = {}
        for spec in computable(codes):
            row = compute(spec.code, session, filters).iloc[0]
            flat[spec.code] = _clean(row["value"])
            for measure in spec.measures:
                if measure in row.index:
                    flat[f"{spec.code}.{measure}"] = _clean(row[measure])
        return flat
    assert by is not None  # dim is not None here, so neither is by
    groups: dict[str, dict[str, Any]] = {}
    for spec in computable(codes):
        if dim not in spec.breakdowns:
            continue
        for _, row in compute(spec.code, session, filters, (dim,)).iterrows():
            key = str(row[dim])
            group = groups.setdefault(key, {by: key})
            group[spec.code] = _clean(row["value"])
            for measure in spec.measures:
                if measure in row.index:
                    group[f"{spec.code}.{measure}"] = _clean(row[measure])
    return [groups[k] for k in sorted(groups)]


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    args.start = args.start or the_programme().start
    args.end = args.end or the_programme().end
    filters = Filters(args.start, args.end, tuple(args.country))
    with db.session(settings.database_url, Scope.everything()) as session:
        result = collect(session, filters, args.by, args.indicator)
        money = {"ASS-2.currency": reporting_currency(),
                 "ASS-2.rates": rates_used(session, filters.start, filters.end,
                                           filters.countries).note(reporting_currency())}
    for row in [result] if isinstance(result, dict) else result:
        if "ASS-2" in row:
            row.update(money)
    if args.format == "json":
        json.dump(result, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    rows = [result] if isinstance(result, dict) else result
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    write_csv(sys.stdout, columns, ([row.get(c) for c in columns] for row in rows))
    return 0
