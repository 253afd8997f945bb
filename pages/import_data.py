"""Import (admin, manager; focal points for their own countries): bring in a field office's
spreadsheet, validated whole before anything is written (issue 5)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from data_access.db import DatabaseUnavailable
from i18n import _, pgettext
from i18n import formats as F
from importing import ImportReport, Source, run_import, survey
from importing.limits import Limits
from importing.problems import error_file_bytes, indicator_codes, problems_frame
from importing.template import write_workbook
from ui import data, filters, page
from ui.text import bold, bullets, md, say
from ui.viewer import current_role, current_scope, current_user

ROLES = ("admin", "manager", "focal_point")

filters.current()  # sets the language of this run (the page uses no filter)

role = current_role()
if role not in ROLES:  # never registered for others; belt and braces
    st.stop()
user = current_user()
username = getattr(user, "username", None) or "anonymous"
scope = current_scope()

page.header(_("Import"), _("Bring a field office's spreadsheet in: checked whole, written "
                            "whole or not at all."))
if scope.countries is not None:
    st.caption(say(_("You can import rows of {countries} only; a row of another country is "
                     "reported as a problem."), countries=", ".join(sorted(scope.countries))))


@st.cache_data(show_spinner=False)
def _template(codes: tuple[str, ...]) -> bytes:
    import io

    buffer = io.BytesIO()
    write_workbook(buffer, indicator_codes=codes)
    return buffer.getvalue()


bounds = Limits.current()
limits_text = _("Limits: {file} MB per file; {expanded} MB unpacked (the contents of an .xlsx "
                "or .zip); a compression ratio of {ratio}; {rows} rows per sheet; {cells} "
                "characters per cell. A file past a limit is refused before it is unpacked."
                ).format(file=F.number(bounds.file_mb), expanded=F.number(bounds.expanded_mb),
                         ratio=F.number(bounds.ratio), rows=F.number(bounds.rows),
                         cells=F.number(bounds.cell_chars))

with st.expander(_("The import template and the rules"), expanded=False):
    st.markdown(bullets([  # the page's own rules (Markdown), no data
        _("One **.xlsx** workbook with the sheets *beneficiaries, assistance, cooperatives, "
          "training, followups, capacity_building, targets* (keep every sheet, even empty), "
          "or the same sheets as **CSV UTF-8** files in a **.zip**, or a single CSV named "
          "after its sheet (e.g. `followups.csv`)."),
        _("English or French column names, codes and yes/no words; dates as YYYY-MM-DD, "
          "DD/MM/YYYY or Excel dates; countries and regions by ISO code or name."),
        _("Rows are matched on the country and case number (cooperatives on name and "
          "country, …): importing the same file twice changes nothing; a corrected file "
          "updates in place. Case numbers are unique per country: where a number is used in "
          "several of your countries, add a *country* column to the assistance, training "
          "and followups sheets."),
        _("Numbers: write 1500 or 1 500, and decimals as 1.5 or 1,5; 1,500 and 1.500 are "
          "refused as ambiguous."),
        _("A file with any problem writes nothing: every problem is listed below."),
        limits_text]))
    st.download_button(_("Download the empty template (.xlsx)"),
                       _template(tuple(indicator_codes())), "import_template.xlsx",
                       mime="application/vnd.openxmlformats-officedocument."
                            "spreadsheetml.sheet", icon=":material/download:")

TEMPLATE, SURVEY = "template", "survey"
# The options are the labels themselves (not a format_func of the language at the time):
# a widget's options must be the same strings on every run of one language.
KINDS = {_("The import template (a workbook or CSV files)"): TEMPLATE,
         _("A survey export (KoboToolbox or ODK Central)"): SURVEY}
kind = KINDS[st.radio(_("What is the file?"), tuple(KINDS), horizontal=True)]
form = None
if kind == SURVEY:
    forms = survey.forms()
    form = st.selectbox(_("Survey form (its mapping file in surveys/)"), forms)
    st.caption(_("The export as KoboToolbox or ODK Central downloads it (.xlsx or .csv, or "
                 "ODK Central's .zip), with its metadata columns. Each submission is one "
                 "follow-up visit, matched on the submission's id: importing the same export "
                 "again changes nothing, an edited submission updates its visit."))
upload = st.file_uploader(_("File to import"), type=["xlsx", "xlsm", "csv", "zip"],
                          help=limits_text, max_upload_size=bounds.file_mb)
dry_run = st.toggle(_("Check only (dry run: validate and count, write nothing)"), value=False)

if upload is not None and st.button(_("Check and import") if not dry_run
                                    else pgettext("button", "Check"),
                                    type="primary"):
    bar = st.progress(0.0, text=_("reading the file"))

    def progress(fraction: float, message: str) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=message)

    try:
        source = Source(upload.name, data=upload.getvalue())
        if form is not None:
            report = survey.run(data.database_url(), source, survey.load(form), scope,
                                username=username, dry_run=dry_run, progress=progress)
        else:
            report = run_import(data.database_url(), source, scope, username=username,
                                dry_run=dry_run, indicator_codes=indicator_codes(),
                                progress=progress)
    except DatabaseUnavailable as exc:
        data.unavailable(exc)
        raise
    bar.empty()
    st.session_state["import_report"] = report
    if report.ok and not dry_run:
        data.clear_cache()

last: ImportReport | None = st.session_state.get("import_report")  # the latest run's
if last is not None:
    if last.ok:
        st.success(md(last.summary()), icon="✅")  # it names the file
        counts = pd.DataFrame([{_("Sheet"): sheet, _("New"): c["inserted"],
                                _("Updated"): c["updated"], _("Unchanged"): c["unchanged"]}
                               for sheet, c in last.counts.items()])
        st.dataframe(counts, hide_index=True, width="stretch")
    else:
        heading = _("Nothing was imported.")
        if last.truncated:
            text = _("{n} problem(s) in {file} (the first {n} are listed; {more} more). "
                     "Correct them and import the whole file again.")
        else:
            text = _("{n} problem(s) in {file}. Correct them and import the whole file again.")
        st.error(bold(heading) + " "
                 + say(text, n=F.number(len(last.problems)), file=last.file_name,
                       more=F.number(last.truncated)), icon="🛑")
        for note in last.notes:  # how the file was read (a CSV not in UTF-8)
            st.info(md(note), icon="ℹ️")
        frame = problems_frame(last)
        st.dataframe(frame, hide_index=True, width="stretch")
        left, right = st.columns(2)
        stem = last.file_name.rsplit(".", 1)[0] + "_" + _("problems")
        left.download_button(_("Problems as Excel (.xlsx)"), error_file_bytes(last, ".xlsx"),
                             f"{stem}.xlsx", icon=":material/download:")
        right.download_button(_("Problems as CSV"), error_file_bytes(last, ".csv"),
                              f"{stem}.csv", mime="text/csv", icon=":material/download:")
