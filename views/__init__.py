"""Streamlit-free presentation helpers shared by the pages (``ui``) and the reports
(``reports``): Altair chart builders, number and label formats, the palette.

May import: ``metrics`` (periods, filters), ``data_access`` (the programme, for country
colours), ``i18n``. Never ``streamlit``, ``ui`` or
``reports``.
"""
