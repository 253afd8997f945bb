"""Streamlit-free presentation helpers shared by the pages (``ui``) and the reports
(``reports``): Altair chart builders, number and label formats, the palette.

May import: ``metrics`` (periods, filters), ``i18n``. Never ``streamlit``, ``ui`` or
``reports``.
"""
