"""`manage.py users add|list|set-password|set-role|disable|enable|remove|import`: the users
(the ``app_user`` table of DATABASE_URL; ``import`` reads a YAML users file into it).

A password is typed at a prompt (twice, not echoed) or read from standard input with
``--password-stdin`` (one line) — never taken from the command line, where it would stay
in the shell history and the process list. Every change is one transaction and is written
to the audit log.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import Any

from accounts import audit, login_sessions, users
from accounts.users import UserError
from data_access.settings import Settings, load_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("users", help="dashboard users: add, list, change, remove")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    add = actions.add_parser("add", help="add a user (the password is asked for)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=users.ROLES)
    add.add_argument("--country", action="append", default=[], metavar="CODE",
                     help="a focal point's country (an ISO code of the programme file); "
                     "repeat for several")
    add.add_argument("--partner", type=int, default=None, metavar="ID",
                     help="a partner user's partner (its id in the partner table)")
    add.add_argument("--name", default="", help="full name shown in the dashboard")
    add.add_argument("--email", default="")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from standard input instead of a prompt")
    add.set_defaults(func=_add)

    listing = actions.add_parser("list", help="list users (never their password hashes)")
    listing.set_defaults(func=_list)

    password = actions.add_parser("set-password", help="set a user's password")
    password.add_argument("username")
    password.add_argument("--password-stdin", action="store_true",
                          help="read the password from standard input instead of a prompt")
    password.set_defaults(func=_set_password)

    role = actions.add_parser("set-role", help="give a user another role (and countries)")
    role.add_argument("username")
    role.add_argument("--role", required=True, choices=users.ROLES)
    role.add_argument("--country", action="append", default=[], metavar="CODE",
                      help="a focal point's country (an ISO code of the programme file); "
                     "repeat for several")
    role.add_argument("--partner", type=int, default=None, metavar="ID",
                      help="a partner user's partner (its id in the partner table)")
    role.set_defaults(func=_set_role)

    imported = actions.add_parser(
        "import", help="add or update the users of a YAML users file (one transaction)")
    imported.add_argument("file", help="a users file (credentials: usernames: …)")
    imported.set_defaults(func=_import)

    for name, disabled, text in (("disable", True, "stop a user from signing in"),
                                 ("enable", False, "let a disabled user sign in again")):
        sub = actions.add_parser(name, help=text)
        sub.add_argument("username")
        sub.set_defaults(func=_set_disabled, disabled=disabled)

    remove = actions.add_parser("remove", help="remove one or more users")
    remove.add_argument("usernames", nargs="+", metavar="username")
    remove.set_defaults(func=_remove)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return f"cli:uid{os.getuid()}"


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat the password: ") != first:
        raise UserError("the two passwords differ")
    return first


# Any: the event's detail, stored as JSON (accounts.audit.record takes it so).
def _done(settings: Settings, change: str, username: str, **detail: Any) -> None:
    audit.record(settings.database_url, _actor(), audit.USER_CHANGE, change=change,
                 user=username, **detail)


def _revoke(settings: Settings, username: str, reason: str) -> str:
    """End every open session of the user (their re-login cookies stop working, and open
    tabs are signed out at their next click)."""
    count = login_sessions.revoke_user(settings.database_url, username, reason)
    return f"{count} open session{'s' if count != 1 else ''} signed out"


def _fail(exc: Exception) -> int:
    print(f"error: {exc}", file=sys.stderr)
    return 1


def _add(args: argparse.Namespace) -> int:
    settings = load_settings()
    try:
        password = read_password(args.password_stdin)
        user = users.add(settings.database_url, args.username, password, args.role,
                         name=args.name, email=args.email, countries=tuple(args.country),
                         partner=args.partner)
    except UserError as exc:
        return _fail(exc)
    _done(settings, "add", user.username, role=user.role, countries=list(user.countries))
    print(f"added {user.username} ({user.role}"
          f"{', ' + user.country_text if user.countries else ''}) to the database")
    return 0


def _list(args: argparse.Namespace) -> int:
    settings = load_settings()
    found = users.load(settings)
    if not found:
        print("no users in the database: add one with `python manage.py users add`, or "
              "`python manage.py users import users.yaml`")
        return 0
    in_database = users.stored(settings.database_url)
    rows = [("username", "role", "countries", "status", "name")]
    for user in sorted(found.values(), key=lambda u: u.username):
        status = "disabled" if user.disabled else "active"
        if user.demo and user.username not in in_database:
            status += " (demo, built in)"
        rows.append((user.username, user.role, user.country_text, status, user.name))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    return 0


def _set_password(args: argparse.Namespace) -> int:
    settings = load_settings()
    try:
        password = read_password(args.password_stdin)
        user = users.set_password(settings.database_url, args.username, password)
    except UserError as exc:
        return _fail(exc)
    _done(settings, "set_password", user.username)
    ended = _revoke(settings, user.username, "password changed")
    print(f"password of {user.username} changed; their open sessions must sign in again "
          f"({ended})")
    return 0


def _set_disabled(args: argparse.Namespace) -> int:
    settings = load_settings()
    try:
        user = users.set_disabled(settings.database_url, args.username, args.disabled)
    except UserError as exc:
        return _fail(exc)
    _done(settings, "disable" if args.disabled else "enable", user.username)
    ended = f" ({_revoke(settings, user.username, 'disabled')})" if args.disabled else ""
    print(f"{user.username} {'disabled' if args.disabled else 'enabled'}{ended}")
    return 0


def _remove(args: argparse.Namespace) -> int:
    settings = load_settings()
    for name in args.usernames:
        try:
            user = users.remove(settings.database_url, name)
        except UserError as exc:
            return _fail(exc)
        _done(settings, "remove", user.username)
        print(f"removed {user.username} ({_revoke(settings, user.username, 'removed')})")
    return 0


def _set_role(args: argparse.Namespace) -> int:
    settings = load_settings()
    try:
        user = users.set_role(settings.database_url, args.username, args.role,
                              tuple(args.country), args.partner)
    except UserError as exc:
        return _fail(exc)
    _done(settings, "set_role", user.username, role=user.role, countries=list(user.countries))
    print(f"{user.username} is now {user.role}"
          f"{' (' + user.country_text + ')' if user.countries else ''}")
    return 0


def _import(args: argparse.Namespace) -> int:
    settings = load_settings()
    try:
        result = users.import_file(settings.database_url, args.file)
    except UserError as exc:
        return _fail(exc)
    for change, names in (("add", result.added), ("import_update", result.updated)):
        for name in names:
            _done(settings, change, name, source="import")
    print(f"imported {args.file}: {len(result.added)} added, {len(result.updated)} updated, "
          f"{len(result.unchanged)} unchanged")
    return 0
