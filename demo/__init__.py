"""Synthetic demo data for the case database (`manage.py demo-data`).

``generate(n, seed)`` draws the tables (deterministic for a seed and size; the default size
is calibrated on the programme's published figures, see ``profile``); ``load(url, tables)``
bulk-inserts them into empty case tables; ``clear(url)`` empties the case tables.
"""

from demo.columns import Table
from demo.generate import generate
from demo.load import CASE_TABLES, clear, existing_rows, load
from demo.profile import DEFAULT_BENEFICIARIES

__all__ = ["CASE_TABLES", "DEFAULT_BENEFICIARIES", "Table", "clear", "existing_rows",
           "generate", "load"]
