"""The page registry: which page files exist and which roles may open them.

app.py registers with ``st.navigation`` only the pages of the viewer's role, so a page a
role may not see is never registered (a deep link to it shows "Page not found").
"""

from __future__ import annotations

from dataclasses import dataclass

from i18n import N_

ALL_ROLES = frozenset({"admin", "manager", "focal_point", "donor", "partner"})
# Who sees what (issue 4). A page without ``roles`` is STAFF only: donors see a page only
# when it says AGGREGATED (disclosed aggregate figures, no records). Admins see every page.
STAFF = frozenset({"admin", "manager", "focal_point"})
AGGREGATED = ALL_ROLES
ADMIN = frozenset({"admin"})
# A partner user (issue 21) sees the programme pages and the caseload, through its partner
# scope (its own beneficiaries' records only); it imports nothing and administers nothing.
WITH_PARTNERS = STAFF | {"partner"}


@dataclass(frozen=True)
class PageSpec:
    """``title`` and ``section`` are English (``N_``): app.py shows them with ``_()``."""

    path: str
    title: str
    icon: str
    roles: frozenset[str] = STAFF
    section: str = N_("Programme")


PAGES: tuple[PageSpec, ...] = (
    PageSpec("pages/overview.py", N_("Overview"), ":material/dashboard:", AGGREGATED),
    PageSpec("pages/beneficiaries.py", N_("Beneficiaries"), ":material/groups:", ALL_ROLES),
    PageSpec("pages/projects.py", N_("Reintegration projects"), ":material/storefront:", ALL_ROLES),
    PageSpec("pages/cooperatives.py", N_("Cooperatives"), ":material/handshake:", ALL_ROLES),
    PageSpec("pages/training.py", N_("Training and coaching"), ":material/school:", ALL_ROLES),
    PageSpec("pages/outcomes.py", N_("Outcomes"), ":material/trending_up:", ALL_ROLES),
    PageSpec("pages/partners.py", N_("Partners and referrals"), ":material/diversity_3:",
             WITH_PARTNERS),
    PageSpec("pages/capacity.py", N_("Capacity building"), ":material/account_balance:",
             ALL_ROLES),
    PageSpec("pages/targets.py", N_("Targets"), ":material/flag:", ALL_ROLES),
    PageSpec("pages/donor_report.py", N_("Donor report"), ":material/slideshow:", ALL_ROLES,
             section=N_("Reports")),
    PageSpec("pages/data_quality.py", N_("Data quality"), ":material/fact_check:", STAFF),
    PageSpec("pages/caseload.py", N_("Caseload"), ":material/folder_shared:", WITH_PARTNERS,
             section=N_("Casework")),
    PageSpec("pages/administration.py", N_("Administration"), ":material/admin_panel_settings:",
             ADMIN, section=N_("Administration")),
    PageSpec("pages/import_data.py", N_("Import"), ":material/upload_file:", STAFF,
             section=N_("Administration")),
)


def pages_for(role: str | None) -> list[PageSpec]:
    """The pages a role may open (none for nobody); admins get every page."""
    if role is None:
        return []
    return [p for p in PAGES if role == "admin" or role in p.roles]
