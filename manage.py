#!/usr/bin/env python
"""The one command-line entry point: `python manage.py --help` lists the commands.

Each command lives in its own module under ``cli/`` and is listed in ``cli.COMMANDS``.
"""

from __future__ import annotations

import sys

from cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
