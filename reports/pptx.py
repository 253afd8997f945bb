"""The report as a 16:9 slide deck (python-pptx).

A title slide; per section one slide with its chart as an image, its figures as a native
table and its narrative beside them; the logframe (when there is one) as a native table
with traffic lights after the headline slide, on as many slides as it takes ("continued":
no row is dropped). Speaker notes carry the filters in words,
the "data as of" time and the suppression rule; a footer line on every slide names the
source. Call ``build`` in the report's language (``with i18n.language(...)``): the
section texts come translated in the report, the slide furniture is translated here.
"""

from __future__ import annotations

import io
from typing import Any

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import PP_ALIGN
from pptx.util import Emu, Inches, Pt

from i18n import _, ngettext
from i18n.formats import date, datetime
from reports.content import Report, Section, status_label
from reports.images import fit, for_report
from views.palette import STATUS_COLOURS

NAVY = RGBColor(0x1F, 0x4E, 0x79)
GREY = RGBColor(0x55, 0x55, 0x55)
LIGHT = RGBColor(0xEE, 0xF2, 0xF7)
WIDTH, HEIGHT = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.5)


# Any below: python-pptx ships no types (slides, shapes and presentations are read as Any).


def _rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#").upper())


def _text(slide: Any, left: int, top: int, width: int, height: int, lines: list[str], *,
          size: int = 14, bold: bool = False, colour: RGBColor | None = None,
          align: Any = None) -> Any:
    box = slide.shapes.add_textbox(left, top, width, height)
    frame = box.text_frame
    frame.word_wrap = True
    for i, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        if align is not None:
            paragraph.alignment = align
        run = paragraph.add_run()
        run.text = line
        run.font.size = Pt(size)
        run.font.bold = bold
        if colour is not None:
            run.font.color.rgb = colour
    return box


def _title(slide: Any, text: str, subtitle: str = "") -> None:
    title = slide.shapes.title
    title.left, title.top, title.width, title.height = MARGIN, Inches(0.25), \
        WIDTH - 2 * MARGIN, Inches(0.8)
    title.text = text
    paragraph = title.text_frame.paragraphs[0]
    paragraph.alignment = PP_ALIGN.LEFT
    for run in paragraph.runs:
        run.font.size = Pt(30)
        run.font.bold = True
        run.font.color.rgb = NAVY
    if subtitle:
        _text(slide, MARGIN, Inches(1.0), WIDTH - 2 * MARGIN, Inches(0.4), [subtitle],
              size=14, colour=GREY)


def _footer(slide: Any, report: Report, number: int) -> None:
    source = " · ".join([report.programme, report.period, report.countries,
                         _("data as of {date}").format(date=date(report.data_as_of))])
    if report.provenance.threshold is not None:
        source += " · " + _("counts below {n} shown as \"<{n}\"").format(
            n=report.provenance.threshold)
    _text(slide, MARGIN, HEIGHT - Inches(0.45), WIDTH - 2 * MARGIN - Inches(0.6),
          Inches(0.3), [source], size=9, colour=GREY)
    _text(slide, WIDTH - MARGIN - Inches(0.6), HEIGHT - Inches(0.45), Inches(0.6),
          Inches(0.3), [str(number)], size=9, colour=GREY, align=PP_ALIGN.RIGHT)


def _notes(slide: Any, report: Report, extra: list[str]) -> None:
    slide.notes_slide.notes_text_frame.text = "\n".join(extra + ["", report.notes()])


def _table(slide: Any, rows: list[list[str]], left: int, top: int, width: int,
           widths: list[float], *, size: int = 12,
           status_column: int | None = None) -> Any:
    row_height = Inches(0.36 if size >= 12 else 0.3)
    shape = slide.shapes.add_table(len(rows), len(rows[0]), left, top, width,
                                   row_height * len(rows))
    table = shape.table
    total = sum(widths)
    for i, share in enumerate(widths):
        table.columns[i].width = Emu(int(width * share / total))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            cell = table.cell(r, c)
            cell.text = status_label(value) if r > 0 and c == status_column else value
            for paragraph in cell.text_frame.paragraphs:
                if c > 0:
                    paragraph.alignment = PP_ALIGN.RIGHT
                for run in paragraph.runs:
                    run.font.size = Pt(size)
                    run.font.bold = r == 0
            if r > 0 and c == status_column and value in STATUS_COLOURS:
                cell.fill.solid()
                cell.fill.fore_color.rgb = _rgb(STATUS_COLOURS[value])
    return shape


