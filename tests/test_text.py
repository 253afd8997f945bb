"""Text from data or users is shown as text, never as Markdown or HTML (issue 15).

- ``ui.text.md`` / ``say``: Markdown, HTML, ``javascript:`` links, bare URLs and
  Streamlit directives come out as literal text (checked by rendering them with the same
  Markdown parser family? No: by the escaping rule CommonMark defines, and in the real
  browser by tests/browser/test_text_browser.py).
- A lint over ``pages/`` and ``ui/``: no Markdown-rendering call (``st.markdown``,
  ``caption``, ``info``, ``error``, ``warning``, ``success``, ``toast``, ``write``,
  ``expander``, ``title``, ``header``, ``subheader``) is handed an f-string, a
  ``.format()``, a ``%`` or a ``+`` unless it goes through ``say``/``md``.
- Through the app (AppTest): a case whose names and phone are Markdown, HTML and
  ``javascript:`` links, searched for with Markdown, opened in the Caseload's case detail:
  every markdown element holding it shows it escaped.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RENDERS_MARKDOWN = {"markdown", "caption", "info", "error", "warning", "success", "toast",
                    "write", "expander", "title", "header", "subheader"}
HELPERS = {"say", "md", "bullets", "bold"}


def _through_helper(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and (
        (isinstance(node.func, ast.Name) and node.func.id in HELPERS)
        or (isinstance(node.func, ast.Attribute) and node.func.attr in HELPERS))


def _interpolates(node: ast.AST) -> bool:
    """An f-string, a ``.format()``, ``%`` or ``+`` anywhere in the argument, outside
    ``say``/``md``."""
    if _through_helper(node):
        return False
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        # "escaped" + "escaped" is fine; "escaped" + anything else is not.
        return not all(_through_helper(side) or (isinstance(side, ast.Constant)
                                                 and isinstance(side.value, str))
                       or (isinstance(side, ast.BinOp) and not _interpolates(side))
                       for side in (node.left, node.right))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return True
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr == "format":
        return True
    return any(_interpolates(child) for child in ast.iter_child_nodes(node))


def offending_calls(root: Path = ROOT) -> list[str]:
    found = []
    for path in sorted([*root.glob("pages/*.py"), *root.glob("ui/*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in RENDERS_MARKDOWN):
                continue
            receiver = ast.unparse(node.func.value)
            if receiver.split(".")[0] in ("log", "logger", "logging", "LOG"):
                continue
            shown = node.args[:1] + [k.value for k in node.keywords
                                     if k.arg in ("body", "label", "text")]
            if any(_interpolates(arg) for arg in shown):
                found.append(f"{path.relative_to(root)}:{node.lineno}: "
                             f"{ast.unparse(node)[:90]}")
    return found


def test_no_page_renders_interpolated_text_as_markdown() -> None:
    offenders = offending_calls()
    assert not offenders, "use ui.text.say/md for:\n" + "\n".join(offenders)


# --- the escaping rule -------------------------------------------------------------------

ATTACKS = {
    "first_name": "![x](http://host/pixel.png)",
    "last_name": "[Session expired: sign in again](http://host/phish)",
    "phone": "<img src=x onerror=alert(1)> [go](javascript:alert(1)) www.host.example",
}


def test_md_leaves_no_markdown_special_unescaped() -> None:
    from ui.text import JOINER, md, say

    for text in [*ATTACKS.values(), "<b>bold</b> **x** _y_ `z` :red[w] $x$ a@b.org # h",
                 "line\n# heading\n- item"]:
        escaped = md(text)
        # Remove the escapes: what is left is the text itself (nothing was dropped) ...
        unescaped = re.sub(r"\\(.)", r"\1", escaped)
        assert unescaped.replace(JOINER, "") == " ".join(text.split())
        # ... and no autolink literal is left: "://", "www." and "@" are broken up.
        assert not re.search(r"://|www\.|@(?!\u2060)", unescaped, re.IGNORECASE), unescaped
        # ... and no ASCII punctuation stands unescaped (so none starts any syntax).
        assert not re.search(r"(?<!\\)[!\"#$%&'()*+,\-./:;<=>?@\[\]^_`{|}~]",
                             re.sub(r"\\.", "", escaped)), escaped
        assert "\n" not in escaped
    assert say("**{a}**", a="[x](y)") == r"**\[x\]\(y\)**"
    assert md(None) == ""


# --- through the app ---------------------------------------------------------------------

def _attack_db(make_database, name: str = "text_attack") -> tuple[str, str]:
    """A small demo database whose first Senegal case has Markdown and HTML for names."""
    from sqlalchemy import select, update

    import demo
    from data_access import db
    from data_access.models import Beneficiary
    from data_access.scope import Scope

    url = make_database("sqlite", name)
    demo.load(url, demo.generate(120, seed=5), progress=lambda _line: None)
    with db.session(url, Scope.everything()) as session:
        ben_id, number = session.execute(
            select(Beneficiary.id, Beneficiary.case_number)
            .where(Beneficiary.country == "SN").order_by(Beneficiary.id).limit(1)).one()
        session.execute(update(Beneficiary).where(Beneficiary.id == ben_id).values(**ATTACKS))
        session.commit()
    return url, number


def _markdown_texts(at) -> list[str]:
    texts = []
    for kind in ("markdown", "caption", "info", "error", "warning", "success", "title",
                 "header", "subheader"):
        texts += [str(e.value) for e in getattr(at, kind)]
    texts += [str(e.label) for e in at.expander]
    return texts


def test_the_case_detail_shows_markdown_names_as_text(make_database, monkeypatch) -> None:
    from streamlit.testing.v1 import AppTest

    from casework import caseload
    from data_access import db
    from data_access.scope import Scope
    from ui.text import md

    url, number = _attack_db(make_database)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DEMO_MODE", "true")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = at.session_state["name"] = "demo-focal-sn"
    at.run().switch_page("pages/caseload.py").run()
    at = at.text_input(key="cl_search").input(number).run()
    with db.session(url, Scope.everything()) as session:
        found = caseload.cases(session, today=dt.date.today(), search=number, limit=5)
    case_id = int(found.rows["id"].iloc[0])
    at = at.selectbox(key="cl_case").set_value(case_id).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = _markdown_texts(at)
    detail = [t for t in shown if "Session expired" in t]
    assert detail, shown  # the case detail is on the page ...
    full = f"{ATTACKS['first_name']} {ATTACKS['last_name']}"
    assert md(full) in detail[0] and md(ATTACKS["phone"]) in detail[0]
    for text in shown:  # ... and no markdown element holds an unescaped link, image, tag
        bare = re.sub(r"\\.", "", text)  # what is left once the escaped characters go
        for syntax in ("](", "![", "<", "javascript:", "http:", "www."):
            assert syntax not in bare, text
    # In the table and the case chooser the names are plain cells / options, as stored.
    assert full in set(at.dataframe[0].value.iloc[:, 4])


def test_a_users_name_in_the_sidebar_is_text(make_database, monkeypatch, tmp_path) -> None:
    from streamlit.testing.v1 import AppTest

    from accounts import users
    from ui.text import md

    name = "[Session expired](javascript:alert(1)) <b>x</b> www.host.example"
    url, _number = _attack_db(make_database, "text_attack_user")
    users.add(url, "amina", "a-long-password", "manager", name=name)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DEMO_MODE", "true")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = at.session_state["name"] = "amina"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    box = [m.value for m in at.sidebar.markdown if "Session expired" in m.value]
    assert box and md(name) in box[0], [m.value for m in at.sidebar.markdown]
