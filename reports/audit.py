"""Every export goes to the audit log: who, what, which filters — never personal data."""

from __future__ import annotations

from typing import Any

from data_access.scope import Scope
from metrics.filters import Filters


def export_detail(kind: str, fmt: str, file: str, filters: Filters,
                  scope: Scope) -> dict[str, Any]:
    return {"kind": kind, "format": fmt, "file": file, "start": filters.start.isoformat(),
            "end": filters.end.isoformat(), "countries": list(filters.countries),
            "scope": scope.key()}


def record_export(url: str, username: str | None, kind: str, fmt: str, file: str,
                  filters: Filters, scope: Scope) -> None:
    """One ``export`` event (``accounts.audit``)."""
    from accounts import audit
    audit.record(url, username, audit.EXPORT,
                 **export_detail(kind, fmt, file, filters, scope))
