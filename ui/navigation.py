"""The page registry: which page files exist and which roles may open them.

app.py registers with ``st.navigation`` only the pages of the viewer's role, so a page a
role may not see is never registered (a deep link to it shows "Page not found").
"""

from __future__ import annotations

from dataclasses import dataclass

ALL_ROLES = frozenset({"admin", "manager", "focal_point", "donor"})
STAFF = frozenset({"admin", "manager", "focal_point"})


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    icon: str
    roles: frozenset[str] = ALL_ROLES
    section: str = "Programme"


PAGES: tuple[PageSpec, ...] = (
    PageSpec("pages/overview.py", "Overview", ":material/dashboard:"),
)


def pages_for(role: str) -> list[PageSpec]:
    return [p for p in PAGES if role in p.roles]
