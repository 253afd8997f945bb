"""Hook run after data changes in bulk, to refresh pre-computed figures.

``after_import(session)`` is called by the importer *inside* the import transaction, after
every row has been written and before the commit: whatever it writes commits or rolls back
together with the import. It is the place the analytics tables (pre-computed figures) will
be refreshed; for now there are none, so it does nothing.
"""

from __future__ import annotations

from sqlalchemy.orm import Session


def after_import(session: Session) -> None:
    """Refresh pre-computed figures after an import (currently nothing to refresh)."""
    return None
