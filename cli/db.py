"""`manage.py db upgrade|current`: apply or show the Alembic migrations."""

from __future__ import annotations

import argparse

from data_access import db
from data_access.settings import load_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("db", help="database migrations")
    actions = parser.add_subparsers(dest="action", required=True)
    up = actions.add_parser("upgrade", help="apply migrations up to a revision (default head)")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=_upgrade)
    current = actions.add_parser("current", help="show the database's revision")
    current.set_defaults(func=_current)


def _upgrade(args: argparse.Namespace) -> int:
    url = load_settings().database_url
    db.upgrade(url, args.revision)
    print(f"database at revision {args.revision}")
    return 0


def _current(args: argparse.Namespace) -> int:
    from alembic import command

    command.current(db.alembic_config(load_settings().database_url))
    return 0
