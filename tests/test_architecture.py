"""Dependencies point down, and every allowed arrow is written here.

Each of our packages (and the two top-level scripts) may import only the packages of
ours named in ``ALLOWED``; an import of any other of ours is a violation, so a new arrow
is a decision made in this file (and drawn in README.md's Architecture section), never
an accident. Bottom to top:

    i18n → data_access → analytics → metrics → views → reports → ui → pages → app.py
                       ↘ accounts               ↘ casework, importing, demo → cli → manage.py

Besides: nothing below ``ui`` imports Streamlit (the CLI, exports and benchmarks run the
same code without a page); ``pages`` never import SQLAlchemy (they ask ``metrics``, through
``ui``, for figures, so every read goes through the scoped session).

The checker reads every ``.py`` file with ``ast`` (``import x``, ``import x as y``,
``from x import y``, relative imports, and ``importlib.import_module("x")`` /
``__import__("x")`` with a literal name), so it does not import the code it checks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# package (or top-level script) -> the packages of ours it may import. Keep README.md's
# Architecture drawing in step.
ALLOWED: dict[str, frozenset[str]] = {
    "i18n": frozenset(),  # the bottom: translations and formats
    "data_access": frozenset({"i18n"}),
    "analytics": frozenset({"data_access", "i18n"}),
    "accounts": frozenset({"data_access", "i18n"}),
    "casework": frozenset({"metrics", "analytics", "data_access", "i18n"}),
    "metrics": frozenset({"analytics", "data_access", "i18n"}),
    "importing": frozenset({"metrics", "analytics", "data_access", "i18n"}),
    "demo": frozenset({"metrics", "analytics", "data_access", "i18n"}),
    # data_access: the programme file's countries, for the colour of each (palette).
    "views": frozenset({"metrics", "data_access", "i18n"}),
    "reports": frozenset({"views", "metrics", "accounts", "data_access", "i18n"}),
    "ui": frozenset({"reports", "views", "metrics", "importing", "casework", "accounts",
                     "analytics", "data_access", "i18n"}),
    "pages": frozenset({"ui", "reports", "views", "metrics", "importing", "casework",
                        "accounts", "data_access", "i18n"}),
    "cli": frozenset({"reports", "metrics", "importing", "demo", "accounts", "analytics",
                      "data_access", "i18n"}),
    "app.py": frozenset({"ui", "accounts", "data_access", "i18n"}),
    "manage.py": frozenset({"cli"}),
}
OURS = frozenset(name.removesuffix(".py") for name in ALLOWED) | {"tests", "benchmarks",
                                                                  "scripts"}
# Third-party modules a package must not import, with the reason.
BANNED: dict[str, dict[str, str]] = {
    **{layer: {"streamlit": f"{layer} sits below ui: it must not depend on Streamlit"}
       for layer in ("i18n", "data_access", "analytics", "accounts", "casework", "metrics",
                     "importing", "demo", "views", "reports", "cli")},
    "pages": {"sqlalchemy": "pages must not query the database: ask metrics for figures"},
}
# Kept for the planted-violation tests below: every layer folder.
RULES = {layer: BANNED.get(layer, {}) for layer in ALLOWED if not layer.endswith(".py")}


def _package_of(path: Path, root: Path) -> list[str]:
    return list(path.relative_to(root).with_suffix("").parts[:-1])


def imported_modules(path: Path, root: Path, *, runtime_only: bool = False
                     ) -> list[tuple[int, str]]:
    """(line, absolute module name) for every import in one file (``runtime_only``: but
    those under ``if TYPE_CHECKING:``, which never run)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    if runtime_only:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and getattr(node.test, "id", getattr(
                    node.test, "attr", "")) == "TYPE_CHECKING":
                node.body = []
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


def _files_of(root: Path, layer: str) -> list[Path]:
    path = root / layer
    if layer.endswith(".py"):
        return [path] if path.is_file() else []
    files = sorted(path.rglob("*.py")) if path.is_dir() else []
    # Migrations are frozen history: they import what existed when they were written.
    return [f for f in files if "migrations" not in f.relative_to(root).parts]


