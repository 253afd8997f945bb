"""`manage.py export PATH [--country XX …]`: the database in the import template's format.

The default scope is everything; ``--country`` exports as a focal point of those
countries would see it. Importing the file into an empty database gives the same
indicator values.
"""

from __future__ import annotations

import argparse
import sys

from data_access.scope import Scope
from data_access.settings import load_settings
from importing.export import export
from importing.problems import indicator_codes


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("export", help="export the database as a template .xlsx")
    parser.add_argument("path", help="where to write the .xlsx file")
    parser.add_argument("--country", nargs="+", metavar="XX", default=None,
                        help="only these countries (as their focal point sees them)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not str(args.path).lower().endswith(".xlsx"):
        print("error: the export is an .xlsx workbook: give a PATH ending in .xlsx",
              file=sys.stderr)
        return 2
    scope = Scope.for_countries(args.country) if args.country else Scope.everything()
    export(load_settings().database_url, scope, args.path, indicator_codes=indicator_codes(),
           progress=lambda sheet: print(f"exporting {sheet}…", file=sys.stderr))
    print(f"database exported to {args.path}")
    return 0
