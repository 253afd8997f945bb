"""Indicators: one function per code in domain.md, pure ``(session, filters, by) -> DataFrame``.

Use ``metrics.compute(code, session, filters, by, cumulative=...)``; ``metrics.compare``
for the previous period and the year before; ``metrics.progress`` for the logframe.
"""

from metrics.compare import compare
from metrics.engine import compute
from metrics.filters import Filters
from metrics.targets import progress

__all__ = ["Filters", "compare", "compute", "progress"]
