"""The interface language: ``_()``, ``N_()``, ``ngettext()``, ``pgettext()`` and the current
language (issue 7).

English is the source language: the strings in the code are the English text. French
comes from ``i18n/locale/fr/LC_MESSAGES/messages.po``, read once at import with Babel's
``read_po`` into a dict (no compiled ``.mo`` file, no build step).

The current language is a ``ContextVar``: ``app.py`` sets it at the start of every script
run from the sidebar choice (``ui.language``); reports, exports run on another thread and
``manage.py report`` set it explicitly with ``with language("fr"): ...``. Without a
choice it is English.

Marking strings (the extraction keywords ``tests/test_i18n.py`` and ``python -m
i18n.update`` look for):

- ``_("Returnees assisted")`` where the text is shown (translated now);
- ``N_("Returnees assisted")`` for module-level constants (the metrics catalogue,
  quality checks): returns the English text unchanged, and the code that displays it
  calls ``_(spec.title)``, so switching language needs no re-import;
- ``ngettext("{n} record", "{n} records", n)`` for counts;
- ``pgettext("cooperative", "Registered")`` where one English word needs two French ones.

Put placeholders in the message and fill them after translating:
``_("Row {row}: {column} is required").format(row=4, column="country")``.
"""

from __future__ import annotations

import contextlib
import gettext
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import ParamSpec, TypeVar

from babel.messages.pofile import read_po

LANGUAGES: tuple[str, ...] = ("en", "fr")
SOURCE = "en"
NAMES = {"en": "English", "fr": "Français"}  # each in its own language
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"

_current: ContextVar[str] = ContextVar("language", default=SOURCE)
T = TypeVar("T")
P = ParamSpec("P")

Key = str | tuple[str, str]  # message id, or (context, message id)


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def _load(language: str) -> tuple[dict[Key, str | tuple[str, ...]], Callable[[int], int]]:
    """The translated, non-fuzzy entries of a catalogue, and its plural rule."""
    path = po_path(language)
    if not path.exists():
        return {}, lambda n: int(n != 1)
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    entries: dict[Key, str | tuple[str, ...]] = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, tuple | list):
            if isinstance(message.string, tuple | list) and all(message.string):
                entries[message.id[0] if message.context is None
                        else (message.context, message.id[0])] = tuple(message.string)
        elif isinstance(message.string, str) and message.string:
            entries[message.id if message.context is None
                    else (message.context, message.id)] = message.string
    return entries, gettext.c2py(catalog.plural_expr)


_CATALOGUES = {lang: _load(lang) for lang in LANGUAGES if lang != SOURCE}


def normalise(language: object, default: str = SOURCE) -> str:
    """A supported language code ("fr", "FR", "fr_FR" → "fr"), else ``default``."""
    code = str(language or "").strip().lower().replace("-", "_").split("_")[0]
    return code if code in LANGUAGES else default


def get_language() -> str:
    return _current.get()


def set_language(language: str) -> None:
    """Set the language of the rest of this run (a script run, a command)."""
    _current.set(normalise(language))


@contextlib.contextmanager
def language(code: str) -> Iterator[str]:
    """``with language("fr"):`` the strings built inside are French."""
    token = _current.set(normalise(code))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def bound(function: Callable[P, T]) -> Callable[P, T]:
    """``function``, always run in the language current now: for a widget's
    ``format_func`` or a download callback that may be called outside this run."""
    chosen = _current.get()

    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        with language(chosen):
            return function(*args, **kwargs)
    return run


def _lookup(key: Key) -> str | tuple[str, ...] | None:
    lang = _current.get()
    if lang == SOURCE:
        return None
    return _CATALOGUES[lang][0].get(key)


def _(message: str) -> str:
    """``message`` in the current language (English, or its French translation)."""
    found = _lookup(message)
    return found if isinstance(found, str) else message


def N_(message: str) -> str:  # noqa: N802 - the usual gettext name
    """Mark a constant for translation without translating it (``_()`` it when shown)."""
    return message


def pgettext(context: str, message: str) -> str:
    found = _lookup((context, message))
    return found if isinstance(found, str) else message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural message for ``n``, by the current language's rule."""
    lang = _current.get()
    if lang != SOURCE:
        entries, rule = _CATALOGUES[lang]
        found = entries.get(singular)
        if isinstance(found, tuple):
            return found[min(rule(int(n)), len(found) - 1)]
    return singular if n == 1 else plural


__all__ = ["LANGUAGES", "NAMES", "N_", "_", "bound", "get_language", "language", "ngettext",
           "normalise", "pgettext", "set_language"]
