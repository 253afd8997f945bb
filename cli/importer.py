"""`manage.py import PATH [--dry-run] [--user NAME] [--errors FILE] [--lang fr]`: import a
template file.

PATH is an .xlsx workbook, a .zip of CSV files, a folder of CSV files, or one CSV file
named after its sheet (see importing/reader.py). The whole file is validated
first; with any problem nothing is written, every problem is printed (sheet, row,
column, sentence) and the exit code is 1. ``--errors FILE`` also writes them to FILE
(.csv or .xlsx). ``--lang fr`` prints the problems and the summary (and writes the
problems file) in French; the default is the DEFAULT_LANGUAGE setting.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from data_access.scope import Scope
from data_access.settings import Settings, load_settings
from i18n import LANGUAGES, _, language
from importing import ImportReport, Source, run_import
from importing.problems import error_file_bytes, indicator_codes


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("import", help="validate and import a template file")
    parser.add_argument("path", help=".xlsx, .zip of CSVs, folder of CSVs, or SHEET.csv")
    parser.add_argument("--dry-run", action="store_true",
                        help="validate and count, write nothing")
    parser.add_argument("--user", default="cli", help="name recorded in the import log")
    parser.add_argument("--country", nargs="+", metavar="XX", default=None,
                        help="import as a focal point of these countries (rows of other "
                             "countries are errors); default: every country")
    parser.add_argument("--errors", metavar="FILE", help="also write the problems to FILE "
                        "(.csv or .xlsx)")
    parser.add_argument("--quiet", action="store_true", help="no progress line")
    parser.add_argument("--lang", choices=LANGUAGES, default=None,
                        help="language of the messages (default: the DEFAULT_LANGUAGE "
                             "setting)")
    parser.set_defaults(func=run)


class ProgressLine:
    """A one-line textual progress indicator on stderr: `[ 45%] reading beneficiaries…`."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.last = 0.0
        self.started = time.monotonic()

    def __call__(self, fraction: float, message: str) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self.last < 0.2 and fraction < 1):
            return
        self.last = now
        line = f"[{fraction:4.0%}] {message} ({now - self.started:.0f}s)"
        sys.stderr.write("\r" + line[:78].ljust(78))
        sys.stderr.flush()

    def end(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    with language(getattr(args, "lang", None) or settings.default_language):
        return _run(args, settings)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    scope = Scope.for_countries(args.country) if args.country else Scope.everything()
    line = ProgressLine(not args.quiet and sys.stderr.isatty() or False)
    line.enabled = not args.quiet
    report = run_import(settings.database_url, Source.from_path(Path(args.path)), scope,
                        username=args.user, dry_run=args.dry_run,
                        indicator_codes=indicator_codes(), progress=line)
    line.end()
    return print_report(report, args.errors)


def print_report(report: ImportReport, errors: str | None) -> int:
    """Print the problems (and write them to ``errors``) and the summary; the exit code."""
    if not report.ok:
        for p in report.problems:
            where = " ".join(x for x in (
                p.sheet, _("row {row}").format(row=p.row) if p.row else "",
                _("column {column}").format(column=p.column) if p.column else "") if x)
            print(_("{where}: {problem}").format(where=where or _("file"), problem=p.message),
                  file=sys.stderr)
        if report.truncated:
            print(_("… and {n} more problems").format(n=f"{report.truncated:,}"),
                  file=sys.stderr)
    if errors and report.problems:
        target = Path(errors)
        target.write_bytes(error_file_bytes(report, target.suffix.lower()))
        print(_("problems written to {file}").format(file=target), file=sys.stderr)
    print(report.summary(), file=sys.stdout if report.ok else sys.stderr)
    return 0 if report.ok else 1
