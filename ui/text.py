r"""Text that comes from data or from users, shown as text: never as Markdown or HTML.

Streamlit renders the strings given to ``st.markdown``, ``st.caption``, ``st.info``,
``st.error``, ``st.warning``, ``st.success``, ``st.toast``, ``st.write`` and widget labels
as GitHub-flavoured Markdown: a returnee imported with the first name
``![x](http://host/pixel.png)`` would make every viewer's browser fetch that image, and a
last name ``[Session expired: sign in again](http://host/phish)`` would be a link (issue
15). Bare URLs (``http://…``, ``www.…``) and e-mail addresses become links too, and
``:red[…]``, ``:material/…:`` and ``$…$`` are Streamlit's own directives.

The ONE way to put such text on a page:

- ``md(value)``: ``value`` as literal Markdown text. Every ASCII punctuation character is
  backslash-escaped (CommonMark lets any of them be escaped, and an escaped one starts
  nothing: no link, image, emphasis, HTML tag, entity, directive or formula), and line
  breaks become spaces (a line of its own could start a heading or a list). GFM's
  "autolink literals" are found in the text AFTER escapes are resolved (a real browser
  showed ``http\:\/\/host`` still became a link), so an invisible WORD JOINER (U+2060)
  also goes into every ``://``, ``www.`` and ``@``: none of them is a link any more.
- ``say(template, **values)``: ``template`` is the page's own Markdown (a translated
  message, ``**bold**`` allowed), each value is ``md()``-escaped before it is filled in.

``tests/test_text.py`` fails when a page or ``ui`` module hands one of those calls an
f-string, a ``.format()``, a ``%`` or a ``+`` that does not go through ``say``/``md``.
Tables (``st.dataframe``) and selectbox options show their cells as plain text already.
"""

from __future__ import annotations

import re
from typing import Any

# Every ASCII punctuation character (CommonMark: "any ASCII punctuation character may be
# backslash-escaped").
_SPECIAL = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")
_SPACES = re.compile(r"\s+")
JOINER = "\u2060"  # WORD JOINER: invisible, zero width
_AUTOLINK = re.compile(r"(:)(?=//)|(?i:(www))(?=\.)|(@)")


def md(value: Any) -> str:
    """``value`` (any object; None is blank) as Markdown that renders exactly as its text."""
    if value is None:
        return ""
    text = _SPACES.sub(" ", str(value))
    text = _AUTOLINK.sub(lambda m: m.group(0) + JOINER, text)
    return _SPECIAL.sub(r"\\\1", text)


def say(template: str, /, **values: Any) -> str:
    """``template.format(**values)`` with every value escaped by ``md``."""
    return template.format(**{name: md(value) for name, value in values.items()})


def bold(text: str) -> str:
    """The page's OWN text (a translated heading, no data) in bold."""
    return f"**{text}**"


def bullets(items: list[str]) -> str:
    """A Markdown list of the page's OWN messages (trusted Markdown, e.g. translated
    rules with **bold**); data goes in through ``say``/``md`` first."""
    return "\n".join("- " + item for item in items)
