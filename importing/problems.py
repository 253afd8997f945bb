"""An import's problems as a table or a file (the Import page and ``manage.py import``
show the same), and the indicator codes the importer accepts in the targets sheet."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from data_access.spreadsheet import frame_to_csv_bytes, frame_to_xlsx_bytes
from i18n import N_, _
from metrics import catalogue

if TYPE_CHECKING:
    from importing import ImportReport

COLUMNS = [N_("sheet"), N_("row"), N_("column"), N_("problem")]  # headings, in English


def indicator_codes() -> list[str]:
    return [i.code for i in catalogue.CATALOGUE]


def problems_frame(report: ImportReport) -> pd.DataFrame:
    """The problems, one a row, with headings in the current language."""
    frame = pd.DataFrame([p.as_dict() for p in report.problems], columns=COLUMNS)
    return frame.rename(columns={c: _(c) for c in COLUMNS})


def error_file_bytes(report: ImportReport, suffix: str) -> bytes:
    frame = problems_frame(report)
    if suffix == ".xlsx":
        return frame_to_xlsx_bytes({_("problems"): frame})
    return frame_to_csv_bytes(frame)
