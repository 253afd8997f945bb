"""The page registry: which page files exist and which roles may open them.

app.py registers with ``st.navigation`` only the pages of the viewer's role, so a page a
role may not see is never registered (a deep link to it shows "Page not found").
"""

from __future__ import annotations

from dataclasses import dataclass

ALL_ROLES = frozenset({"admin", "manager", "focal_point", "donor"})
# Who sees what (issue 4). A page without ``roles`` is STAFF only: donors see a page only
# when it says AGGREGATED (disclosed aggregate figures, no records). Admins see every page.
STAFF = frozenset({"admin", "manager", "focal_point"})
AGGREGATED = ALL_ROLES
ADMIN = frozenset({"admin"})


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    icon: str
    roles: frozenset[str] = STAFF
    section: str = "Programme"


PAGES: tuple[PageSpec, ...] = (
    PageSpec("pages/overview.py", "Overview", ":material/dashboard:", AGGREGATED),
    PageSpec("pages/beneficiaries.py", "Beneficiaries", ":material/groups:", ALL_ROLES),
    PageSpec("pages/projects.py", "Reintegration projects", ":material/storefront:", ALL_ROLES),
    PageSpec("pages/cooperatives.py", "Cooperatives", ":material/handshake:", ALL_ROLES),
    PageSpec("pages/training.py", "Training and coaching", ":material/school:", ALL_ROLES),
    PageSpec("pages/outcomes.py", "Outcomes", ":material/trending_up:", ALL_ROLES),
    PageSpec("pages/capacity.py", "Capacity building", ":material/account_balance:",
             ALL_ROLES),
    PageSpec("pages/targets.py", "Targets", ":material/flag:", ALL_ROLES),
    PageSpec("pages/donor_report.py", "Donor report", ":material/slideshow:", ALL_ROLES,
             section="Reports"),
    PageSpec("pages/data_quality.py", "Data quality", ":material/fact_check:", STAFF),
    PageSpec("pages/caseload.py", "Caseload", ":material/folder_shared:", STAFF,
             section="Casework"),
    PageSpec("pages/administration.py", "Administration", ":material/admin_panel_settings:",
             ADMIN, section="Administration"),
    PageSpec("pages/import_data.py", "Import", ":material/upload_file:", STAFF,
             section="Administration"),
)


def pages_for(role: str | None) -> list[PageSpec]:
    """The pages a role may open (none for nobody); admins get every page."""
    if role is None:
        return []
    return [p for p in PAGES if role == "admin" or role in p.roles]
