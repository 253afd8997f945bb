"""Text that comes from data or from users, shown as text: never as Markdown or HTML.

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
  nothing: no link, image, emphasis, HTML tag, entity, autolink, directive or formula), and
  line breaks become spaces (a line of its own could start a heading or a list).
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


def md(value: Any) -> str:
    """``value`` (any object; None is blank) as Markdown that renders exactly as its text."""
    if value is None:
        return ""
    text = _SPACES.sub(" ", str(value))
    return _SPECIAL.sub(r"\\\1", text)


def say(template: str, /, **values: Any) -> str:
    """``template.format(**values)`` with every value escaped by ``md``."""
    return template.format(**{name: md(value) for name, value in values.items()})


def bullets(items: list[str]) -> str:
    """A Markdown list of the page's OWN messages (trusted Markdown, e.g. translated
    rules with **bold**); data goes in through ``say``/``md`` first."""
    return "\n".join("- " + item for item in items)
