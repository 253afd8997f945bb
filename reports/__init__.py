"""Donor reports and file exports, without Streamlit (issue 6).

- ``reports.files``: one chart → PNG/SVG bytes, one table → CSV/XLSX bytes, file names,
  and the "source" lines every exported file carries (``Provenance``).
- ``reports.content``: the sections of a donor report and their figures and charts, for
  (figure source, filters, sections). Figures only ever come from ``metrics.compute`` in a
  scoped session (or the page's cached ``ui.data.figure``, which is the same thing), so
  disclosure control and the viewer's scope hold for every export.
- ``reports.pptx`` / ``reports.pdf``: the report as a slide deck or an A4 PDF.
- ``reports.narratives``: the free text per section, saved per period and scope.
- ``reports.audit``: every export is written to the audit log.
- ``reports.iati`` / ``reports.dhis2`` (issue 20): the logframe's results as an IATI 2.03
  activity file (validated against the schema in ``reports/iati_schema``), and indicator
  values as a DHIS2 data value set through a mapping file; both read their figures in
  the session they are given (a donor session for anything published).

The pages, ``ui.exports`` (download buttons) and ``manage.py report`` use this package;
it must never import Streamlit.
"""