def _figure_rows(section: Section) -> list[list[str]]:
    with_targets = any(f.target for f in section.figures)
    header = [_("Indicator"), _("Value")] + ([_("Target"), _("Achieved")] if with_targets
                                             else [])
    rows = [header]
    for f in section.figures:
        row = [f"{f.title} ({f.unit})", f.text]
        if with_targets:
            row += [f.target or "–", f.achieved or "–"]
        rows.append(row)
    return rows


def _section_slide(prs: Any, report: Report, section: Section, images: dict[str, bytes],
                   number: int) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[5])  # title only
    _title(slide, section.title, section.question)
    top: int = Inches(1.55)  # an Emu count: Inches() is an int
    bottom = HEIGHT - Inches(0.6)
    left_width = Inches(7.6)
    pictures = [c for c in section.charts if c.name in images]
    if section.key == "headline":
        top = _tiles(slide, section, top)
    if pictures:
        each = (bottom - top) / len(pictures)
        picture_top: float = top
        for item in pictures:
            width, height = fit(images[item.name], left_width, each - Inches(0.1))
            slide.shapes.add_picture(io.BytesIO(images[item.name]), MARGIN, int(picture_top),
                                     int(width), int(height))
            picture_top += each
    else:
        _text(slide, MARGIN, top, left_width, Inches(1), [
            _("No {what} for {countries}, {period}.").format(
                what=section.charts[0].what if section.charts else _("figure"),
                countries=report.countries, period=report.period)], size=14, colour=GREY)
    right = MARGIN + left_width + Inches(0.3)
    right_width = WIDTH - right - MARGIN
    y = top
    if section.key != "headline":
        rows = _figure_rows(section)
        _table(slide, rows, right, top, right_width, [3, 1.3], size=12)
        y = top + Inches(0.36) * len(rows) + Inches(0.25)
    if section.narrative.strip():
        _text(slide, right, y, right_width, bottom - y,
              section.narrative.strip().splitlines(), size=13)
    _footer(slide, report, number)
    hidden = sum(c.hidden for c in section.charts) + sum(1 for f in section.figures if f.note)
    _notes(slide, report, [
        f"{section.title}: {section.question}",
        *[f"{f.code} {f.title}: {f.text} ({f.unit})" for f in section.figures],
        *([ngettext("{n} small figure hidden to protect privacy.",
                    "{n} small figures hidden to protect privacy.", hidden).format(n=hidden)]
          if hidden else []),
    ])


