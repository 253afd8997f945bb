"""Extract the interface strings from the code and merge them into the catalogues.

    python -m i18n.update            # add new strings, mark vanished ones obsolete
    python -m i18n.update --check    # only report; exit 1 if a catalogue is out of date

What it does (``pybabel extract`` + ``pybabel update``, in code): reads every ``.py`` file
under ``SOURCES`` with Babel's Python extractor and the keywords ``_``, ``N_``,
``ngettext`` and ``pgettext``, then updates ``i18n/locale/<lang>/LC_MESSAGES/messages.po``:
a new string gets an empty translation (fill it in: ``msgstr "…"``), a string no longer
in the code is dropped. The app reads the ``.po`` file directly; nothing is compiled.

``tests/test_i18n.py`` fails while any string has no French translation or the catalogue
holds a string the code no longer uses, so run this after changing interface text, then
translate what it added (search the file for ``msgstr ""`` followed by a blank line).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

from i18n import LANGUAGES, SOURCE, po_path

ROOT = Path(__file__).resolve().parent.parent
# The code whose strings people see; tests, migrations and benchmarks are not translated.
SOURCES = ("app.py", "manage.py", "i18n", "ui", "views", "pages", "metrics", "analytics",
           "importing", "demo", "accounts", "casework", "data_access", "reports", "cli")
SKIP = ("data_access/migrations", "i18n/update.py")
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}


def source_files(root: Path = ROOT) -> Iterator[Path]:
    for name in SOURCES:
        path = root / name
        files = [path] if path.is_file() else sorted(path.rglob("*.py"))
        for file in files:
            relative = file.relative_to(root).as_posix()
            if not any(relative.startswith(skip) for skip in SKIP):
                yield file


def extract(root: Path = ROOT) -> Catalog:
    """Every marked string in the code, with where it is used."""
    template = Catalog(project="reintegration-dashboard", charset="utf-8")
    for file in source_files(root):
        relative = file.relative_to(root).as_posix()
        for line, message, comments, context in extract_from_file(
                "python", str(file), keywords=KEYWORDS, comment_tags=("TRANSLATORS:",),
                strip_comment_tags=True):
            template.add(message, None, [(relative, line)], auto_comments=comments,
                         context=context)
    return template


def read(language: str) -> Catalog:
    path = po_path(language)
    if not path.exists():
        return Catalog(locale=language, domain="messages", charset="utf-8")
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def keys(catalog: Catalog) -> set[tuple[str | None, str]]:
    """(context, message id) of every entry (the singular id for plurals)."""
    return {(m.context, m.id[0] if isinstance(m.id, tuple | list) else m.id)
            for m in catalog if m.id}


def update(language: str, template: Catalog) -> tuple[int, int]:
    """Merge the template into one catalogue; (added, removed)."""
    catalog = read(language)
    before = keys(catalog)
    catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
    catalog.obsolete.clear()  # a string the code no longer uses is dropped
    after = keys(catalog)
    path = po_path(language)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=96, omit_header=False, sort_output=False,
                 include_lineno=False)
    return len(after - before), len(before - after)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m i18n.update", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true",
                        help="only report missing and unused strings")
    args = parser.parse_args(argv)
    template = extract()
    wanted = keys(template)
    status = 0
    for language in LANGUAGES:
        if language == SOURCE:
            continue
        if args.check:
            catalog = read(language)
            have = keys(catalog)
            untranslated = [m.id for m in catalog if m.id and (not m.string or m.fuzzy or (
                isinstance(m.string, tuple) and not all(m.string)))]
            for label, items in (("missing", sorted(wanted - have, key=str)),
                                 ("unused", sorted(have - wanted, key=str)),
                                 ("untranslated", untranslated)):
                for item in items:
                    print(f"{language}: {label}: {item}")
                    status = 1
        else:
            added, removed = update(language, template)
            print(f"{po_path(language).relative_to(ROOT)}: {added} added, {removed} removed, "
                  f"{len(wanted)} in all")
    return status


if __name__ == "__main__":
    sys.exit(main())
