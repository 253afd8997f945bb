"""Every table of the donor deck and of the PDF holds the page's table, row for row
(issue 16: the logframe slide stopped after 15 of its 32 rows, with no continuation).

On the demo database (it has logframe targets): the report is built once, as the donor
report page builds it (``content.build``), and the page's tables are the report's own
(``report.logframe`` is what the page shows under "Progress against logframe targets";
each section's figures are its cards). The PPTX is read back with python-pptx; the PDF's
tables are recorded as ``_Document.rows`` draws them (the original method still draws
them) and its text is read back with pypdf.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pytest
from pptx import Presentation
from pypdf import PdfReader

from data_access import db, lookups
from data_access.scope import Scope
from metrics.filters import Filters
from reports import content, pdf, pptx
from tests.test_reports import DONOR

SECTIONS = list(content.SECTION_KEYS)


@pytest.fixture(scope="module")
def demo_db(make_database: Callable[[str, str], str]) -> str:
    import demo
    url = make_database("sqlite", "report_tables_demo")
    demo.load(url, demo.generate(300, seed=7), progress=lambda _: None)
    return url


def report_for(url: str, scope: Scope) -> content.Report:
    with db.session(url, scope) as session:
        return content.build(content.SessionSource(session), Filters(), SECTIONS,
                             scope=scope, programme="Demo",
                             data_as_of=lookups.data_as_of(session))


def page_logframe(report: content.Report) -> list[list[str]]:
    """The logframe as the page shows it (status in words, as the deck writes it)."""
    frame = report.logframe
    assert frame is not None
    status = list(frame.columns).index("Status")
    return [[content.status_label(v) if i == status else ("" if v is None else str(v))
             for i, v in enumerate(row)] for row in frame.itertuples(index=False)]


def deck_tables(data: bytes) -> list[tuple[str, list[list[str]]]]:
    prs = Presentation(io.BytesIO(data))
    out = []
    for slide in prs.slides:
        for shape in slide.shapes:
            if getattr(shape, "has_table", False) and shape.has_table:
                rows = [[cell.text for cell in row.cells] for row in shape.table.rows]
                out.append((slide.shapes.title.text, rows))
    return out


@pytest.mark.parametrize("scope", [Scope.everything(), DONOR], ids=["manager", "donor"])
def test_every_deck_table_is_the_pages_table_row_for_row(demo_db: str, scope: Scope) -> None:
    report = report_for(demo_db, scope)
    expected = page_logframe(report)
    assert len(expected) > pptx.ROWS_PER_SLIDE  # the demo logframe needs continuation
    tables = deck_tables(pptx.build(report))
    logframe = [rows for title, rows in tables if title.startswith(
        "Progress against logframe targets")]
    assert len(logframe) == -(-len(expected) // pptx.ROWS_PER_SLIDE)
    assert report.logframe is not None
    header = [str(c) for c in report.logframe.columns]
    assert all(rows[0] == header for rows in logframe)  # the header on every slide
    assert [row for rows in logframe for row in rows[1:]] == expected
    titles = [title for title, _rows in tables if title.startswith("Progress against")]
    assert all("continued" in t for t in titles[1:]) and "continued" not in titles[0]
    figures = [rows for title, rows in tables if not title.startswith("Progress against")]
    sections = [s for s in report.sections if s.key != "headline"]
    assert len(figures) == len(sections)
    for section, rows in zip(sections, figures, strict=True):
        assert [r[:2] for r in rows[1:]] == [[f"{f.title} ({f.unit})", f.text]
                                             for f in section.figures], section.key


def test_every_pdf_table_is_the_pages_table_row_for_row(
        demo_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    report = report_for(demo_db, Scope.everything())
    drawn: list[list[list[str]]] = []
    original = pdf._Document.rows

    def recording(self, rows, *args, **kwargs):
        drawn.append([list(r) for r in rows])
        return original(self, rows, *args, **kwargs)

    monkeypatch.setattr(pdf._Document, "rows", recording)
    data = pdf.build(report)
    frame = report.logframe
    assert frame is not None
    logframe = [t for t in drawn if t[0] == [str(c) for c in frame.columns]]
    assert len(logframe) == 1
    status = list(frame.columns).index("Status")
    assert [[content.status_label(v) if i == status else v for i, v in enumerate(row)]
            for row in logframe[0][1:]] == page_logframe(report)
    # and pypdf finds every row's figures in the file, in order
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(
        io.BytesIO(data)).pages))
    at = 0
    for row in page_logframe(report):
        code = row[0].split()[0]
        at = text.find(code, at)
        assert at >= 0, row
        for cell in row[2:]:  # dates, figures, % and status: short cells, never wrapped
            found = text.find(re.sub(r"\s+", "", cell), at)
            assert cell == "" or found >= 0, (row, cell)