def _tiles(slide: Any, section: Section, top: int) -> int:
    """Large headline numbers, four to a row; returns the y below them."""
    per_row = 4
    width = (WIDTH - 2 * MARGIN) / per_row
    height = Inches(1.0)
    for i, f in enumerate(section.figures):
        x = MARGIN + width * (i % per_row)
        y = top + height * (i // per_row)
        box = slide.shapes.add_shape(1, int(x) + Inches(0.05), int(y) + Inches(0.05),
                                     int(width) - Inches(0.1), int(height) - Inches(0.1))
        box.fill.solid()
        box.fill.fore_color.rgb = LIGHT
        box.line.fill.background()
        frame = box.text_frame
        frame.word_wrap = True
        lines = [(f.text, 26, True, NAVY), (f.title, 11, False, GREY)]
        if f.achieved:
            lines.append((_("{achieved} of target ({status})").format(
                achieved=f.achieved, status=status_label(f.status)), 10, False,
                          _rgb(STATUS_COLOURS.get(f.status, "#555555"))))
        for j, (text, size, bold, colour) in enumerate(lines):
            paragraph = frame.paragraphs[0] if j == 0 else frame.add_paragraph()
            paragraph.alignment = PP_ALIGN.CENTER
            run = paragraph.add_run()
            run.text = text
            run.font.size = Pt(size)
            run.font.bold = bold
            run.font.color.rgb = colour
    rows = (len(section.figures) + per_row - 1) // per_row
    return int(top + height * rows + Inches(0.1))


# Data rows of a table on one slide (10 pt, an indicator title may take two lines): a
# longer table continues on the next slide, header repeated, so no row is ever dropped.
ROWS_PER_SLIDE = 12


def pages(rows: list[list[str]], per_slide: int = ROWS_PER_SLIDE) -> list[list[list[str]]]:
    """A table (header first) cut into slides of at most ``per_slide`` data rows, each
    with the header; every data row is on exactly one slide, in order."""
    header, body = rows[0], rows[1:]
    return [[header, *body[i:i + per_slide]] for i in range(0, max(1, len(body)), per_slide)]


def _logframe_slides(prs: Any, report: Report, number: int) -> int:
    """The logframe on as many slides as it needs; returns how many."""
    frame = report.logframe
    assert frame is not None
    rows = [[str(c) for c in frame.columns]] + [
        ["" if v is None else str(v) for v in row] for row in frame.itertuples(index=False)]
    widths = [3.2 if c == _("Indicator") else 1.2 for c in frame.columns]
    status = list(frame.columns).index(_("Status")) if _("Status") in frame.columns else None
    chunks = pages(rows)
    heading = _("Progress against logframe targets")
    for i, chunk in enumerate(chunks):
        slide = prs.slides.add_slide(prs.slide_layouts[5])
        title = heading if i == 0 else _("{title} (continued, {n} of {total})").format(
            title=heading, n=i + 1, total=len(chunks))
        _title(slide, title,
               _("Achieved = (actual − baseline) ÷ (target − baseline); on track ≥ 90 %, "
                 "at risk 60–90 %, off track < 60 %"))
        _table(slide, chunk, MARGIN, Inches(1.55), WIDTH - 2 * MARGIN, widths, size=10,
               status_column=status)
        _footer(slide, report, number + i)
        _notes(slide, report, [_("Logframe: every target with its actual value and "
                                 "progress."),
                               _("Rows {first}–{last} of {rows}.").format(
                                   first=i * ROWS_PER_SLIDE + 1,
                                   last=i * ROWS_PER_SLIDE + len(chunk) - 1,
                                   rows=len(rows) - 1)])
    return len(chunks)


def build(report: Report) -> bytes:
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDTH, HEIGHT
    props = prs.core_properties
    props.title = f"{report.title}: {report.period}"
    props.author = report.programme
    props.subject = f"{report.period}; {report.countries}"[:255]
    props.comments = " ".join(report.provenance.lines()[:4])[:255]
    images = for_report(report)

    slide = prs.slides.add_slide(prs.slide_layouts[0])
    title = slide.shapes.title
    title.left, title.top, title.width, title.height = MARGIN, Inches(1.8), \
        WIDTH - 2 * MARGIN, Inches(1.4)
    title.text = report.title
    for run in title.text_frame.paragraphs[0].runs:
        run.font.color.rgb = NAVY
        run.font.bold = True
    subtitle = slide.placeholders[1]
    subtitle.left, subtitle.top, subtitle.width, subtitle.height = MARGIN, Inches(3.4), \
        WIDTH - 2 * MARGIN, Inches(2.4)
    subtitle.text = f"{report.programme}\n{report.period} · {report.countries}\n" + \
        _("Data as of {moment}").format(moment=datetime(report.data_as_of)) + (
            f"\n{report.money_note}" if report.money_note else "")
    _notes(slide, report, [_("Sections: {sections}").format(
        sections=", ".join(s.title for s in report.sections))])

    number = 2
    for section in report.sections:
        _section_slide(prs, report, section, images, number)
        number += 1
        if section.key == "headline" and report.logframe is not None:
            number += _logframe_slides(prs, report, number)
    buffer = io.BytesIO()
    prs.save(buffer)
    return buffer.getvalue()
