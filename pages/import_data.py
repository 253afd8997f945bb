"""Import (admin, manager; focal points for their own countries): bring in a field office's
spreadsheet, validated whole before anything is written (issue 5)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cli.importer import error_file_bytes, indicator_codes, problems_frame
from data_access.db import DatabaseUnavailable
from data_access.importing import Source, run_import
from data_access.importing.template import write_workbook
from ui import data, page
from ui.viewer import current_role, current_scope, current_user

ROLES = ("admin", "manager", "focal_point")

role = current_role()
if role not in ROLES:  # never registered for others; belt and braces
    st.stop()
user = current_user()
username = getattr(user, "username", None) or "anonymous"
scope = current_scope()

page.header("Import", "Bring a field office's spreadsheet in: checked whole, written whole "
                      "or not at all.")
if scope.countries is not None:
    st.caption(f"You can import rows of {', '.join(sorted(scope.countries))} only; a row of "
               "another country is reported as a problem.")


@st.cache_data(show_spinner=False)
def _template(codes: tuple[str, ...]) -> bytes:
    import io

    buffer = io.BytesIO()
    write_workbook(buffer, indicator_codes=codes)
    return buffer.getvalue()


with st.expander("The import template and the rules", expanded=False):
    st.markdown(
        "- One **.xlsx** workbook with the sheets *beneficiaries, assistance, cooperatives, "
        "training, followups, capacity_building, targets* (keep every sheet, even empty), "
        "or the same sheets as **CSV UTF-8** files in a **.zip**, or a single CSV named "
        "after its sheet (e.g. `followups.csv`).\n"
        "- English or French column names, codes and yes/no words; dates as YYYY-MM-DD, "
        "DD/MM/YYYY or Excel dates; countries and regions by ISO code or name.\n"
        "- Rows are matched on the case number (cooperatives on name and country, …): "
        "importing the same file twice changes nothing; a corrected file updates in place.\n"
        "- A file with any problem writes nothing: every problem is listed below.")
    st.download_button("Download the empty template (.xlsx)",
                       _template(tuple(indicator_codes())), "import_template.xlsx",
                       mime="application/vnd.openxmlformats-officedocument."
                            "spreadsheetml.sheet", icon=":material/download:")

upload = st.file_uploader("File to import", type=["xlsx", "xlsm", "csv", "zip"])
dry_run = st.toggle("Check only (dry run: validate and count, write nothing)", value=False)

if upload is not None and st.button("Check and import" if not dry_run else "Check",
                                    type="primary"):
    bar = st.progress(0.0, text="reading the file")

    def progress(fraction: float, message: str) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=message)

    try:
        report = run_import(data.database_url(), Source(upload.name, data=upload.getvalue()),
                            scope, username=username, dry_run=dry_run,
                            indicator_codes=indicator_codes(), progress=progress)
    except DatabaseUnavailable as exc:
        data.unavailable(exc)
        raise
    bar.empty()
    st.session_state["import_report"] = report
    if report.ok and not dry_run:
        data.clear_cache()

report = st.session_state.get("import_report")
if report is not None:
    if report.ok:
        st.success(report.summary(), icon="✅")
        counts = pd.DataFrame([{"sheet": sheet, **c} for sheet, c in report.counts.items()])
        st.dataframe(counts.drop(columns=["rejected"]), hide_index=True, width="stretch")
    else:
        more = f" (the first {len(report.problems):,} are listed; {report.truncated:,} " \
               "more)" if report.truncated else ""
        st.error(f"**Nothing was imported.** {len(report.problems):,} problem(s) in "
                 f"{report.file_name}{more}. Correct them and import the whole file again.",
                 icon="🛑")
        frame = problems_frame(report)
        st.dataframe(frame, hide_index=True, width="stretch")
        left, right = st.columns(2)
        stem = report.file_name.rsplit(".", 1)[0] + "_problems"
        left.download_button("Problems as Excel (.xlsx)", error_file_bytes(report, ".xlsx"),
                             f"{stem}.xlsx", icon=":material/download:")
        right.download_button("Problems as CSV", error_file_bytes(report, ".csv"),
                              f"{stem}.csv", mime="text/csv", icon=":material/download:")
