"""Who is looking: the signed-in user's role and scope, built in this one place.

Until login lands (issue 4) everyone is an unrestricted manager.
"""

from __future__ import annotations

from data_access.scope import Scope


def current_role() -> str:
    return "manager"


def current_scope() -> Scope:
    return Scope.everything()


def allowed_countries() -> tuple[str, ...]:
    return ("MA", "SN", "TN")
