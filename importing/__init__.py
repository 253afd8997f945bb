"""Import of the field offices' spreadsheets (issue 5): validate everything, then write
everything in one transaction, or nothing.

    report = run_import(url, Source.from_path("march.xlsx"), scope, username="amina")
    report.ok, report.problems, report.counts

``run_import`` validates the whole file (``validate``), and only when it has no problem
at all applies it (``apply``) in ONE transaction together with the ``ImportRun`` record
and the ``analytics.hooks`` hooks (``before_import`` before the first write,
``after_import`` after the last: the analytics tables are refreshed incrementally, for the
beneficiaries the file touches, or rebuilt in full). A dry run does the same work and rolls
it back, so its counts are exact. Every run, rejected or dry, is recorded in ``import_run``
(rejected and dry runs in a transaction of their own, which writes nothing else).
See importing/reader.py for the accepted files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

import metrics  # noqa: F401 - declares the cubes the import refreshes
from analytics import hooks as refresh
from data_access import db
from data_access import scope as scope_module
from data_access.models import ImportRun
from data_access.scope import Scope
from i18n import _
from importing.apply import Counts, apply, touched
from importing.limits import REFUSED, unreadable
from importing.parsed import Problem
from importing.reader import Source
from importing.schema import SHEET_NAMES
from importing.validate import ExtraCheck, Progress, SheetReader, validate

__all__ = ["ImportReport", "Problem", "Source", "run_import", "problems_frame_rows"]


@dataclass
class ImportReport:
    file_name: str
    sha256: str
    dry_run: bool
    ok: bool
    problems: list[Problem] = field(default_factory=list)
    counts: Counts = field(default_factory=dict)
    truncated: int = 0  # problems beyond the ones listed
    notes: list[str] = field(default_factory=list)  # how the file was read (encodings)

    def summary(self) -> str:
        """One sentence on the outcome (and how the file was read), in the current
        language."""
        return " ".join([self._outcome(), *self.notes])

    def _outcome(self) -> str:
        if not self.ok:
            if self.truncated:
                return _("{file}: {n} problem(s) (and {more} more); nothing was imported"
                         ).format(file=self.file_name, n=f"{len(self.problems):,}",
                                  more=f"{self.truncated:,}")
            return _("{file}: {n} problem(s); nothing was imported").format(
                file=self.file_name, n=f"{len(self.problems):,}")
        parts = []
        for sheet, c in self.counts.items():
            if any(c.values()):
                parts.append(_("{sheet}: {new} new, {updated} updated, {unchanged} unchanged")
                             .format(sheet=sheet, new=f"{c['inserted']:,}",
                                     updated=f"{c['updated']:,}",
                                     unchanged=f"{c['unchanged']:,}"))
        rows = "; ".join(parts) or _("no rows")
        if self.dry_run:
            return _("{file} would be imported (dry run, nothing written). {rows}").format(
                file=self.file_name, rows=rows)
        return _("{file} imported. {rows}").format(file=self.file_name, rows=rows)


def problems_frame_rows(problems: list[Problem]) -> list[dict[str, Any]]:  # Any: cell values
    return [p.as_dict() for p in problems]


def file_sha256(source: Source) -> str:
    digest = hashlib.sha256()
    if source.path is not None and source.path.is_dir():
        for path in sorted(source.path.iterdir()):
            if path.is_file():
                digest.update(path.name.encode())
                digest.update(path.read_bytes())
        return digest.hexdigest()
    if source.path is not None and not source.path.exists():
        return ""
    with source.open_bytes() as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _record(sess: Session, report: ImportReport, username: str) -> None:
    # Any: stored as JSON (per-sheet counts, and a number).
    counts: dict[str, Any] = {"sheets": report.counts, "problems": len(report.problems)
                              + report.truncated}
    sess.execute(insert(ImportRun.__table__).values(
        username=username[:100], file_name=report.file_name[:300], file_sha256=report.sha256,
        dry_run=report.dry_run, succeeded=report.ok and not report.dry_run, counts=counts))


def _open(url: str) -> Session:
    sess = Session(db.get_engine(url))
    # The import enforces the importer's scope itself (rows outside it are errors) and
    # needs to see every row to match keys; it writes through an unrestricted session.
    sess.info["scope"] = Scope.everything()
    scope_module.install(sess)
    return sess


def run_import(url: str, source: Source, scope: Scope, *, username: str,
               dry_run: bool = False, today: dt.date | None = None,
               indicator_codes: Collection[str] | None = None,
               progress: Progress | None = None, reader: SheetReader | None = None,
               check: ExtraCheck | None = None) -> ImportReport:
    """Validate ``source`` and, when it has no problem, apply it in one transaction.
    ``reader`` and ``check``: another file format read into the template's sheets, and
    its own checks (``importing.validate``; the survey import, ``importing.survey``)."""
    report_progress = progress or (lambda _f, _m: None)
    try:
        sha = file_sha256(source)
    except OSError as exc:
        sha = ""
        report = ImportReport(source.name, sha, dry_run, False,
                              [Problem("", None, "", _("{file}: cannot be read ({detail})")
                                       .format(file=source.name,
                                               detail=exc.strerror or exc))])
        with _open(url) as sess:  # recorded like every other import
            _record(sess, report, username)
            sess.commit()
        return report
    sess = _open(url)
    try:
        try:
            conn = sess.connection()
            validated = validate(source, conn, scope, today=today,
                                 indicator_codes=indicator_codes, progress=report_progress,
                                 reader=reader, check=check)
            report = ImportReport(source.name, sha, dry_run, validated.ok,
                                  validated.problems, truncated=validated.truncated,
                                  notes=validated.notes)
            if not validated.ok:
                rejected = validated.rejected_counts()
                report.counts = {n: {"inserted": 0, "updated": 0, "unchanged": 0,
                                     "rejected": rejected.get(n, 0)} for n in SHEET_NAMES}
                sess.rollback()
                _record(sess, report, username)
                sess.commit()
                return report
            # Incremental refresh: the touched beneficiaries' cells before the writes.
            pending = None if dry_run else refresh.before_import(
                sess, touched(conn, validated))
            report.counts = apply(conn, validated, report_progress)
            if dry_run:
                sess.rollback()
                _record(sess, report, username)
                sess.commit()
            else:
                report_progress(0.99, _("refreshing figures"))
                refresh.after_import(sess, pending)
                _record(sess, report, username)
                sess.commit()
            report_progress(1.0, _("done"))
            return report
        except (OperationalError, DBAPIError) as exc:
            sess.rollback()
            if isinstance(exc, OperationalError) or exc.connection_invalidated:
                raise db.DatabaseUnavailable(db.describe_unavailable(url, exc)) from exc
            detail = str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__
            return ImportReport(source.name, sha, dry_run, False,
                                [Problem("", None, "", _("the database refused the import, "
                                                         "nothing was written ({detail})")
                                         .format(detail=detail))])
        except REFUSED as exc:
            # validate reads the whole file, so this is a last line of defence (a sheet
            # read again while applying): refused in one line and recorded, like any other.
            sess.rollback()
            report = ImportReport(source.name, sha, dry_run, False,
                                  [Problem("", None, "", str(unreadable(source.name, exc)))])
            _record(sess, report, username)
            sess.commit()
            return report
    finally:
        sess.close()
