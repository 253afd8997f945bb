"""`manage.py import-survey FILE --form followup [--dry-run] [--user NAME] [--country XX …]
[--errors FILE] [--lang fr]`: import a KoboToolbox or ODK Central export of a survey.

FILE is the export (.xlsx or .csv as KoboToolbox or ODK Central download it, or ODK
Central's .zip); ``--form`` names the mapping (``surveys/<form>.yaml``) or gives a mapping
file's path. The export is checked whole, exactly like a template file (``manage.py
import``): with any problem nothing is written, every problem is printed (sheet, row,
column, sentence) and the exit code is 1. Submissions are matched on their stable id, so
importing the same export twice changes nothing and an edited submission updates its visit.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from data_access.scope import Scope
from data_access.settings import Settings, load_settings
from i18n import LANGUAGES, _, language
from importing import Source, survey


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("import-survey", help="validate and import a KoboToolbox "
                                   "or ODK Central survey export")
    parser.add_argument("path", nargs="?", help="the export: .xlsx or .csv (or ODK Central's "
                        ".zip); not with --pull")
    parser.add_argument("--form", default="followup",
                        help="the form's mapping: a name in surveys/ (default: followup) or "
                             "a mapping file's path")
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
    parser.add_argument("--pull", metavar="URL", help="pull the submissions from this ODK "
                        "Central server instead of reading a file")
    parser.add_argument("--project", type=int, default=1, help="--pull: the project's number")
    parser.add_argument("--xml-form-id", help="--pull: the form's id on the server")
    parser.add_argument("--email", help="--pull: the server account's e-mail (password: "
                        "ODK_CENTRAL_PASSWORD, or asked)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    with language(args.lang or settings.default_language):
        return _run(args, settings)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from cli.importer import ProgressLine, print_report

    try:
        mapping = survey.load(args.form)
    except survey.MappingError as exc:
        print(_("error: {problem}").format(problem=exc), file=sys.stderr)
        return 2
    scope = Scope.for_countries(args.country) if args.country else Scope.everything()
    if (args.pull is None) == (args.path is None):
        print(_("error: give the export FILE, or --pull URL (not both)"), file=sys.stderr)
        return 2
    if args.pull is not None:
        from importing.sources import FileProblem
        from importing.survey.pull import pull

        if not args.xml_form_id or not args.email:
            print(_("error: --pull needs --xml-form-id and --email"), file=sys.stderr)
            return 2
        password = os.environ.get("ODK_CENTRAL_PASSWORD") or getpass.getpass()
        try:
            source = pull(args.pull, args.project, args.xml_form_id, args.email, password)
        except FileProblem as exc:
            print(_("error: {problem}").format(problem=exc), file=sys.stderr)
            return 1
    else:
        source = Source.from_path(Path(args.path))
    line = ProgressLine(not args.quiet)
    report = survey.run(settings.database_url, source, mapping, scope, username=args.user,
                        dry_run=args.dry_run, progress=line)
    line.end()
    return print_report(report, args.errors)

