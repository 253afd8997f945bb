"""A KoboToolbox or ODK Central export of a survey, read into the template's ``followups``
sheet through the form's mapping (``importing.survey.mapping``).

Accepted: an ``.xlsx`` export (the mapping's ``sheet``, else the first sheet: repeat groups
are on the other sheets and are not read), a ``.csv`` export (comma or semicolon, UTF-8
or Windows-1252, as ``importing.reader`` reads any CSV), or a ``.zip`` holding the CSV
(ODK Central's "all data" download: the CSV named after the form, else the only one).
Header cells are the questions' XML names with their groups, joined by ``/`` (Kobo), ``-``
(ODK Central) or ``.``, or without groups. The file is measured against the import limits
(``importing.limits``) before it is unpacked, like every import file.

Each submission becomes one followups row with the export's own row number; what cannot
be worked out of it (a missing submission id, a Likert answer off its scale) is a
``SurveyProblem``, reported by ``importing.survey.checks`` with the file's own column.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from i18n import _
from importing import limits
from importing import parsers as p
from importing.reader import _csv_sheet
from importing.schema import BY_NAME, Column, Sheet
from importing.sources import FileProblem, Formula, RawSheet, Source
from importing.survey.mapping import Item, Mapping, Score

# The followups sheet with the submission's ids: matched on them (importing.writers).
SUBMISSION = Column("submission_uuid", None, "text", "The submission's stable id", False,
                    None, 64)
REPLACES = Column("replaces_uuid", None, "text", "The id an edited submission replaces",
                  False, None, 64)
_FOLLOWUPS = BY_NAME["followups"]
SURVEY_SHEET = Sheet("followups", (*_FOLLOWUPS.columns, SUBMISSION, REPLACES),
                     _FOLLOWUPS.key, _FOLLOWUPS.description)
_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ]\d{2}:\d{2}")


@dataclass(frozen=True)
class SurveyProblem:
    row: int | None
    column: str  # the export's column header (or the mapping's question)
    message: str


@dataclass
class Translation:
    """What reading the export found: where it is (sheet), the export's column of each
    template column (for the problems), and its own problems."""

    label: str = ""
    columns: dict[str, str] = field(default_factory=dict)  # template column → export header
    problems: list[SurveyProblem] = field(default_factory=list)
    submissions: int = 0


def candidates(path: str) -> list[str]:
    """The headers a question's path may have in an export, in order of preference."""
    parts = [x for x in path.split("/") if x]
    names = ["/".join(parts), "-".join(parts), ".".join(parts)]
    if len(parts) > 1:
        names.append(parts[-1])  # exported without group names
    return list(dict.fromkeys(names))


def find_column(header: list[str], path: str) -> int | None:
    folded = {h.strip().lower(): i for i, h in reversed(list(enumerate(header)))}
    for name in candidates(path):
        if name.lower() in folded:
            return folded[name.lower()]
    return None


def _raw_rows(source: Source, mapping: Mapping) -> tuple[RawSheet, str]:
    """The submissions' sheet of the export, as read, and its label for the problems."""
    bounds = limits.Limits.current()
    suffix = PurePosixPath(source.name.lower()).suffix
    if source.size() == 0:
        raise FileProblem(_("{file}: the file is empty").format(file=source.name))
    if suffix in (".xlsx", ".xlsm"):
        limits.check_container(source, "xlsx", bounds)
        from importing.reader import _guarded, open_workbook

        wb = open_workbook(source, _("{file}: the workbook cannot be read ({detail}); "
                                     "download the export again"))
        if not wb.sheets:
            raise FileProblem(_("{file}: the workbook has no sheet").format(file=source.name))
        titles = list(wb.sheets)  # in the workbook's order
        title = next((t for t in titles if mapping.sheet
                      and t.strip().lower() == mapping.sheet.lower()), titles[0])
        rows = _guarded(wb.rows(title, Formula), source.name)
        header = next(rows, (1, ()))[1]
        raw = RawSheet(title, list(header), rows, wb.row_count(title))
        return limits.bounded(raw, source.name, bounds), title
    if suffix == ".csv":
        limits.check_container(source, "csv", bounds)
        return limits.bounded(_csv_sheet("survey", source.read_bytes(), source.name),
                              source.name, bounds), source.name
    if suffix == ".zip":
        limits.check_container(source, "zip", bounds)
        try:
            archive = zipfile.ZipFile(source.open_bytes())
        except zipfile.BadZipFile:
            raise FileProblem(_("{file}: not a readable .zip archive").format(
                file=source.name)) from None
        members = [i for i in archive.infolist() if not i.is_dir()
                   and i.filename.lower().endswith(".csv") and "__MACOSX" not in i.filename]
        named = [i for i in members if PurePosixPath(i.filename).stem.lower()
                 == mapping.form.lower()]
        chosen = named or (members if len(members) == 1 else [])
        if not chosen:
            raise FileProblem(_("{file}: the archive should hold the export's CSV, named "
                                "{form}.csv (or one CSV only)").format(file=source.name,
                                                                       form=mapping.form))
        name = f"{source.name}/{PurePosixPath(chosen[0].filename).name}"
        return limits.bounded(_csv_sheet("survey", archive.read(chosen[0]), name),
                              source.name, bounds), name
    raise FileProblem(_("{file}: not a survey export (expected the .xlsx or .csv that "
                        "KoboToolbox or ODK Central exports, or ODK Central's .zip)").format(
                            file=source.name))


