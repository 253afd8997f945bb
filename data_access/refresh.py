"""Hook run after data changes in bulk, to refresh pre-computed figures.

``after_import(session)`` is called by the importer *inside* the import transaction, after
every row has been written and before the commit: whatever it writes commits or rolls back
together with the import. It rebuilds the analytics tables (``data_access.analytics``), so
readers see the old figures until the import commits and the new ones after.
"""

from __future__ import annotations

from sqlalchemy.orm import Session


def after_import(session: Session) -> None:
    """Rebuild the analytics tables in the import's transaction."""
    from data_access import analytics

    analytics.refresh(session)