def violations(root: Path) -> list[str]:
    """Every forbidden import under ``root``, as 'file:line: imports X (reason)'."""
    problems: list[str] = []
    for layer, allowed in ALLOWED.items():
        own = layer.removesuffix(".py")
        for path in _files_of(root, layer):
            for line, module in imported_modules(path, root):
                top = module.split(".")[0]
                where = f"{path.relative_to(root)}:{line}: imports {module}"
                if top in OURS and top != own and top not in allowed:
                    problems.append(f"{where} ({own} may import only "
                                    f"{', '.join(sorted(allowed)) or 'nothing of ours'})")
                for banned, reason in BANNED.get(layer, {}).items():
                    if module == banned or module.startswith(banned + "."):
                        problems.append(f"{where} ({reason})")
    return sorted(set(problems))


def checked_files(root: Path) -> list[Path]:
    return [p for layer in ALLOWED for p in _files_of(root, layer)]


def test_the_tree_respects_the_layers() -> None:
    files = checked_files(ROOT)
    assert any("data_access" in p.parts for p in files), "the checker found no data_access"
    assert any("metrics" in p.parts for p in files), "the checker found no metrics"
    for package in OURS - {"tests", "benchmarks", "scripts", "app", "manage"}:
        assert (ROOT / package).is_dir(), f"ALLOWED names {package}, which does not exist"
    for folder in ROOT.iterdir():
        if (folder / "__init__.py").is_file() and folder.name not in OURS:
            pytest.fail(f"package {folder.name} has no entry in ALLOWED: say what it may "
                        "import")
    problems = violations(ROOT)
    assert not problems, "layering violations:\n" + "\n".join(problems)


@pytest.mark.parametrize(("relpath", "source", "banned"), [
    ("metrics/bad.py", "import streamlit as st\n", "streamlit"),
    ("metrics/sub/bad.py", "from streamlit.runtime import exists\n", "streamlit.runtime"),
    ("metrics/bad.py", "def f():\n    import streamlit\n", "streamlit"),
    ("data_access/bad.py", "import streamlit\n", "streamlit"),
    ("data_access/bad.py", "from metrics import compute\n", "metrics"),
    ("data_access/bad.py", "from ..metrics import engine\n", "metrics"),
    ("data_access/bad.py", "import views.charts\n", "views.charts"),
    ("data_access/bad.py", "import ui.charts\n", "ui.charts"),
    ("analytics/bad.py", "from metrics import fast\n", "metrics"),
    ("metrics/bad.py", "from importing import run_import\n", "importing"),
    ("views/bad.py", "from ui import data\n", "ui"),
    ("views/bad.py", "import streamlit\n", "streamlit"),
    ("reports/bad.py", "from ui.kpi import card\n", "ui.kpi"),
    ("pages/bad.py", "from cli.importer import run\n", "cli.importer"),
    ("importing/bad.py", "from ui import page\n", "ui"),
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
        (tmp_path / layer).mkdir(parents=True, exist_ok=True)
        (tmp_path / layer / "fine.py").write_text("import pandas\nfrom i18n import _\n")
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
        "pages/overview.py": "import streamlit as st\nimport metrics\nfrom ui import data\n",
        "reports/deck.py": "from views import charts\nfrom metrics import compute\n",
        "importing/codes.py": "from metrics import catalogue\n",
    }
    for relpath, source in files.items():
        (tmp_path / relpath).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relpath).write_text(source)
    assert violations(tmp_path) == []


# --- no circle between modules -----------------------------------------------------------

def module_cycles(root: Path) -> list[list[str]]:
    """Every circle of imports between our modules (function-level imports included), as
    the sorted modules of each strongly connected component of more than one."""
    modules: dict[str, Path] = {}
    for layer in ALLOWED:
        for path in _files_of(root, layer):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for _, imported in imported_modules(path, root, runtime_only=True):
            target = imported
            while target and target not in modules:
                target = target.rpartition(".")[0]
            # A package's own sub-module importing it (its __init__) is not a circle.
            if target and target != name and not name.startswith(target + "."):
                graph[name].add(target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_no_circle_between_modules() -> None:
    cycles = module_cycles(ROOT)
    assert not cycles, "modules importing each other (directly or around a circle):\n" + \
        "\n".join(" ↔ ".join(c) for c in cycles)


def test_a_planted_circle_is_caught(tmp_path: Path) -> None:
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "a.py").write_text("from metrics import b\n")
    (tmp_path / "metrics" / "b.py").write_text("def f():\n    from metrics.a import x\n")
    (tmp_path / "metrics" / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from metrics.d import D\n")
    (tmp_path / "metrics" / "d.py").write_text("from metrics import c\n")
    assert module_cycles(tmp_path) == [["metrics.a", "metrics.b"]]
