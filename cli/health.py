"""`manage.py health`: exit 0 when the database answers and its schema is at head.

For container health checks: prints one line, ``ok: …`` (exit 0) or ``unhealthy: <reason>``
on standard error (exit 1): the database cannot be reached (DATABASE_URL, and
DATABASE_READ_URL when it is set), or its schema is not at this code's head revision
(run `manage.py db upgrade`). A malformed setting exits 2, like every command.
"""

from __future__ import annotations

import argparse
import sys

from data_access import db
from data_access.db import DatabaseUnavailable
from data_access.settings import load_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "health", help="exit 0 if the database answers and its schema is at head")
    parser.set_defaults(func=_health)


def _health(args: argparse.Namespace) -> int:
    settings = load_settings()
    head = db.head_revision()
    checked = [("DATABASE_URL", settings.database_url)]
    if settings.database_read_url:
        checked.append(("DATABASE_READ_URL", settings.database_read_url))
    for name, url in checked:
        try:
            current = db.current_revision(url)
        except DatabaseUnavailable as exc:
            return _unhealthy(f"{name}: {' '.join(str(exc).split())}")
        if current != head:
            return _unhealthy(f"{name}: the schema is at revision {current or 'none'}, this "
                              f"version needs {head}: run `python manage.py db upgrade`")
    print(f"ok: the database answers and its schema is at {head}")
    return 0


def _unhealthy(reason: str) -> int:
    print(f"unhealthy: {reason}", file=sys.stderr)
    return 1
