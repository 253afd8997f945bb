"""The survey import (issue 20): a KoboToolbox or ODK Central export of the follow-up /
sustainability survey, read through the form's mapping file into the template's
``followups`` sheet and imported by the template's own pipeline (``importing.run_import``):
the same validation, all or nothing, row and column problems, scope rules and import
record; its visits are matched on the submission's stable id, so importing the same
export again changes nothing and an edited submission updates its visit.

    mapping = survey.mapping.load("followup")          # surveys/followup.yaml
    report = survey.run(url, Source.from_path("export.xlsx"), mapping, scope, username="amina")

Parts: ``mapping`` (the YAML file), ``export`` (the export read as followups rows),
``checks`` (submissions against the database), ``pull`` (ODK Central, through pyodk).
Problems name the export's own sheet, row and column (``econ/income``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from data_access.scope import Scope
from importing import ImportReport, Problem, Source, run_import
from importing.survey.checks import check
from importing.survey.export import Translation, read
from importing.survey.mapping import SURVEYS, Mapping, MappingError, load
from importing.validate import Progress

__all__ = ["Mapping", "MappingError", "forms", "load", "run"]


def forms() -> list[str]:
    """The forms with a mapping file in ``surveys/`` (``followup`` first)."""
    names = sorted(p.stem for p in SURVEYS.glob("*.yaml"))
    return sorted(names, key=lambda n: n != "followup")


def run(url: str, source: Source, mapping: Mapping, scope: Scope, *, username: str,
        dry_run: bool = False, today: dt.date | None = None,
        progress: Progress | None = None) -> ImportReport:
    """Validate the export and, when it has no problem, write its visits in one transaction."""
    found = Translation()
    report = run_import(url, source, scope, username=username, dry_run=dry_run, today=today,
                        progress=progress,
                        reader=lambda s: read(s, mapping, found), check=check(found))
    report.problems = [_relabel(q, found) for q in report.problems]
    return report


def _relabel(problem: Problem, found: Translation) -> Problem:
    """A problem in the export's own words: its sheet (or file) and its column."""
    if problem.sheet != "followups":
        return problem
    column = found.columns.get(problem.column, problem.column)
    return replace(problem, sheet=found.label, column=column)
