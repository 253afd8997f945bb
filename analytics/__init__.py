"""The analytics cubes: the case tables pre-aggregated into small cells, kept exact.

``cubes`` builds every cube (a full rebuild) and says whether the cells are fresh;
``figure_cubes`` the cubes behind the figures that are not indicators; ``delta`` refreshes
them incrementally after an import; ``hooks`` is what the importer calls around its writes.

May import: ``data_access`` (models, sessions, follow-up rule, vocabularies), ``i18n``.
Nothing above it (``metrics`` reads the cells; it never builds them).
"""
