"""Indicators: one function per code in domain.md, pure ``(session, filters, by) -> DataFrame``.

Use ``metrics.compute(code, session, filters, by, cumulative=...)``.
"""

from metrics.engine import compute
from metrics.filters import Filters

__all__ = ["Filters", "compute"]
