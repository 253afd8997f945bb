"""Indicators: one function per code in domain.md, pure ``(session, filters, by) -> DataFrame``,
each with the analytics cubes it is read from declared beside it.

Use ``metrics.compute(code, session, filters, by, cumulative=...)``; ``metrics.progress``
for the logframe.
"""

# Importing the indicators registers them and declares their analytics cubes: any process
# that imports metrics can build and read the cubes (analytics.shapes.declared).
import metrics.indicators  # noqa: E402, F401, I001
from metrics.engine import compute
from metrics.filters import Filters
from metrics.targets import progress

__all__ = ["Filters", "compute", "progress"]