def _uuid(value: Any) -> str | None:
    if p.is_blank(value):
        return None
    text = p.text(value)
    return text[5:] if text.lower().startswith("uuid:") else text


def read(source: Source, mapping: Mapping, found: Translation
         ) -> tuple[list[RawSheet], list[str]]:
    """The export as the template's followups sheet (a ``validate`` reader); the other
    template sheets are simply absent (nothing of theirs is written)."""
    raw, label = _raw_rows(source, mapping)
    found.label = label
    header = ["" if p.is_blank(h) else p.text(h) for h in raw.header]

    def locate(path: str) -> int | None:
        return find_column(header, path)

    problems = found.problems
    plain: dict[str, int] = {}
    for name, path in mapping.fields.items():
        index = locate(path)
        if index is None:
            if name in ("case_number", "visit_date"):
                problems.append(SurveyProblem(1, path, _(
                    "the export has no column for the question {question} ({column}); is it "
                    "the export of the form {form}?").format(question=path, column=name,
                                                             form=mapping.form)))
            continue  # an optional question the export lacks: the column stays as it is
        plain[name] = index
        found.columns[name] = header[index]
    ids = [i for i in (locate(c) for c in mapping.id_columns) if i is not None]
    replaces = [i for i in (locate(c) for c in mapping.replaces_columns) if i is not None]
    if not ids:
        problems.append(SurveyProblem(1, mapping.id_columns[0], _(
            "the export has no submission id column ({names}): export it with its metadata "
            "columns").format(names=", ".join(mapping.id_columns))))
    else:
        found.columns["submission_uuid"] = header[ids[0]]
    scores: dict[str, tuple[Score, list[tuple[Item, int]] | int]] = {}
    for name, score in mapping.scores.items():
        if score.question:
            index = locate(score.question)
            if index is None:
                problems.append(SurveyProblem(1, score.question, _(
                    "the export has no column for the question {question} ({column})"
                ).format(question=score.question, column=name)))
                continue
            scores[name] = (score, index)
            found.columns[name] = header[index]
            continue
        located: list[tuple[Item, int]] = []
        for item in score.items:
            index = locate(item.question)
            if index is None:
                problems.append(SurveyProblem(1, item.question, _(
                    "the export has no column for the question {question} (part of {column})"
                ).format(question=item.question, column=name)))
            else:
                located.append((item, index))
        if len(located) == len(score.items):
            scores[name] = (score, located)
            found.columns[name] = ", ".join(header[i] for _item, i in located)
    columns = [*plain, *scores, "submission_uuid", "replaces_uuid"]

    unusable = any(q.row == 1 for q in problems)  # the header's problems say why, once

    def rows() -> Iterator[tuple[int, tuple[Any, ...]]]:
        for number, cells in raw.rows:
            if unusable:
                continue  # read through (the limits), nothing parsed
            if all(p.is_blank(c) for c in cells):
                continue
            found.submissions += 1

            def cell(index: int, cells: tuple[Any, ...] = cells) -> Any:
                return cells[index] if index < len(cells) else None

            values: list[Any] = []
            for name, index in plain.items():
                value = cell(index)
                if name == "visit_date" and isinstance(value, str):
                    match = _DATETIME.match(value.strip())
                    value = match.group(1) if match else value
                values.append(value)
            for score, where in scores.values():
                if isinstance(where, int):
                    values.append(cell(where))
                else:
                    values.append(_computed(score, where, cell, number, header, problems))
            uuid = next((u for u in (_uuid(cell(i)) for i in ids) if u), None)
            if uuid is None and ids:
                problems.append(SurveyProblem(number, header[ids[0]], _(
                    "the submission has no id (the {column} cell is empty)").format(
                        column=header[ids[0]])))
            values.append(uuid)
            values.append(next((u for u in (_uuid(cell(i)) for i in replaces) if u), None))
            yield number, tuple(values)

    return [RawSheet("followups", columns, rows(), raw.size_hint, raw.note,
                     sheet=SURVEY_SHEET)], []


def _computed(score: Score, located: list[tuple[Item, int]], cell: Any, number: int,
              header: list[str], problems: list[SurveyProblem]) -> float | None:
    """The mean of the score's answers, each on 0-1; None when too few are answered or
    one is wrong (a problem says which)."""
    low, high = score.scale
    parts: list[float] = []
    wrong = False
    for item, index in located:
        value = cell(index)
        if item.share:  # select_multiple: names, space-separated; blank: none ticked
            chosen = set() if p.is_blank(value) else set(p.text(value).split())
            parts.append(len(chosen & set(item.of)) / len(item.of))
            continue
        if p.is_blank(value):
            continue
        try:
            number_value = p.parse_float(value)
        except ValueError:
            problems.append(SurveyProblem(number, header[index], _(
                "{value} is not an answer of the scale {low} to {high}").format(
                    value=repr(p.text(value)), low=f"{low:g}", high=f"{high:g}")))
            wrong = True
            continue
        if not low <= number_value <= high:
            problems.append(SurveyProblem(number, header[index], _(
                "{value} is outside the scale {low} to {high}").format(
                    value=p.text(value), low=f"{low:g}", high=f"{high:g}")))
            wrong = True
            continue
        share = (number_value - low) / (high - low)
        parts.append(1 - share if item.reverse else share)
    needed = score.min_answers or len(located)
    if wrong or len(parts) < needed:
        return None
    return sum(parts) / len(parts)
