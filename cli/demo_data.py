"""`manage.py demo-data`: fill the case database with synthetic demo data.

The data is drawn for the programme of ``PROGRAMME_FILE`` (its countries and period).
Without ``--beneficiaries`` the demo programme's data is calibrated on its published
figures (another programme's countries get middling figures); ``--beneficiaries N``
scales every table, for
benchmarks. A database that already holds case data is left alone unless ``--replace``
(delete it first) or ``--if-empty`` (do nothing, successfully) says otherwise.
"""

from __future__ import annotations

import argparse
import sys
import time

import demo
from data_access import db
from data_access.settings import load_settings
from demo.profile import programme_world


def _positive(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise argparse.ArgumentTypeError("expected a whole number of at least 1")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo-data", help="fill the case database with synthetic demo data")
    parser.add_argument("--beneficiaries", type=_positive, default=None, metavar="N",
                        help=f"number of beneficiaries (default {demo.DEFAULT_BENEFICIARIES}, "
                             "calibrated on the published figures)")
    parser.add_argument("--seed", type=int, default=2015,
                        help="random seed: the same seed and size give the same data")
    existing = parser.add_mutually_exclusive_group()
    existing.add_argument("--if-empty", action="store_true",
                          help="do nothing if the database already holds case data")
    existing.add_argument("--replace", action="store_true",
                          help="delete all case data first")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    url = load_settings().database_url
    started = time.perf_counter()
    db.upgrade(url)
    existing = demo.existing_rows(url)
    if existing:
        held = ", ".join(f"{name} {count:,}" for name, count in existing.items())
        if args.if_empty:
            print(f"demo-data: the database already holds case data ({held}); "
                  "nothing done (--if-empty)")
            return 0
        if not args.replace:
            print(f"demo-data: the database already holds case data ({held}). Use --replace "
                  "to delete it and load the demo data, or --if-empty to keep it.",
                  file=sys.stderr)
            return 1
        print("demo-data: deleting the existing case data")
        demo.clear(url)

    world = programme_world()
    size = args.beneficiaries or world.registered
    print(f"demo-data: generating {size:,} beneficiaries (seed {args.seed})")
    tables = demo.generate(size, args.seed, world)
    print(f"demo-data: loading ({time.perf_counter() - started:.1f} s so far)")
    demo.load(url, tables, progress=print)
    total = sum(len(t) for t in tables)
    print(f"demo-data: {total:,} rows in {time.perf_counter() - started:.1f} s")
    for table in tables:
        print(f"  {table.name:<26} {len(table):>10,}")
    return 0
