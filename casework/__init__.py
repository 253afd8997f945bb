"""Casework: the case-by-case lists a focal point works from (the caseload, follow-ups
due, one case in detail), read through the viewer's scoped session.

May import: ``data_access``, ``analytics`` (the data-as-of figures), ``i18n``.
"""
