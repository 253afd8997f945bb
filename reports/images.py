"""Chart images for the slide deck and the PDF, rendered once per report."""

from __future__ import annotations

import struct

from reports.content import ChartItem, Report
from reports.files import chart_png


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels, from the PNG header."""
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


def fit(png: bytes, max_width: float, max_height: float) -> tuple[float, float]:
    """The largest (width, height) inside the box that keeps the image's proportions."""
    width, height = png_size(png)
    scale = min(max_width / width, max_height / height)
    return width * scale, height * scale


def render(items: list[ChartItem]) -> dict[str, bytes]:
    """name → PNG for every chart that has something to draw (the page caption and the
    report footer carry the source, so the image keeps the chart's own title only)."""
    return {c.name: chart_png(c.chart, large=True) for c in items if c.chart is not None}


def for_report(report: Report) -> dict[str, bytes]:
    """The report's chart images, rendered on first use (the PPTX and PDF share them)."""
    if not report.images:
        report.images.update(render([c for s in report.sections for c in s.charts]))
    return report.images
