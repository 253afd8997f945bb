"""Command-line commands. Each module in COMMANDS has ``register(subparsers)``, which adds
its sub-command and sets ``func(args) -> int`` (the exit code) on its parser."""

from __future__ import annotations

import argparse
import importlib
import sys

from data_access.db import DatabaseUnavailable
from data_access.settings import SettingsError

COMMANDS = (
    "cli.audit",
    "cli.db",
    "cli.demo_data",
    "cli.export",
    "cli.health",
    "cli.importer",
    "cli.indicators",
    "cli.rates",
    "cli.report",
    "cli.survey",
    "cli.template",
    "cli.users",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="manage.py", description="Reintegration monitoring dashboard: command line.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (SettingsError, DatabaseUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
