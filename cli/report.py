"""`manage.py report`: the donor report as a PowerPoint deck or an A4 PDF, without the UI.

By default the report is built as a donor sees it (aggregates only, small counts hidden:
``--scope donor``); ``--scope all`` builds the internal version with every figure. The
narratives saved on the Donor report page for that period and scope are included. The
export is written to the audit log as user ``cli:<login>``. ``--lang fr`` writes it in
French (default: the DEFAULT_LANGUAGE setting).
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys
import time
from pathlib import Path

from data_access import db, lookups
from data_access.currency import rates_used
from data_access.programme import programme as the_programme
from data_access.programme import programme_title
from data_access.scope import Scope
from data_access.settings import load_settings
from i18n import LANGUAGES, language
from metrics.filters import Filters


def register(subparsers: argparse._SubParsersAction) -> None:
    from reports.content import SECTION_KEYS

    parser = subparsers.add_parser("report", help="write the donor report as PPTX or PDF")
    parser.add_argument("--from", dest="start", type=dt.date.fromisoformat,
                        default=None,
                        help="first day, YYYY-MM-DD (default: the programme's start)")
    parser.add_argument("--to", dest="end", type=dt.date.fromisoformat,
                        default=None,
                        help="last day, YYYY-MM-DD (default: the programme's end)")
    parser.add_argument("--country", nargs="+", default=[], metavar="XX",
                        help="ISO 3166-1 alpha-2 codes (default: every country)")
    parser.add_argument("--sections", nargs="+", default=list(SECTION_KEYS),
                        choices=SECTION_KEYS, metavar="SECTION",
                        help=f"sections to include (default all): {', '.join(SECTION_KEYS)}")
    parser.add_argument("--format", choices=("pptx", "pdf"), required=True)
    parser.add_argument("--out", type=Path, required=True, help="file to write")
    parser.add_argument("--scope", choices=("donor", "all"), default="donor",
                        help="donor (default): aggregates only, small counts hidden; "
                             "all: every figure, for internal use")
    parser.add_argument("--lang", choices=LANGUAGES, default=None,
                        help="language of the report (default: the DEFAULT_LANGUAGE setting)")
    parser.set_defaults(func=run)


def build_file(url: str, scope: Scope, filters: Filters, sections: list[str], fmt: str,
               programme: str, lang: str = "en") -> bytes:
    """The report file for ``scope`` in ``lang`` (also used by tests and the benchmark)."""
    from reports import content, narratives, pdf, pptx

    with language(lang), db.session(url, scope) as session:
        key = narratives.scope_key(scope, filters)
        texts = {k: n.text for k, n in narratives.load(session, filters, sections,
                                                       key).items()}
        money = rates_used(session, filters.start, filters.end, filters.countries).note(
            lookups.reporting_currency())
        report = content.build(content.SessionSource(session), filters, sections,
                               scope=scope, programme=programme,
                               data_as_of=lookups.data_as_of(session), narratives=texts,
                               money_note=money)
        return pptx.build(report) if fmt == "pptx" else pdf.build(report)


def run(args: argparse.Namespace) -> int:
    from reports.audit import record_export

    settings = load_settings()
    args.start = args.start or the_programme().start
    args.end = args.end or the_programme().end
    if args.end < args.start:
        print("error: --to is before --from", file=sys.stderr)
        return 2
    scope = (Scope(aggregates_only=True, suppression_threshold=settings.suppression_threshold,
                   rounding_base=settings.disclosure_rounding_base)
             if args.scope == "donor" else Scope.everything())
    filters = Filters(args.start, args.end, tuple(args.country))
    began = time.perf_counter()
    data = build_file(settings.database_url, scope, filters, list(args.sections),
                      args.format, programme_title(args.lang or settings.default_language),
                      args.lang or settings.default_language)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    record_export(settings.database_url, f"cli:{getpass.getuser()}", "report", args.format,
                  args.out.name, filters, scope)
    print(f"wrote {args.out} ({len(data) / 1024:,.0f} KiB, {args.scope} scope) in "
          f"{time.perf_counter() - began:.1f} s", file=sys.stderr)
    return 0
