"""`manage.py export PATH [--format xlsx|iati|dhis2] …`: the database, or its results, as files.

- ``xlsx`` (the default): the database in the import template's format. The default
  scope is everything; ``--country`` exports as a focal point of those countries would
  see it. Importing the file into an empty database gives the same indicator values.
- ``iati``: the programme's results as an IATI 2.03 activity file (``reports.iati``),
  always built as a donor sees the figures (an IATI file is a publication), validated
  against the schema before it is written. The activity comes from ``--activity`` (default
  the ``IATI_ACTIVITY_FILE`` setting).
- ``dhis2``: indicator values as a DHIS2 ``dataValueSets`` JSON (``reports.dhis2``)
  through ``--mapping`` (default the ``DHIS2_MAPPING_FILE`` setting), per ``--period``
  (monthly, quarterly, yearly) of ``--from``–``--to``. Donor figures by default;
  ``--scope all`` sends the exact figures, for an organisation's own DHIS2. What the
  mapping cannot place is skipped with a warning on stderr (``--strict``: exit 1 instead).

Every export is written to the audit log as user ``cli:<login>``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import sys
from pathlib import Path

from data_access.programme import programme_title
from data_access.scope import Scope
from data_access.settings import Settings, load_settings
from importing.export import export
from importing.problems import indicator_codes
from metrics.filters import Filters, programme_end, programme_start

FORMATS = ("xlsx", "iati", "dhis2")
SUFFIX = {"xlsx": ".xlsx", "iati": ".xml", "dhis2": ".json"}


def register(subparsers: argparse._SubParsersAction) -> None:
    from reports.dhis2 import PERIODS

    parser = subparsers.add_parser(
        "export", help="export the database as a template .xlsx, or its results as an "
                       "IATI activity file or a DHIS2 data value set")
    parser.add_argument("path", help="where to write the file (.xlsx, .xml for iati, "
                                     ".json for dhis2)")
    parser.add_argument("--format", choices=FORMATS, default="xlsx",
                        help="xlsx (default): the import template; iati: the logframe's "
                             "results as IATI 2.03 XML; dhis2: dataValueSets JSON")
    parser.add_argument("--country", nargs="+", metavar="XX", default=None,
                        help="only these countries (xlsx: as their focal point sees them; "
                             "dhis2: only their values)")
    parser.add_argument("--from", dest="start", type=dt.date.fromisoformat,
                        default=None,
                        help="dhis2: first day, YYYY-MM-DD (default: the programme's start)")
    parser.add_argument("--to", dest="end", type=dt.date.fromisoformat,
                        default=None,
                        help="dhis2: last day, YYYY-MM-DD (default: the programme's end)")
    parser.add_argument("--period", choices=tuple(PERIODS), default="quarterly",
                        help="dhis2: DHIS2 period type of the values (default quarterly)")
    parser.add_argument("--indicator", nargs="+", metavar="CODE", default=None,
                        help="dhis2: only these indicators (default: every one mapped)")
    parser.add_argument("--mapping", type=Path, default=None,
                        help="dhis2: the mapping file (default: DHIS2_MAPPING_FILE)")
    parser.add_argument("--activity", type=Path, default=None,
                        help="iati: the activity file (default: IATI_ACTIVITY_FILE)")
    parser.add_argument("--scope", choices=("donor", "all"), default="donor",
                        help="dhis2: donor (default): the figures a donor sees, small "
                             "counts left out; all: every exact figure, for internal use")
    parser.add_argument("--strict", action="store_true",
                        help="dhis2: fail (exit 1) when a figure cannot be mapped, "
                             "instead of skipping it with a warning")
    parser.set_defaults(func=run)


def donor_scope(settings: Settings) -> Scope:
    """The scope every published figure is read in: aggregates only, the disclosure
    settings of the installation."""
    return Scope(aggregates_only=True, suppression_threshold=settings.suppression_threshold,
                 rounding_base=settings.disclosure_rounding_base)


def run(args: argparse.Namespace) -> int:
    fmt = args.format
    if not str(args.path).lower().endswith(SUFFIX[fmt]):
        print(f"error: the {fmt} export is a {SUFFIX[fmt]} file: give a PATH ending in "
              f"{SUFFIX[fmt]}", file=sys.stderr)
        return 2
    if fmt == "iati":
        return _iati(args)
    if fmt == "dhis2":
        return _dhis2(args)
    scope = Scope.for_countries(args.country) if args.country else Scope.everything()
    export(load_settings().database_url, scope, args.path, indicator_codes=indicator_codes(),
           progress=lambda sheet: print(f"exporting {sheet}…", file=sys.stderr))
    print(f"database exported to {args.path}")
    return 0


def _record(settings: Settings, kind: str, fmt: str, path: Path, filters: Filters,
            scope: Scope) -> None:
    from reports.audit import record_export

    record_export(settings.database_url, f"cli:{getpass.getuser()}", kind, fmt,
                  Path(path).name, filters, scope)


def _iati(args: argparse.Namespace) -> int:
    from data_access import db
    from reports import iati

    settings = load_settings()
    if args.country or args.scope != "donor":
        print("error: the IATI file publishes the whole programme as a donor sees it: "
              "--country and --scope do not apply", file=sys.stderr)
        return 2
    try:
        activity = iati.load_activity(args.activity or settings.iati_activity_file)
    except iati.IatiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    scope = donor_scope(settings)
    with db.session(settings.database_url, scope) as session:
        built = iati.build(session, activity, programme=programme_title("en"))
    path = Path(args.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(built.content)
    for warning in built.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    _record(settings, "iati", "xml", path, Filters(), scope)
    print(f"IATI activity file written to {path} (validated against the IATI 2.03 schema; "
          f"{built.hidden} actual(s) withheld by the disclosure rules)")
    return 0


def _dhis2(args: argparse.Namespace) -> int:
    from data_access import db
    from reports import dhis2

    settings = load_settings()
    args.start = args.start or programme_start()
    args.end = args.end or programme_end()
    if args.end < args.start:
        print("error: --to is before --from", file=sys.stderr)
        return 2
    try:
        mapping = dhis2.load_mapping(args.mapping or settings.dhis2_mapping_file)
    except dhis2.Dhis2Error as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    scope = donor_scope(settings) if args.scope == "donor" else Scope.everything()
    filters = Filters(args.start, args.end, tuple(args.country or ()),
                      dhis2.PERIODS[args.period])
    try:
        with db.session(settings.database_url, scope) as session:
            built = dhis2.build(session, mapping, filters, args.indicator, strict=args.strict)
    except dhis2.Dhis2Error as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    path = Path(args.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(built.payload, indent=2, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    for warning in built.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    _record(settings, "dhis2", "json", path, filters, scope)
    print(f"DHIS2 data value set written to {path}: {len(built.payload['dataValues'])} "
          f"value(s), {args.scope} scope, {built.hidden} withheld by the disclosure rules, "
          f"{len(built.warnings)} warning(s)")
    return 0
