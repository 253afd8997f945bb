"""Donor report (issue 6): the PPTX and the PDF hold the right slides, pages and figures,
and follow the viewer's scope (donor: small counts hidden, no personal data; focal point:
their country only)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from pptx import Presentation
from pypdf import PdfReader

from cli.indicators import collect
from cli.report import build_file
from data_access import db, lookups
from data_access.scope import Scope
from metrics import catalogue
from metrics.filters import Filters
from reports import content
from tests.report_data import SURNAMES, populate
from views.format import by_kind

ALL = list(content.SECTION_KEYS)
DONOR = Scope(aggregates_only=True, suppression_threshold=5)
FOCAL_SN = Scope.for_countries(["SN"])
PROGRAMME = "Test programme"
FILTERS = Filters()


@pytest.fixture(scope="module")
def report_db(make_database: Callable[[str, str], str]) -> str:
    url = make_database("sqlite", "reports")
    populate(url)
    return url


def pptx_text(data: bytes) -> tuple[Any, list[str]]:  # Any: python-pptx ships no types
    prs = Presentation(io.BytesIO(data))
    texts = []
    for slide in prs.slides:
        parts = []
        for shape in slide.shapes:
            if shape.has_text_frame:
                parts.append(shape.text_frame.text)
            if getattr(shape, "has_table", False) and shape.has_table:
                parts += [cell.text for row in shape.table.rows for cell in row.cells]
        parts.append(slide.notes_slide.notes_text_frame.text)
        texts.append("\n".join(parts))
    return prs, texts


def pdf_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(p.extract_text() for p in reader.pages)


def expected_figures(url: str, scope: Scope, filters: Filters = FILTERS) -> dict[str, str]:
    """What cli.indicators.collect says, formatted as the report prints it."""
    with db.session(url, scope) as session:
        flat = collect(session, filters, None)
    threshold = f"<{scope.suppression_threshold}"
    out = {}
    for code, value in flat.items():
        if "." in code:
            continue
        kind = catalogue.get(code).kind
        if value is None:
            out[code] = threshold if kind == "count" else "hidden"
        else:
            out[code] = by_kind(value, kind)
    return out


def report_codes(sections: list[str]) -> list[str]:
    return list(dict.fromkeys(c for k in sections for c in content.BY_KEY[k].codes))


def test_pptx_has_a_slide_per_section_with_the_collect_figures_and_images(
        report_db: str) -> None:
    data = build_file(report_db, Scope.everything(), FILTERS, ALL, "pptx", PROGRAMME)
    prs, texts = pptx_text(data)
    slides = list(prs.slides)
    assert len(slides) == 1 + len(ALL)  # no targets in this database: no logframe slide
    assert slides[0].shapes.title.text == "Progress report"
    assert [s.shapes.title.text for s in slides[1:]] == [
        content.BY_KEY[k].title for k in ALL]
    expected = expected_figures(report_db, Scope.everything())
    for code in report_codes(ALL):
        assert any(expected[code] in t for t in texts[1:]), (code, expected[code])
    for slide in slides[1:]:
        pictures = [s for s in slide.shapes if s.shape_type == 13]  # PICTURE
        assert pictures, slide.shapes.title.text
        assert all(len(p.image.blob) > 5000 for p in pictures)
    notes = slides[1].notes_slide.notes_text_frame.text
    assert "all countries; 2015-01-01 – 2016-12-31" in notes  # English dates are ISO (issue 7)
    assert "Data as of" in notes and PROGRAMME in notes


def test_pdf_has_a_cover_and_a_page_per_section_with_the_headline_figures(
        report_db: str) -> None:
    sections = ["headline", "sectors", "capacity"]
    data = build_file(report_db, Scope.everything(), FILTERS, sections, "pdf", PROGRAMME)
    pages, text = pdf_text(data)
    assert pages == 1 + len(sections)
    assert f"Page 1 of {pages}" in text and f"Page {pages} of {pages}" in text
    expected = expected_figures(report_db, Scope.everything())
    for code in content.BY_KEY["headline"].codes:
        assert expected[code] in text, (code, expected[code])
    assert "Data as of" in text and PROGRAMME in text


def test_quarter_report_uses_the_quarter_figures(report_db: str) -> None:
    quarter = Filters(FILTERS.start.replace(year=2016, month=7), FILTERS.end.replace(
        year=2016, month=9, day=30))
    data = build_file(report_db, Scope.everything(), quarter, ["headline"], "pdf", PROGRAMME)
    _, text = pdf_text(data)
    assert "Q3 2016" in text
    expected = expected_figures(report_db, Scope.everything(), quarter)
    for code in content.BY_KEY["headline"].codes:
        assert expected[code] in text, (code, expected[code])


SMALL = re.compile(r"(?<![\d.,/:<–-])[1-4](?![\d.,%/:])")


def _figure_cells(data: bytes) -> list[str]:
    prs = Presentation(io.BytesIO(data))
    cells = []
    for slide in list(prs.slides)[1:]:
        for shape in slide.shapes:
            if getattr(shape, "has_table", False) and shape.has_table:
                cells += [row.cells[1].text for row in list(shape.table.rows)[1:]]
            elif shape.has_text_frame and shape.shape_type == 1:  # headline tiles
                cells.append(shape.text_frame.paragraphs[0].text)
    return cells


def test_donor_exports_hide_small_counts_and_personal_data(report_db: str) -> None:
    raw = expected_figures(report_db, Scope.everything())
    assert raw["COOP-1"] == "2" and raw["CAP-1"] == "3"  # the database has small cells
    pptx_bytes = build_file(report_db, DONOR, FILTERS, ALL, "pptx", PROGRAMME)
    pdf_bytes = build_file(report_db, DONOR, FILTERS, ALL, "pdf", PROGRAMME)
    _, slides = pptx_text(pptx_bytes)
    _, pdf = pdf_text(pdf_bytes)
    for text in ["\n".join(slides), pdf]:
        assert "CASE-" not in text
        assert not any(name in text for name in SURNAMES + ("Yasminetest",))
        assert "+2126" not in text
        # (whitespace collapsed: the PDF justifies the line, which spreads the words)
        assert 'counts below 5 are shown as "<5"' in re.sub(r"\s+", " ", text)
    cells = _figure_cells(pptx_bytes)
    assert "<5" in cells
    assert not [c for c in cells if SMALL.fullmatch(c.strip())], cells
    # the figures that were small are "<5", never their value
    donor = expected_figures(report_db, DONOR)
    assert donor["COOP-1"] == "<5" and donor["CAP-1"] == "<5"


def test_focal_point_exports_hold_their_country_only(report_db: str) -> None:
    pptx_bytes = build_file(report_db, FOCAL_SN, FILTERS, ALL, "pptx", PROGRAMME)
    pdf_bytes = build_file(report_db, FOCAL_SN, FILTERS, ALL, "pdf", PROGRAMME)
    _, slides = pptx_text(pptx_bytes)
    _, pdf = pdf_text(pdf_bytes)
    senegal = expected_figures(report_db, FOCAL_SN, Filters(countries=("SN",)))
    everyone = expected_figures(report_db, Scope.everything())
    for text in ["\n".join(slides), pdf]:
        assert "Senegal" in text
        assert "Morocco" not in text and "Tunisia" not in text
        assert "Coop MA" not in text
        assert senegal["BEN-2"] in text
        assert everyone["BEN-2"] not in text  # the programme-wide total never shows


def test_unknown_section_is_refused(report_db: str) -> None:
    with db.session(report_db, Scope.everything()) as session, \
            pytest.raises(ValueError, match="unknown section"):
        content.build(content.SessionSource(session), FILTERS, ["nope"],
                      scope=Scope.everything(), programme=PROGRAMME,
                      data_as_of=lookups.data_as_of(session))


def test_data_as_of_is_the_latest_update_the_scope_can_see(empty_db_url: str) -> None:
    """Hand-worked: the latest ``updated_at`` over the case tables, per scope (the
    unscoped query and the scoped one read the 0006 index differently)."""
    import datetime as dt

    from data_access.models import Beneficiary, Cooperative
    from data_access.vocab import Sector, Sex

    stamp = dt.datetime
    with db.session(empty_db_url, Scope.everything()) as session:
        session.add_all([
            Beneficiary(case_number="A1", country="MA", sex=Sex.F,
                        return_date=dt.date(2026, 1, 5), registration_date=dt.date(2026, 1, 6),
                        updated_at=stamp(2026, 3, 1, 10, 0)),
            Beneficiary(case_number="A2", country="SN", sex=Sex.M,
                        return_date=dt.date(2026, 1, 5), registration_date=dt.date(2026, 1, 6),
                        updated_at=stamp(2026, 5, 2, 9, 30)),
            Cooperative(name="Coop SN", country="SN", sector=Sector.AGRICULTURE,
                        updated_at=stamp(2026, 4, 1, 12, 0)),
            Cooperative(name="Coop MA", country="MA", sector=Sector.AGRICULTURE,
                        updated_at=stamp(2026, 6, 15, 8, 0)),
            # A country no user has: an unscoped session finds it all the same.
            Cooperative(name="Coop GN", country="GN", sector=Sector.AGRICULTURE,
                        updated_at=stamp(2026, 7, 1, 8, 0)),
        ])
        session.commit()
    expected = {Scope.everything(): stamp(2026, 7, 1, 8, 0),  # GN's cooperative
                DONOR: stamp(2026, 7, 1, 8, 0),
                FOCAL_SN: stamp(2026, 5, 2, 9, 30),  # SN's beneficiary, not MA's rows
                Scope.for_countries(["SN", "MA"]): stamp(2026, 6, 15, 8, 0)}
    for scope, moment in expected.items():
        with db.session(empty_db_url, scope) as session:
            assert lookups.data_as_of(session) == moment, scope
    before = dt.datetime.now().replace(microsecond=0)
    with db.session(empty_db_url, Scope.for_countries(["ML"])) as session:
        assert lookups.data_as_of(session) >= before  # nothing visible: now
