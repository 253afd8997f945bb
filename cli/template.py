"""`manage.py template PATH`: write the empty import template (.xlsx)."""

from __future__ import annotations

import argparse

from importing.problems import indicator_codes
from importing.template import write_workbook


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("template", help="write the empty import template (.xlsx)")
    parser.add_argument("path", help="where to write the .xlsx file")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    write_workbook(args.path, indicator_codes=indicator_codes())
    print(f"import template written to {args.path}")
    return 0
