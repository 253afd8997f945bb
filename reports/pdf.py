"""The report as an A4 PDF (fpdf2): the same content as the slide deck.

A cover page (programme, period, countries, data as of, suppression rule, sections);
then one page per section: its question, large headline numbers or its figures table,
its chart(s), its narrative; the logframe on a page of its own after the headline
section. Every page has a footer with the source and "Page n of N".

DejaVu Sans (a Unicode TrueType font, in Debian's fonts-dejavu-core) is used when it is
installed, so "–", "€" and "÷" print; otherwise Helvetica with those characters
replaced.
"""

from __future__ import annotations

import io
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from i18n import _, ngettext
from i18n.formats import date, datetime
from reports.content import Report, Section, status_label
from reports.images import fit, for_report
from views.palette import STATUS_COLOURS

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
NAVY = (31, 78, 121)
GREY = (85, 85, 85)
LIGHT = (238, 242, 247)
LATIN1 = str.maketrans({"–": "-", "—": "-", "€": "EUR ", "÷": "/", "≥": ">=", "≤": "<=",
                        "−": "-", "·": "-", "’": "'", "“": '"', "”": '"', "…": "..."})


def _hex(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


class _Document(FPDF):
    def __init__(self, report: Report) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.report = report
        self.family = "Helvetica"
        for folder in FONT_DIRS:
            regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
            if regular.exists() and bold.exists():
                self.add_font("DejaVu", "", str(regular))
                self.add_font("DejaVu", "B", str(bold))
                self.family = "DejaVu"
                break
        self.set_auto_page_break(True, margin=20)
        self.set_margins(15, 15, 15)
        self.set_title(f"{report.title}: {report.period}")
        self.set_author(report.programme)
        self.set_subject(report.countries)
        self.set_creation_date(report.created_at)

    def t(self, text: str) -> str:
        return text if self.family == "DejaVu" else text.translate(LATIN1).encode(
            "latin-1", "replace").decode("latin-1")

    def font(self, size: float, bold: bool = False,
             colour: tuple[int, int, int] = (0, 0, 0)) -> None:
        self.set_font(self.family, "B" if bold else "", size)
        self.set_text_color(*colour)

    def footer(self) -> None:
        r = self.report
        self.set_y(-14)
        self.font(7.5, colour=GREY)
        source = " · ".join([r.programme, r.period, r.countries,
                             _("data as of {date}").format(date=date(r.data_as_of))])
        self.cell(self.epw - 25, 5, self.t(source))
        self.cell(25, 5, self.t(_("Page {page} of {pages}").format(page=self.page_no(),
                                                                   pages="{nb}")), align="R")

    def paragraph(self, text: str, size: float = 10, bold: bool = False,
                  colour: tuple[int, int, int] = (0, 0, 0), height: float = 5) -> None:
        self.font(size, bold, colour)
        self.multi_cell(0, height, self.t(text), new_x="LMARGIN", new_y="NEXT")

    def rows(self, rows: list[list[str]], widths: tuple[float, ...], size: float = 9,
             status_column: int | None = None) -> None:
        self.font(size)
        heading = FontFace(emphasis="BOLD", fill_color=LIGHT)
        align = tuple(["LEFT"] + ["RIGHT"] * (len(widths) - 1))
        with self.table(col_widths=widths, text_align=align, headings_style=heading,
                        line_height=size * 0.55, padding=1) as table:
            for r, values in enumerate(rows):
                row = table.row()
                for c, value in enumerate(values):
                    style = None
                    if r and c == status_column and value in STATUS_COLOURS:
                        style = FontFace(fill_color=_hex(STATUS_COLOURS[value]))
                    if r and c == status_column:
                        value = status_label(value)
                    row.cell(self.t(value), style=style)
        self.ln(3)


def _cover(pdf: _Document, report: Report) -> None:
    pdf.add_page()
    pdf.ln(40)
    pdf.paragraph(report.programme, 12, colour=GREY, height=6)
    pdf.ln(2)
    pdf.paragraph(report.title, 28, bold=True, colour=NAVY, height=12)
    pdf.paragraph(f"{report.period} · {report.countries}", 16, height=9)
    pdf.ln(6)
    pdf.paragraph(_("Data as of {moment}; produced {produced}.").format(
        moment=datetime(report.data_as_of), produced=datetime(report.created_at)), 10,
        colour=GREY)
    pdf.paragraph(_("Filters: {filters}").format(filters=report.filters.describe()) + ".", 10,
                  colour=GREY)
    rule = report.provenance.suppression_rule()
    if rule:
        pdf.paragraph(rule, 10, colour=GREY)
    if report.money_note:
        pdf.paragraph(report.money_note + ".", 10, colour=GREY)
    pdf.ln(8)
    pdf.paragraph(_("Contents"), 12, bold=True)
    for section in report.sections:
        pdf.paragraph(f"• {section.title}", 11, height=6)


def _figure_rows(section: Section) -> tuple[list[list[str]], tuple[float, ...]]:
    with_targets = any(f.target for f in section.figures)
    rows = [[_("Indicator"), _("Value")] + ([_("Target"), _("Achieved")] if with_targets
                                            else [])]
    for f in section.figures:
        rows.append([f"{f.code} {f.title} ({f.unit})", f.text]
                    + ([f.target or "–", f.achieved or "–"] if with_targets else []))
    return rows, ((5, 2, 2.5, 1.6) if with_targets else (5, 2))


def _tiles(pdf: _Document, section: Section) -> None:
    per_row, height = 4, 22
    width = pdf.epw / per_row
    top = pdf.get_y()
    for i, f in enumerate(section.figures):
        x = pdf.l_margin + width * (i % per_row)
        y = top + height * (i // per_row)
        pdf.set_fill_color(*LIGHT)
        pdf.rect(x + 1, y + 1, width - 2, height - 2, style="F")
        pdf.set_xy(x + 1, y + 3)
        pdf.font(17, True, NAVY)
        pdf.cell(width - 2, 8, pdf.t(f.text), align="C")
        pdf.set_xy(x + 1, y + 11)
        pdf.font(7.5, colour=GREY)
        pdf.cell(width - 2, 4, pdf.t(f.title), align="C")
        if f.achieved:
            pdf.set_xy(x + 1, y + 15)
            pdf.font(7, colour=_hex(STATUS_COLOURS.get(f.status, "#555555")))
            pdf.cell(width - 2, 4, pdf.t(_("{achieved} of target ({status})").format(
                achieved=f.achieved, status=status_label(f.status))), align="C")
    rows = (len(section.figures) + per_row - 1) // per_row
    pdf.set_xy(pdf.l_margin, top + height * rows + 3)


def _section(pdf: _Document, report: Report, section: Section,
             images: dict[str, bytes]) -> None:
    pdf.add_page()
    pdf.paragraph(section.title, 18, bold=True, colour=NAVY, height=9)
    pdf.paragraph(section.question, 10, colour=GREY)
    pdf.ln(3)
    if section.key == "headline":
        _tiles(pdf, section)
        if any(f.target for f in section.figures):
            rows, widths = _figure_rows(section)
            pdf.rows(rows, widths)
    else:
        rows, widths = _figure_rows(section)
        pdf.rows(rows, widths)
    pictures = [c for c in section.charts if c.name in images]
    room = pdf.h - pdf.b_margin - pdf.get_y() - (30 if section.narrative.strip() else 5)
    each = max(45.0, min(110.0, room / max(1, len(pictures)) - 3))
    for item in pictures:
        width, height = fit(images[item.name], pdf.epw, each)
        pdf.image(io.BytesIO(images[item.name]), x=pdf.l_margin, w=width, h=height,
                  alt_text=item.title)
        pdf.ln(3)
    if not pictures and section.charts:
        pdf.paragraph(_("No {what} for {countries}, {period}.").format(
            what=section.charts[0].what, countries=report.countries, period=report.period),
            10, colour=GREY)
    hidden = sum(c.hidden for c in section.charts) + sum(1 for f in section.figures if f.note)
    if hidden and report.provenance.threshold is not None:
        pdf.paragraph(ngettext("{n} small figure hidden to protect privacy.",
                               "{n} small figures hidden to protect privacy.", hidden)
                      .format(n=hidden), 8, colour=GREY)
    if section.narrative.strip():
        pdf.ln(2)
        pdf.paragraph(section.narrative.strip(), 10.5, height=5.5)


def _logframe(pdf: _Document, report: Report) -> None:
    frame = report.logframe
    assert frame is not None
    pdf.add_page()
    pdf.paragraph(_("Progress against logframe targets"), 18, bold=True, colour=NAVY,
                  height=9)
    pdf.paragraph(_("Achieved = (actual − baseline) ÷ (target − baseline); on track ≥ 90 %, "
                    "at risk 60–90 %, off track < 60 % of the pro-rated target."), 9,
                  colour=GREY)
    pdf.ln(3)
    rows = [list(frame.columns)] + [[str(v) for v in row]
                                    for row in frame.itertuples(index=False)]
    widths = tuple(4.0 if c == _("Indicator") else 1.4 for c in frame.columns)
    status = list(frame.columns).index(_("Status")) if _("Status") in frame.columns else None
    pdf.rows(rows, widths, size=8, status_column=status)


def build(report: Report) -> bytes:
    pdf = _Document(report)
    images = for_report(report)
    _cover(pdf, report)
    for section in report.sections:
        _section(pdf, report, section, images)
        if section.key == "headline" and report.logframe is not None:
            _logframe(pdf, report)
    return bytes(pdf.output())
