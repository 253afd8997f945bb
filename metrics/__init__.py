"""Indicators: one function per code in domain.md, pure ``(session, filters, by) -> DataFrame``.

Use ``metrics.compute(code, session, filters, by, cumulative=...)``; ``metrics.progress``
for the logframe.
"""

from metrics.engine import compute
from metrics.filters import Filters
from metrics.targets import progress

__all__ = ["Filters", "compute", "progress"]
