"""`manage.py rates import FILE [--dry-run] [--user NAME] [--errors FILE] [--lang fr]`:
import monthly exchange rates from a CSV (issue 20).

FILE is a CSV with the columns of the template's ``exchange_rates`` sheet (``currency``,
``month``, ``rate``, ``source``; French ``devise``, ``mois``, ``taux``, ``source``),
whatever its name: ``rate`` is units of the currency for one unit of the reporting
currency (InforEuro: 1 EUR = 10.8473 MAD → 10.8473). It goes through the import like the
sheet itself: validated whole, written in one transaction or not at all, recorded in the
import log; a corrected rate converts again every grant of its currency and month, and
the figures are refreshed with it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli.importer import print_report
from data_access.scope import Scope
from data_access.settings import load_settings
from i18n import LANGUAGES, _, language
from importing import Source, run_import
from importing.problems import indicator_codes


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("rates", help="exchange rates: import a CSV of monthly rates")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    imp = actions.add_parser("import", help="import a CSV of monthly rates (currency, month, "
                                            "rate, source)")
    imp.add_argument("path", help="CSV file")
    imp.add_argument("--dry-run", action="store_true", help="validate and count, write nothing")
    imp.add_argument("--user", default="cli", help="name recorded in the import log")
    imp.add_argument("--errors", metavar="FILE", help="also write the problems to FILE "
                     "(.csv or .xlsx)")
    imp.add_argument("--lang", choices=LANGUAGES, default=None,
                     help="language of the messages (default: the DEFAULT_LANGUAGE setting)")
    imp.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    with language(args.lang or settings.default_language):
        path = Path(args.path)
        if path.suffix.lower() != ".csv" or not path.is_file():
            print(_("{file}: a rates file is a CSV file").format(file=path), file=sys.stderr)
            return 1
        # Read as the template's exchange_rates sheet, whatever the file's own name.
        source = Source("exchange_rates.csv", data=path.read_bytes())
        report = run_import(settings.database_url, source, Scope.everything(),
                            username=args.user, dry_run=args.dry_run,
                            indicator_codes=indicator_codes())
        report.file_name = path.name
        return print_report(report, args.errors)
