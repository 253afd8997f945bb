"""Dependencies point down: pages → metrics → data_access.

- ``data_access`` and ``metrics`` never import Streamlit (they run in the CLI, exports and
  benchmarks too, and must not depend on a page being drawn).
- ``data_access`` imports none of ``metrics``, ``ui``, ``pages``; ``metrics`` imports neither
  ``ui`` nor ``pages``.
- ``pages`` never import SQLAlchemy: they ask ``metrics`` (and ``ui`` helpers) for figures,
  so every read goes through the scoped session and the indicator engine.

The checker reads every ``.py`` file with ``ast`` (``import x``, ``import x as y``,
``from x import y``, relative imports, and ``importlib.import_module("x")`` /
``__import__("x")`` with a literal name), so it does not import the code it checks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# layer folder -> modules (and their sub-modules) it must not import, with the reason
RULES: dict[str, dict[str, str]] = {
    "data_access": {
        "streamlit": "data_access must not depend on Streamlit",
        "metrics": "data_access is the bottom layer: it must not import metrics",
        "ui": "data_access is the bottom layer: it must not import ui",
        "pages": "data_access is the bottom layer: it must not import pages",
    },
    "metrics": {
        "streamlit": "metrics must not depend on Streamlit",
        "ui": "metrics sits below ui: it must not import ui",
        "pages": "metrics sits below pages: it must not import pages",
    },
    "pages": {
        "sqlalchemy": "pages must not query the database: ask metrics for figures",
    },
}


def _package_of(path: Path, root: Path) -> list[str]:
    return list(path.relative_to(root).with_suffix("").parts[:-1])


def imported_modules(path: Path, root: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) for every import in one file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the file's package
                package = _package_of(path, root)
                base = package[:len(package) - (node.level - 1)]
            else:
                base = []
            module = ".".join(base + ([node.module] if node.module else []))
            if module:
                found.append((node.lineno, module))
            # `from data_access import models`: the names may be sub-modules too
            found += [(node.lineno, f"{module}.{a.name}".lstrip("."))
                      for a in node.names if a.name != "*"]
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            arg = node.args[0]
            if name in ("import_module", "__import__") and isinstance(arg, ast.Constant) \
                    and isinstance(arg.value, str):
                found.append((node.lineno, arg.value))
    return found


def violations(root: Path) -> list[str]:
    """Every forbidden import under ``root``, as 'file:line: imports X (reason)'."""
    problems: list[str] = []
    for layer, forbidden in RULES.items():
        folder = root / layer
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*.py")):
            for line, module in imported_modules(path, root):
                for banned, reason in forbidden.items():
                    if module == banned or module.startswith(banned + "."):
                        problems.append(f"{path.relative_to(root)}:{line}: imports {module} "
                                        f"({reason})")
    return sorted(set(problems))


def checked_files(root: Path) -> list[Path]:
    return [p for layer in RULES if (root / layer).is_dir() for p in (root / layer).rglob("*.py")]


def test_the_tree_respects_the_layers() -> None:
    files = checked_files(ROOT)
    assert any("data_access" in p.parts for p in files), "the checker found no data_access"
    assert any("metrics" in p.parts for p in files), "the checker found no metrics"
    problems = violations(ROOT)
    assert not problems, "layering violations:\n" + "\n".join(problems)


@pytest.mark.parametrize(("relpath", "source", "banned"), [
    ("metrics/bad.py", "import streamlit as st\n", "streamlit"),
    ("metrics/sub/bad.py", "from streamlit.runtime import exists\n", "streamlit.runtime"),
    ("metrics/bad.py", "def f():\n    import streamlit\n", "streamlit"),
    ("data_access/bad.py", "import streamlit\n", "streamlit"),
    ("data_access/bad.py", "from metrics import compute\n", "metrics"),
    ("data_access/bad.py", "from ..metrics import engine\n", "metrics"),
    ("data_access/bad.py", "import ui.charts\n", "ui.charts"),
    ("data_access/bad.py", "from pages import overview\n", "pages"),
    ("data_access/bad.py", "import importlib\nimportlib.import_module('metrics.engine')\n",
     "metrics.engine"),
    ("metrics/bad.py", "from ui import widgets\n", "ui"),
    ("metrics/bad.py", "from . import engine\nfrom .. import pages\n", "pages"),
    ("pages/bad.py", "from sqlalchemy import select\n", "sqlalchemy"),
    ("pages/bad.py", "import sqlalchemy.orm as orm\n", "sqlalchemy.orm"),
])
def test_a_planted_violation_is_caught(tmp_path: Path, relpath: str, source: str,
                                       banned: str) -> None:
    for layer in RULES:
        (tmp_path / layer).mkdir()
        (tmp_path / layer / "fine.py").write_text("import pandas\nfrom data_access import db\n")
    bad = tmp_path / relpath
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_text(source)
    problems = violations(tmp_path)
    assert problems, f"{relpath} importing {banned} was not caught"
    assert all(p.startswith(str(Path(relpath))) for p in problems), problems
    assert any(f"imports {banned}" in p for p in problems), problems


def test_allowed_imports_pass(tmp_path: Path) -> None:
    files = {
        "data_access/db.py": "import sqlalchemy\nfrom data_access.scope import Scope\n",
        "metrics/engine.py": "import pandas\nfrom data_access import disclosure\n"
                             "from sqlalchemy import select\n",
        "pages/overview.py": "import streamlit as st\nimport metrics\nfrom ui import charts\n",
    }
    for relpath, source in files.items():
        (tmp_path / relpath).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relpath).write_text(source)
    assert violations(tmp_path) == []
