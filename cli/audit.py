"""`manage.py audit --since DATE`: print the audit log (sign-ins, sign-outs, exports, user
changes), oldest first, times in UTC."""

from __future__ import annotations

import argparse
import datetime as dt

from accounts import audit
from data_access.settings import load_settings


def _date(raw: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise argparse.ArgumentTypeError("expected a date as YYYY-MM-DD") from exc


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("audit", help="print the audit log")
    parser.add_argument("--since", type=_date, required=True, metavar="DATE",
                        help="first day to print (YYYY-MM-DD, UTC)")
    parser.add_argument("--action", action="append", default=[], choices=audit.ACTIONS,
                        help="only these actions (repeat for several)")
    parser.add_argument("--user", default=None, help="only this username")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    url = load_settings().database_url
    events = audit.events(url, args.since, actions=args.action, username=args.user)
    for event in reversed(events):
        print(f"{event.at:%Y-%m-%d %H:%M:%S}  {event.username or '-':<20}  "
              f"{event.action:<15}  {event.describe()}")
    print(f"{len(events)} event(s) since {args.since} (UTC)")
    return 0
