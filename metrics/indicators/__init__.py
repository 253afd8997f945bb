"""Importing this package registers every indicator with ``metrics.engine``."""

from metrics.indicators import (  # noqa: F401
    assistance,
    beneficiaries,
    capacity,
    cooperative_sectors,
    followup,
    referrals,
    timing,
    training,
)
