"""Download buttons under every chart (PNG, SVG) and table (CSV, XLSX), issue 6.

Called from ``ui.page.chart`` / ``ui.page.table`` only, so every chart and table of every
page gets them. Files are made by ``reports.files`` from exactly what the page shows (the
same Altair chart, the same disclosed frame), so a donor's or a focal point's download
holds what they may see on screen and nothing more.

Cheap on reruns: the buttons sit in a small popover and get a *callable* as ``data``
(Streamlit runs it only when the button is clicked, on its own thread), so a page with six
charts renders no PNG until someone asks for one. The callable also writes the export to
the audit log. ``on_click="ignore"``: a download does not rerun the page.

Keys are made from the file name, so two exports on one page need different name stems.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable

import altair as alt
import pandas as pd
import streamlit as st

from data_access.scope import Scope
from i18n import _, get_language, language
from metrics.filters import Filters
from reports import files
from reports.audit import record_export

HIDDEN = re.compile(r"^(<\d+|hidden.*)$")


def _context(filters: Filters, money: bool = False
             ) -> tuple[files.Provenance, str, str | None, Scope]:
    from data_access.programme import programme_title
    from ui import data
    from ui.viewer import current_scope

    scope = current_scope()
    provenance = files.Provenance(
        programme_title(), filters, data.data_as_of(),
        scope.suppression_threshold if scope.aggregates_only else None, scope.rounding_base,
        data.money_note(filters) if money else "")
    username = st.session_state.get("username")
    return provenance, data.database_url(), str(username) if username else None, scope


def deferred(make: Callable[[], bytes], url: str, username: str | None, kind: str,
             fmt: str, file: str, filters: Filters, scope: Scope) -> Callable[[], bytes]:
    """``make`` for ``st.download_button(data=…)``: runs on click, then logs the export
    (a failure to log must not lose the download). It runs on another thread, so the
    language of the page that drew the button is carried over."""
    chosen = get_language()

    def run() -> bytes:
        with language(chosen):
            content = make()
        with contextlib.suppress(Exception):
            record_export(url, username, kind, fmt, file, filters, scope)
        return content
    return run


def chart_downloads(chart: alt.TopLevelMixin, frame: pd.DataFrame, filters: Filters,
                    name: str, money: bool = False) -> None:
    provenance, url, username, scope = _context(filters, money)
    lines = provenance.lines(files.hidden_count(frame) or None)
    stem = files.file_name(name, filters, "x")[:-2]
    with st.popover(_("Download"), icon=":material/download:", key=f"dlp-{stem}"):
        for fmt, render in (("png", files.chart_png), ("svg", files.chart_svg)):
            file = f"{stem}.{fmt}"
            st.download_button(
                _("{format} image").format(format=fmt.upper()),
                deferred(functools.partial(render, chart, lines), url, username, "chart", fmt, file,
                         filters, scope),
                file_name=file, mime=files.MIME[fmt], key=f"dl-{file}", on_click="ignore",
                icon=":material/image:")


def hidden_cells(frame: pd.DataFrame) -> int:
    """Cells of a people table that show a hidden figure ("<5", "hidden …")."""
    # Not astype(str): under pandas 3 a missing cell stays missing and match() fails.
    return int(frame.map(lambda v: isinstance(v, str) and bool(HIDDEN.match(v)))
               .to_numpy().sum())


def table_downloads(source: pd.DataFrame | Callable[[], pd.DataFrame], filters: Filters,
                    name: str, title: str, money: bool = False) -> None:
    """CSV/XLSX buttons for a table (``source``: the table, or a callable that builds it).
    Everything that reads the whole table (counting hidden cells, writing the file) runs
    on click, so a long table costs nothing on reruns. ``money``: the files say the
    currency and the rates behind the amounts."""
    provenance, url, username, scope = _context(filters, money)
    stem = files.file_name(name, filters, "x")[:-2]

    def whole() -> tuple[pd.DataFrame, list[str]]:
        frame = source() if callable(source) else source
        return frame, provenance.lines(hidden_cells(frame) or None)

    def csv() -> bytes:  # header first; the source is in its name (and the XLSX)
        return files.table_csv(whole()[0])

    def xlsx() -> bytes:
        return files.table_xlsx(*whole(), title=title[:1].upper() + title[1:],
                                sheet=_("Data"))

    makers: dict[str, Callable[[], bytes]] = {"csv": csv, "xlsx": xlsx}
    with st.popover(_("Download"), icon=":material/download:", key=f"dlp-{stem}"):
        for fmt, make in makers.items():
            file = f"{stem}.{fmt}"
            st.download_button(
                "CSV" if fmt == "csv" else _("Excel (XLSX)"),
                deferred(make, url, username, "table", fmt, file, filters, scope),
                file_name=file, mime=files.MIME[fmt], key=f"dl-{file}", on_click="ignore",
                icon=":material/table:")


# Roles that publish the programme's results (issue 20): the IATI file is the
# organisation's publication of the whole programme, so managers and administrators
# make it. A donor already has the Donor report; a focal point sees one country, and an
# activity file of one country's slice would misstate the programme.
PUBLISHERS = ("admin", "manager")


def iati_file(url: str) -> bytes:
    """The IATI activity file, always read in a donor (aggregates-only) session whatever
    the viewer's own scope: every figure in it is a protected one."""
    from data_access import db
    from data_access.programme import programme_title
    from data_access.settings import load_settings
    from reports import iati

    settings = load_settings()
    scope = Scope(aggregates_only=True, suppression_threshold=settings.suppression_threshold,
                  rounding_base=settings.disclosure_rounding_base)
    activity = iati.load_activity(settings.iati_activity_file)
    with db.session(url, scope) as session:
        # The publication's own language is English (the file carries both narratives).
        return iati.build(session, activity, programme=programme_title("en")).content


def iati_download() -> None:
    """The "IATI results file" button of the Targets page, for managers and admins only
    (nothing for the other roles). Built on click, written to the audit log. The file is
    the whole programme whatever the sidebar says (so are its name and audit entry)."""
    from data_access.settings import load_settings
    from ui import data
    from ui.viewer import current_role

    if current_role() not in PUBLISHERS:
        return
    settings = load_settings()
    if not settings.iati_activity_file.exists():
        from ui.text import say

        st.caption(say(_("No IATI activity file ({path}): the IATI export is not set up."),
                       path=settings.iati_activity_file.name))
        return
    url = data.database_url()
    username = st.session_state.get("username")
    scope = Scope(aggregates_only=True, suppression_threshold=settings.suppression_threshold,
                  rounding_base=settings.disclosure_rounding_base)
    whole = Filters()
    file = files.file_name("iati_results", whole, "xml")
    st.download_button(
        _("IATI results file (XML)"),
        deferred(functools.partial(iati_file, url), url, str(username) if username else None,
                 "iati", "xml", file, whole, scope),
        file_name=file, mime="application/xml", key="dl-iati", on_click="ignore",
        icon=":material/public:",
        help=_("The logframe's results, indicators, baselines, targets and actuals as an "
               "IATI 2.03 activity file, with the figures a donor sees (small counts "
               "withheld), validated against the IATI schema."))
