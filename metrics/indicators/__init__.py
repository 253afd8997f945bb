"""Importing this package registers every indicator with ``metrics.engine``."""

from metrics.indicators import assistance, beneficiaries, training  # noqa: F401
